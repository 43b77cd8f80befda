"""The catalogue: items of four kinds with a base price and prices per plan or group (the
same best-price rule), and the bookable slots of activities."""

from models.audit import AuditEvent
from models.catalogue import (
    Booking,
    CatalogueItem,
    CatalogueItemPrice,
    CatalogueSlot,
    Plan,
    Subscription,
)
from models.groups import Group, GroupMember
from resolvers.common.time import now
from tests.catalogue.flows import ERRORS, a_household, a_plan, a_slot, an_item, gid
from tests.support.contacts import new_contact

CREATE = f"""mutation($input: CatalogueItemCreateInput!) {{ catalogueItemCreate(input: $input) {{
  item {{ id kind passKind name amount currency
          prices {{ amount plan {{ name }} group {{ name }} }} }} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: CatalogueItemUpdateInput!) {{ catalogueItemUpdate(input: $input) {{
  item {{ name amount prices {{ amount }} }} {ERRORS} }} }}"""
ITEMS = """query($o: ID!, $kind: CatalogueItemKind) {
  catalogueItems(organizationId: $o, kind: $kind) {
    edges { node { name kind slots { capacity bookedCount } } } } }"""
PRICE = """query($id: ID!, $c: ID!) { node(id: $id) { ... on CatalogueItem {
  priceFor(contactId: $c) { amount group { name } plan { name } } } } }"""
SLOT = f"""mutation($input: CatalogueSlotCreateInput!) {{ catalogueSlotCreate(input: $input) {{
  slot {{ id capacity bookedCount }} {ERRORS} }} }}"""
SLOT_UPDATE = f"""mutation($input: CatalogueSlotUpdateInput!) {{ catalogueSlotUpdate(input: $input)
  {{ slot {{ capacity }} {ERRORS} }} }}"""
SLOT_DELETE = f"""mutation($id: ID!) {{ catalogueSlotDelete(input: {{slotId: $id}}) {{
  deletedSlotId {ERRORS} }} }}"""


def _item(world, **given):
    return {
        "input": {
            "organizationId": world.org_gid,
            "kind": "MERCHANDISE",
            "name": "Cap",
            "amount": 2000,
            "currency": "CAD",
            **given,
        }
    }


async def test_items_of_every_kind_with_prices_per_plan_or_group(api, world):
    admin = api.as_(world.billing_admin)
    plan = await a_plan(world.organization, name="Gold")
    juniors = await Group.create(organization=world.organization, name="Juniors")
    prices = [
        {"amount": 1500, "planId": gid("Plan", plan)},
        {"amount": 1200, "groupId": gid("Group", juniors)},
    ]
    cap = (await admin.execute(CREATE, _item(world, prices=prices))).ok("catalogueItemCreate")
    assert cap["item"]["prices"] == [
        {"amount": 1500, "plan": {"name": "Gold"}, "group": None},
        {"amount": 1200, "plan": None, "group": {"name": "Juniors"}},
    ]
    for kind, pass_kind in (("ACTIVITY", None), ("PASS", "FAMILY"), ("MEMBERSHIP", None)):
        made = await admin.execute(CREATE, _item(world, kind=kind, passKind=pass_kind, name=kind))
        assert made.ok("catalogueItemCreate")["item"]["passKind"] == pass_kind
    listed = await admin.execute(ITEMS, {"o": world.org_gid, "kind": "PASS"})
    assert [e["node"]["name"] for e in listed.data["catalogueItems"]["edges"]] == ["PASS"]
    listed = await admin.execute(ITEMS, {"o": world.org_gid, "kind": None})
    assert len(listed.data["catalogueItems"]["edges"]) == 4
    assert await AuditEvent.filter(action="billing.catalogue_item.create").count() == 4


async def test_an_items_price_is_the_lowest_of_base_groups_and_subscribed_plans(api, world):
    admin = api.as_(world.billing_admin)
    gold = await a_plan(world.organization, name="Gold")
    juniors = await Group.create(organization=world.organization, name="Juniors")
    prices = [
        {"amount": 1200, "planId": gid("Plan", gold)},
        {"amount": 1500, "groupId": gid("Group", juniors)},
    ]
    made = (await admin.execute(CREATE, _item(world, prices=prices))).ok("catalogueItemCreate")
    _, _, member = await a_household(world.organization)
    contact = gid("Contact", await member.contact)

    async def price():
        result = await admin.execute(PRICE, {"id": made["item"]["id"], "c": contact})
        return result.data["node"]["priceFor"]

    assert await price() == {"amount": 2000, "group": None, "plan": None}
    await GroupMember.create(group=juniors, contact_id=member.contact_id)
    assert await price() == {"amount": 1500, "group": {"name": "Juniors"}, "plan": None}
    subscription = await Subscription.create(
        organization=world.organization, plan=gold, member=member, contact_id=member.contact_id,
        interval="MONTHLY", status="ACTIVE", current_period_start=now(),
        current_period_end=now(), unit_amount=5000, currency="CAD",
    )  # fmt: skip
    assert await price() == {"amount": 1200, "group": None, "plan": {"name": "Gold"}}
    subscription.status = "EXPIRED"
    await subscription.save()
    assert (await price())["amount"] == 1500


