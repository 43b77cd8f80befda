"""Plans: prices per interval and group prices; what a contact pays is the lowest of the
plan's base price and their groups' prices (ties: the base, then groups by name)."""

from models.audit import AuditEvent
from models.catalogue import Plan, PlanGroupPrice
from models.groups import Group, GroupMember
from tests.catalogue.flows import ERRORS, gid
from tests.support.contacts import new_contact

CREATE = f"""mutation($input: PlanCreateInput!) {{ planCreate(input: $input) {{
  plan {{ id name currency prices {{ interval amount }}
         groupPrices {{ interval amount group {{ name }} }} }} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: PlanUpdateInput!) {{ planUpdate(input: $input) {{
  plan {{ id name prices {{ interval amount }} groupPrices {{ amount }} }} {ERRORS} }} }}"""
PRICE = """query($id: ID!, $contact: ID!, $interval: PriceInterval!) { plan(id: $id) {
  priceFor(contactId: $contact, interval: $interval) { amount currency group { name } } } }"""
PLANS = """query($o: ID!, $all: Boolean!) { plans(organizationId: $o, includeArchived: $all) {
  totalCount edges { node { name archivedAt } } } }"""


async def _group(world, name):
    return await Group.create(organization=world.organization, name=name)


async def _plan(api, world, group_prices=()):
    result = await api.as_(world.billing_admin).execute(
        CREATE,
        {
            "input": {
                "organizationId": world.org_gid,
                "name": "Family",
                "currency": "cad",
                "prices": [
                    {"interval": "MONTHLY", "amount": 5000},
                    {"interval": "ANNUAL", "amount": 50000},
                ],
                "groupPrices": list(group_prices),
            }
        },
    )
    return result.ok("planCreate")["plan"]


async def _price(api, world, plan, contact, interval="MONTHLY"):
    result = await api.as_(world.billing_admin).execute(
        PRICE, {"id": plan["id"], "contact": gid("Contact", contact), "interval": interval}
    )
    assert not result.errors, result.errors
    return result.data["plan"]["priceFor"]


async def test_a_plan_has_prices_per_interval_and_group_prices(api, world):
    seniors = await _group(world, "Seniors")
    plan = await _plan(
        api, world, [{"groupId": gid("Group", seniors), "interval": "MONTHLY", "amount": 3000}]
    )
    assert plan["currency"] == "CAD"
    assert plan["prices"] == [
        {"interval": "ANNUAL", "amount": 50000},
        {"interval": "MONTHLY", "amount": 5000},
    ]
    assert plan["groupPrices"] == [
        {"interval": "MONTHLY", "amount": 3000, "group": {"name": "Seniors"}}
    ]
    assert await AuditEvent.filter(action="billing.plan.create").count() == 1


async def test_the_best_price_among_the_contacts_groups_else_the_base(api, world):
    seniors, students, staff = [await _group(world, n) for n in ("Seniors", "Students", "Staff")]
    plan = await _plan(
        api,
        world,
        [
            {"groupId": gid("Group", seniors), "interval": "MONTHLY", "amount": 3000},
            {"groupId": gid("Group", students), "interval": "MONTHLY", "amount": 2500},
            {"groupId": gid("Group", staff), "interval": "MONTHLY", "amount": 6000},
        ],
    )
    nobody = await new_contact(world.organization)
    assert await _price(api, world, plan, nobody) == {
        "amount": 5000,
        "currency": "CAD",
        "group": None,
    }
    both = await new_contact(world.organization)
    for group in (seniors, students, staff):
        await GroupMember.create(group=group, contact=both)
    assert (await _price(api, world, plan, both))["amount"] == 2500
    assert (await _price(api, world, plan, both))["group"] == {"name": "Students"}
    # A group dearer than the base never raises the price.
    only_staff = await new_contact(world.organization)
    await GroupMember.create(group=staff, contact=only_staff)
    assert (await _price(api, world, plan, only_staff))["amount"] == 5000
    # No group price for the interval: the base one.
    assert (await _price(api, world, plan, both, "ANNUAL"))["amount"] == 50000
    # No price at all for the interval.
    assert await _price(api, world, plan, both, "ONE_OFF") is None


async def test_ties_name_the_base_then_the_first_group_by_name(api, world):
    beta, alpha = await _group(world, "Beta"), await _group(world, "alpha")
    plan = await _plan(
        api,
        world,
        [
            {"groupId": gid("Group", beta), "interval": "MONTHLY", "amount": 4000},
            {"groupId": gid("Group", alpha), "interval": "MONTHLY", "amount": 4000},
            {"groupId": gid("Group", beta), "interval": "ANNUAL", "amount": 50000},
        ],
    )
    contact = await new_contact(world.organization)
    for group in (beta, alpha):
        await GroupMember.create(group=group, contact=contact)
    assert await _price(api, world, plan, contact) == {
        "amount": 4000,
        "currency": "CAD",
        "group": {"name": "alpha"},
    }
    annual = await _price(api, world, plan, contact, "ANNUAL")
    assert annual == {"amount": 50000, "currency": "CAD", "group": None}


