"""Family passes and family subscriptions: one purchase or subscription covering every
MEMBER of an account, listed under each member, each member taken off it alone
(`familyCoverCancel`) while the others keep it; `isSubscriber` follows per member."""

from models.audit import AuditEvent
from models.billing import InvoiceLine
from models.catalogue import FamilyCoverCancellation, ItemKind, PassKind, Subscription
from tests.catalogue.flows import ERRORS, a_household, a_plan, an_item, gid

SUBSCRIBE = f"""mutation($input: SubscriptionCreateInput!) {{ subscriptionCreate(input: $input) {{
  subscription {{ id status coversAccount }} {ERRORS} }} }}"""
BUY = f"""mutation($item: ID!, $member: ID!) {{
  purchaseCreate(input: {{itemId: $item, memberId: $member}}) {{
  purchase {{ id coversAccount }} {ERRORS} }} }}"""
OFF = f"""mutation($input: FamilyCoverCancelInput!) {{ familyCoverCancel(input: $input) {{
  purchase {{ id status }} subscription {{ id status }} {ERRORS} }} }}"""
LISTED = """query($id: ID!) { member(id: $id) {
  purchases { id status canceledAt } subscriptions { id status canceledAt coversAccount } } }"""
SUBSCRIBERS = """query($o: ID!) { contacts(organizationId: $o, first: 50,
  filter: {isSubscriber: true}) { edges { node { id isSubscriber } } } }"""


async def _subscribers(api, world) -> set[str]:
    page = await api.as_(world.owner).execute(SUBSCRIBERS, {"o": world.org_gid})
    edges = page.data["contacts"]["edges"]
    assert all(e["node"]["isSubscriber"] for e in edges)  # the field agrees with the filter
    return {e["node"]["id"] for e in edges}


async def _listed(api, world, member):
    result = await api.as_(world.billing_admin).execute(
        LISTED, {"id": gid("AccountContact", member)}
    )
    return result.data["member"]


async def test_a_family_subscription_covers_each_member_until_taken_off(api, world):
    account, holder, child = await a_household(world.organization)
    _, _, stranger = await a_household(world.organization)
    plan = await a_plan(world.organization, monthly=8000, name="Family")
    staff = api.as_(world.billing_admin)
    created = await staff.execute(
        SUBSCRIBE,
        {
            "input": {
                "memberId": gid("AccountContact", holder),
                "planId": gid("Plan", plan),
                "interval": "MONTHLY",
                "family": True,
            }
        },
    )
    subscription = created.ok("subscriptionCreate")["subscription"]
    assert subscription["coversAccount"] is True
    [line] = await InvoiceLine.all()
    assert "family" in line.description and line.unit_amount == 8000  # one price
    holder_c = gid("Contact", await holder.contact)
    child_c = gid("Contact", await child.contact)
    assert await _subscribers(api, world) == {holder_c, child_c}
    for member in (holder, child):
        [listed] = (await _listed(api, world, member))["subscriptions"]
        assert listed["id"] == subscription["id"] and listed["status"] == "ACTIVE"
    assert (await _listed(api, world, stranger))["subscriptions"] == []

    # Another member of the account cannot also subscribe to the plan on their own.
    again = await staff.execute(
        SUBSCRIBE,
        {
            "input": {
                "memberId": gid("AccountContact", child),
                "planId": gid("Plan", plan),
                "interval": "MONTHLY",
            }
        },
    )
    assert again.payload_codes("subscriptionCreate") == ["ALREADY_EXISTS"]

    off = await staff.execute(
        OFF,
        {"input": {"subscriptionId": subscription["id"], "memberId": gid("AccountContact", child)}},
    )
    assert off.ok("familyCoverCancel")["subscription"]["status"] == "ACTIVE"
    [for_child] = (await _listed(api, world, child))["subscriptions"]
    assert for_child["status"] == "CANCELED" and for_child["canceledAt"] is not None
    [for_holder] = (await _listed(api, world, holder))["subscriptions"]
    assert for_holder["status"] == "ACTIVE" and for_holder["canceledAt"] is None
    assert await _subscribers(api, world) == {holder_c}
    twice = await staff.with_headers(**{"accept-language": "fr"}).execute(
        OFF,
        {"input": {"subscriptionId": subscription["id"], "memberId": gid("AccountContact", child)}},
    )
    [error] = twice.payload("familyCoverCancel")["errors"]
    assert error["code"] == "ALREADY_CANCELED" and "couvert" in error["message"]
    assert await FamilyCoverCancellation.all().count() == 1
    event = await AuditEvent.get(action="billing.family_cover.cancel")
    assert event.after == {"member_id": child.id}
    # The whole subscription ending ends it for everyone.
    await Subscription.filter(id=(await Subscription.get()).id).update(status="EXPIRED")
    assert await _subscribers(api, world) == set()
    assert account.id == (await Subscription.get()).account_id