async def test_bad_items_are_refused_and_nothing_is_written(api, world):
    admin = api.as_(world.billing_admin)
    euro_plan = await Plan.create(organization=world.organization, name="Euro", currency="EUR")
    group = await Group.create(organization=world.organization, name="G")
    result = await admin.execute(
        CREATE,
        _item(
            world,
            kind="PASS",
            amount=-5,
            prices=[
                {"amount": 1, "planId": gid("Plan", euro_plan), "groupId": gid("Group", group)}
            ],
        ),
    )
    assert sorted(
        (e["code"], tuple(e["field"])) for e in result.payload("catalogueItemCreate")["errors"]
    ) == [
        ("INVALID", ("input", "amount")),
        ("INVALID", ("input", "passKind")),
        ("INVALID", ("input", "prices", 0)),
    ]
    result = await admin.execute(
        CREATE, _item(world, prices=[{"amount": 1, "planId": gid("Plan", euro_plan)}])
    )
    assert [e["field"] for e in result.payload("catalogueItemCreate")["errors"]] == [
        ["input", "prices", 0, "planId"]
    ]
    theirs = await Group.create(organization=world.other_organization, name="Theirs")
    result = await admin.execute(
        CREATE, _item(world, prices=[{"amount": 1, "groupId": gid("Group", theirs)}])
    )
    assert result.payload_codes("catalogueItemCreate") == ["NOT_FOUND"]
    assert await CatalogueItem.all().count() == 0
    assert await CatalogueItemPrice.all().count() == 0


async def test_update_replaces_prices_and_archive_hides_the_item(api, world):
    admin = api.as_(world.billing_admin)
    group = await Group.create(organization=world.organization, name="G")
    item = await an_item(world.organization)
    await CatalogueItemPrice.create(item=item, group=group, amount=100)
    updated = await admin.execute(
        UPDATE, {"input": {"itemId": gid("CatalogueItem", item), "amount": 2500, "prices": []}}
    )
    assert updated.ok("catalogueItemUpdate")["item"] == {
        "name": item.name,
        "amount": 2500,
        "prices": [],
    }
    archived = await admin.execute(
        "mutation($id: ID!) { catalogueItemArchive(input: {itemId: $id}) { errors { code } } }",
        {"id": gid("CatalogueItem", item)},
    )
    archived.ok("catalogueItemArchive")
    listed = await admin.execute(ITEMS, {"o": world.org_gid, "kind": None})
    assert listed.data["catalogueItems"]["edges"] == []


async def test_slots_of_activities(api, world):
    admin = api.as_(world.billing_admin)
    activity = await an_item(world.organization)
    merchandise = await an_item(world.organization, kind="MERCHANDISE")
    times = {"startsAt": "2031-03-01T10:00:00Z", "endsAt": "2031-03-01T11:00:00Z"}
    made = await admin.execute(
        SLOT, {"input": {"itemId": gid("CatalogueItem", activity), "capacity": 2, **times}}
    )
    slot_id = made.ok("catalogueSlotCreate")["slot"]["id"]
    refused = await admin.execute(
        SLOT, {"input": {"itemId": gid("CatalogueItem", merchandise), "capacity": 2, **times}}
    )
    assert refused.payload_codes("catalogueSlotCreate") == ["INVALID"]
    backwards = {"startsAt": times["endsAt"], "endsAt": times["startsAt"]}
    refused = await admin.execute(
        SLOT, {"input": {"itemId": gid("CatalogueItem", activity), "capacity": 0, **backwards}}
    )
    assert sorted(refused.payload_codes("catalogueSlotCreate")) == ["INVALID", "INVALID"]
    _, _, member = await a_household(world.organization)
    slot = await CatalogueSlot.get(item=activity)
    await Booking.create(slot=slot, member=member, contact_id=member.contact_id,
                         starts_at=slot.starts_at)  # fmt: skip
    await Booking.create(slot=slot, member=member, contact_id=member.contact_id,
                         starts_at=slot.starts_at)  # fmt: skip
    shrink = await admin.execute(SLOT_UPDATE, {"input": {"slotId": slot_id, "capacity": 1}})
    assert shrink.payload_codes("catalogueSlotUpdate") == ["INVALID"]
    grow = await admin.execute(SLOT_UPDATE, {"input": {"slotId": slot_id, "capacity": 3}})
    assert grow.ok("catalogueSlotUpdate")["slot"] == {"capacity": 3}
    listed = await admin.execute(ITEMS, {"o": world.org_gid, "kind": "ACTIVITY"})
    assert listed.data["catalogueItems"]["edges"][0]["node"]["slots"] == [
        {"capacity": 3, "bookedCount": 2}
    ]
    booked = await admin.execute(SLOT_DELETE, {"id": slot_id})
    assert booked.payload_codes("catalogueSlotDelete") == ["INVALID"]
    empty = await a_slot(world.organization, item=activity)
    deleted = await admin.execute(SLOT_DELETE, {"id": gid("CatalogueSlot", empty)})
    assert deleted.ok("catalogueSlotDelete")["deletedSlotId"] == gid("CatalogueSlot", empty)
    their_slot = await a_slot(world.other_organization)
    foreign = await admin.execute(SLOT_DELETE, {"id": gid("CatalogueSlot", their_slot)})
    assert foreign.payload_codes("catalogueSlotDelete") == ["NOT_FOUND"]


async def test_price_for_another_organizations_contact_is_not_found(api, world):
    item = await an_item(world.organization)
    stranger = await new_contact(world.other_organization)
    result = await api.as_(world.owner).execute(
        PRICE, {"id": gid("CatalogueItem", item), "c": gid("Contact", stranger)}
    )
    assert result.error_codes == ["NOT_FOUND"]


async def test_a_slot_resized_to_zero_is_refused(api, world):
    slot = await a_slot(world.organization)
    result = await api.as_(world.billing_admin).execute(
        SLOT_UPDATE, {"input": {"slotId": gid("CatalogueSlot", slot), "capacity": 0}}
    )
    assert result.payload_codes("catalogueSlotUpdate") == ["INVALID"]
    assert (await CatalogueSlot.get(id=slot.id)).capacity == slot.capacity
