"""A MEMBERSHIP purchase makes the member's card for the item's period (when the
organization uses cards); cancelling the purchase ends the card's validity."""

from datetime import timedelta

from models.account_features import MembershipCard, OrganizationFeatures
from models.catalogue import ItemKind, Purchase
from resolvers.catalogue.subscriptions import add_months
from resolvers.common.time import today_in
from tests.catalogue.flows import ERRORS, a_household, an_item, gid
from tests.sales.test_purchase_invoices import BUY, CANCEL, _buy, codes

SETTINGS = f"""mutation($i: ID!, $m: Int, $r: Boolean) {{
  catalogueItemBillingSet(input: {{itemId: $i, membershipMonths: $m, rl24Eligible: $r}}) {{
  item {{ membershipMonths rl24Eligible }} {ERRORS} }} }}"""
VERIFY = "query($c: String!) { membershipCardVerify(code: $c) { valid firstName } }"


async def test_a_membership_purchase_makes_a_card_for_the_items_period(api, world):
    await OrganizationFeatures.create(organization=world.organization, membership_cards=True)
    _, _, member = await a_household(world.organization)
    item = await an_item(world.organization, ItemKind.MEMBERSHIP, amount=3000)
    staff = api.as_(world.billing_admin)
    result = await staff.execute(SETTINGS, {"i": gid("CatalogueItem", item), "m": 6, "r": None})
    assert result.ok("catalogueItemBillingSet")["item"] == {
        "membershipMonths": 6,
        "rl24Eligible": False,
    }
    bought = (await staff.execute(BUY, _buy(item, member))).ok("purchaseCreate")["purchase"]
    assert bought["invoice"]["status"] == "OPEN"
    card = await MembershipCard.get()
    today = today_in(world.organization.timezone)
    assert card.contact_id == member.contact_id
    assert (card.valid_from, card.valid_to) == (today, add_months(today, 6) - timedelta(days=1))
    assert (await Purchase.get()).card_id == card.id
    verified = await api.execute(VERIFY, {"c": card.verification_code})
    assert verified.data["membershipCardVerify"]["valid"] is True
    # Cancelling ends the card's validity.
    (await staff.execute(CANCEL, {"id": bought["id"], "credit": None})).ok("purchaseCancel")
    await card.refresh_from_db()
    assert card.valid_to == today - timedelta(days=1)
    verified = await api.execute(VERIFY, {"c": card.verification_code})
    assert verified.data["membershipCardVerify"]["valid"] is False


async def test_without_the_feature_the_purchase_stands_without_a_card(api, world):
    _, _, member = await a_household(world.organization)
    item = await an_item(world.organization, ItemKind.MEMBERSHIP, amount=3000)
    result = await api.as_(world.billing_admin).execute(BUY, _buy(item, member))
    assert result.ok("purchaseCreate")["purchase"]["invoice"]["status"] == "OPEN"
    assert await MembershipCard.all().count() == 0
    assert (await Purchase.get()).card_id is None


async def test_other_items_make_no_card(api, world):
    await OrganizationFeatures.create(organization=world.organization, membership_cards=True)
    _, _, member = await a_household(world.organization)
    item = await an_item(world.organization, ItemKind.MERCHANDISE)
    (await api.as_(world.billing_admin).execute(BUY, _buy(item, member))).ok("purchaseCreate")
    assert await MembershipCard.all().count() == 0


async def test_item_billing_settings_auth_bad_input_and_other_orgs(api, world):
    item = await an_item(world.organization, ItemKind.MEMBERSHIP)
    theirs = await an_item(world.other_organization, ItemKind.MEMBERSHIP)
    variables = {"i": gid("CatalogueItem", item), "m": 3, "r": True}
    refused = await api.as_(world.viewer).execute(SETTINGS, variables)
    assert refused.error_codes == ["FORBIDDEN"]
    assert (await api.execute(SETTINGS, variables)).error_codes == ["UNAUTHENTICATED"]
    foreign = await api.as_(world.owner).execute(
        SETTINGS, {"i": gid("CatalogueItem", theirs), "m": 3, "r": True}
    )
    assert codes(foreign, "catalogueItemBillingSet") == ["NOT_FOUND"]
    bad = await api.as_(world.owner).execute(
        SETTINGS, {**variables, "m": 0}, **{"accept-language": "fr"}
    )
    assert bad.payload_codes("catalogueItemBillingSet") == ["INVALID"]
    assert "mois" in bad.data["catalogueItemBillingSet"]["errors"][0]["message"]
    await item.refresh_from_db()
    assert (item.membership_months, item.rl24_eligible) == (12, False)