async def test_a_deleted_groups_price_no_longer_applies(api, world):
    students = await _group(world, "Students")
    plan = await _plan(
        api, world, [{"groupId": gid("Group", students), "interval": "MONTHLY", "amount": 2500}]
    )
    contact = await new_contact(world.organization)
    await GroupMember.create(group=students, contact=contact)
    assert (await _price(api, world, plan, contact))["amount"] == 2500
    deleted = await api.as_(world.owner).execute(
        "mutation($id: ID!) { groupDelete(input: {id: $id}) { errors { code } } }",
        {"id": gid("Group", students)},
    )
    deleted.ok("groupDelete")
    assert (await _price(api, world, plan, contact))["amount"] == 5000
    assert await PlanGroupPrice.all().count() == 0


async def test_update_replaces_prices_and_archive_hides_the_plan(api, world):
    plan = await _plan(api, world)
    admin = api.as_(world.billing_admin)
    updated = await admin.execute(
        UPDATE,
        {
            "input": {
                "planId": plan["id"],
                "name": "Family+",
                "prices": [{"interval": "MONTHLY", "amount": 5500}],
            }
        },
    )
    assert updated.ok("planUpdate")["plan"]["prices"] == [{"interval": "MONTHLY", "amount": 5500}]
    archived = await admin.execute(
        f"mutation($id: ID!) {{ planArchive(input: {{planId: $id}}) {{ plan {{ archivedAt }} "
        f"{ERRORS} }} }}",
        {"id": plan["id"]},
    )
    assert archived.ok("planArchive")["plan"]["archivedAt"]
    listed = await admin.execute(PLANS, {"o": world.org_gid, "all": False})
    assert listed.data["plans"]["totalCount"] == 0
    listed = await admin.execute(PLANS, {"o": world.org_gid, "all": True})
    assert [e["node"]["name"] for e in listed.data["plans"]["edges"]] == ["Family+"]


async def test_bad_prices_are_refused_in_english_and_french_and_nothing_is_written(api, world):
    variables = {
        "input": {
            "organizationId": world.org_gid,
            "name": " ",
            "currency": "DOLLARS",
            "prices": [
                {"interval": "MONTHLY", "amount": -1},
                {"interval": "MONTHLY", "amount": 100},
            ],
        }
    }
    result = await api.as_(world.owner).execute(CREATE, variables)
    errors = result.payload("planCreate")["errors"]
    assert sorted((e["code"], tuple(e["field"])) for e in errors) == [
        ("DUPLICATE", ("input", "prices", 1, "interval")),
        ("INVALID", ("input", "currency")),
        ("INVALID", ("input", "prices", 0, "amount")),
        ("REQUIRED", ("input", "name")),
    ]
    french = await api.as_(world.owner).execute(CREATE, variables, **{"accept-language": "fr"})
    messages = {e["message"] for e in french.payload("planCreate")["errors"]}
    assert "Un seul prix par intervalle." in messages
    assert "Indiquez un montant en cents, de 0 à 1000000000." in messages
    assert await Plan.all().count() == 0


async def test_another_organizations_ids_are_not_found(api, world):
    theirs = await Group.create(organization=world.other_organization, name="Theirs")
    result = await api.as_(world.owner).execute(
        CREATE,
        {
            "input": {
                "organizationId": world.org_gid,
                "name": "Gold",
                "currency": "CAD",
                "groupPrices": [
                    {"groupId": gid("Group", theirs), "interval": "MONTHLY", "amount": 1}
                ],
            }
        },
    )
    errors = result.payload("planCreate")["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("NOT_FOUND", ["input", "groupPrices", 0, "groupId"])
    ]
    their_plan = await Plan.create(organization=world.other_organization, name="X", currency="CAD")
    result = await api.as_(world.owner).execute(
        UPDATE, {"input": {"planId": gid("Plan", their_plan), "name": "Mine"}}
    )
    assert result.payload_codes("planUpdate") == ["NOT_FOUND"]
    plan = await _plan(api, world)
    stranger = await new_contact(world.other_organization)
    result = await api.as_(world.owner).execute(
        PRICE, {"id": plan["id"], "contact": gid("Contact", stranger), "interval": "MONTHLY"}
    )
    assert result.error_codes == ["NOT_FOUND"]
    assert await Plan.filter(organization=world.organization).count() == 1


async def test_billing_admins_read_the_catalogues_events_in_the_audit_log(api, world):
    await _plan(api, world)
    query = """query($o: ID!) { auditLog(organizationId: $o, first: 20) {
      edges { node { action } } } }"""
    result = await api.as_(world.billing_admin).execute(query, {"o": world.org_gid})
    assert [e["node"]["action"] for e in result.data["auditLog"]["edges"]] == [
        "billing.plan.create"
    ]
