"""Subscriptions of account members, by staff; a TRIAL, ACTIVE or PAST_DUE one makes the
member's contact a subscriber in the contact book (field and filter)."""

from datetime import UTC, datetime

from carnet.statements import count_statements
from models.audit import AuditEvent
from models.catalogue import Subscription, SubscriptionStatus
from models.groups import Group, GroupMember
from tests.catalogue.flows import ERRORS, MEMBER, a_household, a_plan, gid

SUBSCRIBE = f"""mutation($input: SubscriptionCreateInput!) {{ subscriptionCreate(input: $input) {{
  subscription {{ id status interval unitAmount currency currentPeriodStart currentPeriodEnd
                  memberId plan {{ name }} }} {ERRORS} }} }}"""
CANCEL = f"""mutation($id: ID!) {{ subscriptionCancel(input: {{subscriptionId: $id}}) {{
  subscription {{ status canceledAt }} {ERRORS} }} }}"""
CONTACTS = """query($o: ID!, $n: Int!, $f: ContactFilterInput) {
  contacts(organizationId: $o, first: $n, filter: $f) { edges { node { id isSubscriber } } } }"""


async def _subscribe(api, world, member, plan, **extra):
    variables = {
        "input": {
            "memberId": gid("AccountContact", member),
            "planId": gid("Plan", plan),
            "interval": "MONTHLY",
            **extra,
        }
    }
    return await api.as_(world.billing_admin).execute(SUBSCRIBE, variables)


async def test_staff_subscribe_a_member_at_their_best_price(api, world):
    _, _, member = await a_household(world.organization)
    plan = await a_plan(world.organization, monthly=5000, name="Gold")
    seniors = await Group.create(organization=world.organization, name="Seniors")
    from models.catalogue import PlanGroupPrice

    await PlanGroupPrice.create(plan=plan, group=seniors, interval="MONTHLY", amount=3500)
    await GroupMember.create(group=seniors, contact_id=member.contact_id)
    result = await _subscribe(api, world, member, plan, startsAt="2031-01-31T10:00:00Z")
    subscription = result.ok("subscriptionCreate")["subscription"]
    assert subscription["status"] == "ACTIVE"
    assert (subscription["unitAmount"], subscription["currency"]) == (3500, "CAD")
    assert subscription["currentPeriodStart"].startswith("2031-01-31T10:00:00")
    assert subscription["currentPeriodEnd"].startswith("2031-02-28T10:00:00")  # month's end
    assert subscription["memberId"] == gid("AccountContact", member)
    event = await AuditEvent.get(action="billing.subscription.create")
    assert event.after["unit_amount"] == 3500 and event.after["group_id"] == seniors.id


async def test_bad_subscriptions_are_refused_and_nothing_is_written(api, world):
    _, _, member = await a_household(world.organization)
    plan = await a_plan(world.organization)
    result = await _subscribe(api, world, member, plan, interval="ONE_OFF", status="CANCELED")
    assert sorted(result.payload_codes("subscriptionCreate")) == ["INVALID", "INVALID"]
    result = await _subscribe(api, world, member, plan, interval="ANNUAL")
    assert result.payload_codes("subscriptionCreate") == ["NOT_PRICED"]
    await _subscribe(api, world, member, plan)
    again = await _subscribe(api, world, member, plan)
    assert again.payload_codes("subscriptionCreate") == ["ALREADY_EXISTS"]
    plan.archived_at = datetime(2030, 1, 1, tzinfo=UTC)
    await plan.save()
    _, _, other_member = await a_household(world.organization)
    archived = await _subscribe(api, world, other_member, plan)
    assert archived.payload_codes("subscriptionCreate") == ["ARCHIVED"]
    assert await Subscription.all().count() == 1


async def test_another_organizations_member_or_plan_is_not_found(api, world):
    _, _, theirs = await a_household(world.other_organization)
    _, _, mine = await a_household(world.organization)
    plan = await a_plan(world.organization)
    their_plan = await a_plan(world.other_organization)
    result = await _subscribe(api, world, theirs, plan)
    assert result.payload_codes("subscriptionCreate") == ["NOT_FOUND"]
    result = await _subscribe(api, world, mine, their_plan)
    assert [e["field"] for e in result.payload("subscriptionCreate")["errors"]] == [
        ["input", "planId"]
    ]
    assert await Subscription.all().count() == 0


async def test_cancel_ends_it_once_and_the_member_lists_it(api, world):
    _, _, member = await a_household(world.organization)
    plan = await a_plan(world.organization, name="Gold")
    created = (await _subscribe(api, world, member, plan)).ok("subscriptionCreate")
    sid = created["subscription"]["id"]
    canceled = await api.as_(world.billing_admin).execute(CANCEL, {"id": sid})
    assert canceled.ok("subscriptionCancel")["subscription"]["status"] == "CANCELED"
    again = await api.as_(world.billing_admin).execute(CANCEL, {"id": sid})
    assert again.payload_codes("subscriptionCancel") == ["ALREADY_CANCELED"]
    listed = await api.as_(world.admin).execute(MEMBER, {"id": gid("AccountContact", member)})
    assert listed.data["member"]["subscriptions"] == [
        {"id": sid, "status": "CANCELED", "plan": {"name": "Gold"}}
    ]


async def test_live_subscriptions_make_subscribers_in_the_contact_book(api, world):
    plan = await a_plan(world.organization)
    statuses = list(SubscriptionStatus)
    contacts = {}
    for status in statuses:
        _, _, member = await a_household(world.organization)
        await _subscribe(api, world, member, plan)
        await Subscription.filter(member_id=member.id).update(status=status)
        contacts[gid("Contact", await member.contact)] = status
    owner = api.as_(world.owner)
    page = await owner.execute(CONTACTS, {"o": world.org_gid, "n": 50})
    flags = {e["node"]["id"]: e["node"]["isSubscriber"] for e in page.data["contacts"]["edges"]}
    live = {"TRIAL", "ACTIVE", "PAST_DUE"}
    for contact_id, status in contacts.items():
        assert flags[contact_id] is (status in live), status
    assert sum(flags.values()) == 3  # holders and non-members are not subscribers
    subscribers = await owner.execute(
        CONTACTS, {"o": world.org_gid, "n": 50, "f": {"isSubscriber": True}}
    )
    found = {e["node"]["id"] for e in subscribers.data["contacts"]["edges"]}
    assert found == {c for c, s in contacts.items() if s in live}
    others = await owner.execute(
        CONTACTS, {"o": world.org_gid, "n": 50, "f": {"isSubscriber": False}}
    )
    found = {e["node"]["id"] for e in others.data["contacts"]["edges"]}
    assert found and not found & {c for c, s in contacts.items() if s in live}


async def test_the_subscriber_flag_costs_the_same_statements_for_any_page_size(api, world):
    plan = await a_plan(world.organization)
    for _ in range(6):
        _, _, member = await a_household(world.organization)
        await _subscribe(api, world, member, plan)
    owner = api.as_(world.owner)
    counts = []
    for size in (2, 15):
        with count_statements() as statements:
            result = await owner.execute(
                CONTACTS, {"o": world.org_gid, "n": size, "f": {"isSubscriber": True}}
            )
        assert len(result.data["contacts"]["edges"]) == min(size, 6)
        counts.append(len(statements))
    assert counts[0] == counts[1]