async def test_a_family_pass_is_canceled_for_one_member_only(api, world):
    _, holder, child = await a_household(world.organization)
    family = await an_item(world.organization, ItemKind.PASS, 9000, PassKind.FAMILY)
    staff = api.as_(world.billing_admin)
    bought = await staff.execute(
        BUY, {"item": gid("CatalogueItem", family), "member": gid("AccountContact", holder)}
    )
    purchase = bought.ok("purchaseCreate")["purchase"]
    assert purchase["coversAccount"] is True
    off = await staff.execute(
        OFF, {"input": {"purchaseId": purchase["id"], "memberId": gid("AccountContact", holder)}}
    )
    assert off.ok("familyCoverCancel")["purchase"] == {"id": purchase["id"], "status": "ACTIVE"}
    [for_holder] = (await _listed(api, world, holder))["purchases"]
    [for_child] = (await _listed(api, world, child))["purchases"]
    assert (for_holder["status"], for_child["status"]) == ("CANCELED", "ACTIVE")
    assert for_holder["canceledAt"] is not None and for_child["canceledAt"] is None


async def test_bad_family_cancellations_write_nothing(api, world):
    _, holder, child = await a_household(world.organization)
    _, _, elsewhere = await a_household(world.organization)
    single = await an_item(world.organization, ItemKind.PASS, 1000, PassKind.SINGLE)
    family = await an_item(world.organization, ItemKind.PASS, 9000, PassKind.FAMILY)
    staff = api.as_(world.billing_admin)

    async def buy(item):
        result = await staff.execute(
            BUY, {"item": gid("CatalogueItem", item), "member": gid("AccountContact", holder)}
        )
        return result.ok("purchaseCreate")["purchase"]["id"]

    single_id, family_id = await buy(single), await buy(family)
    child_id = gid("AccountContact", child)
    not_family = await staff.with_headers(**{"accept-language": "fr"}).execute(
        OFF, {"input": {"purchaseId": single_id, "memberId": child_id}}
    )
    [error] = not_family.payload("familyCoverCancel")["errors"]
    assert error["code"] == "INVALID" and error["field"] == ["input", "purchaseId"]
    assert "familial" in error["message"]
    neither = await staff.execute(OFF, {"input": {"memberId": child_id}})
    assert neither.payload_codes("familyCoverCancel") == ["INVALID"]
    other_account = await staff.execute(
        OFF, {"input": {"purchaseId": family_id, "memberId": gid("AccountContact", elsewhere)}}
    )
    [error] = other_account.payload("familyCoverCancel")["errors"]
    assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "memberId"])

    _, their_holder, their_child = await a_household(world.other_organization)
    their_item = await an_item(world.other_organization, ItemKind.PASS, 9000, PassKind.FAMILY)
    from models.catalogue import Purchase

    theirs = await Purchase.create(
        organization=world.other_organization,
        account_id=their_holder.account_id,
        member=their_holder,
        item=their_item,
        covers_account=True,
        unit_amount=9000,
        currency="CAD",
    )
    foreign = await staff.execute(
        OFF, {"input": {"purchaseId": gid("Purchase", theirs), "memberId": child_id}}
    )
    assert foreign.payload_codes("familyCoverCancel") == ["NOT_FOUND"]
    foreign_member = await staff.execute(
        OFF,
        {"input": {"purchaseId": family_id, "memberId": gid("AccountContact", their_child)}},
    )
    assert foreign_member.payload_codes("familyCoverCancel") == ["NOT_FOUND"]
    assert await FamilyCoverCancellation.all().count() == 0
    assert await AuditEvent.filter(action="billing.family_cover.cancel").count() == 0
