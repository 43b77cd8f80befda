"""Purchases and ACTIVE subscriptions are invoiced through the ledger in the same unit of
work (OPEN, numbered); cancelling a purchase credits what was not consumed."""

from tortoise.functions import Sum

from models.billing import CreditNote, Invoice, InvoiceStatus, LedgerEntry
from models.catalogue import HoldingStatus, ItemKind, Purchase, Subscription
from tests.catalogue.flows import ERRORS, a_household, a_plan, an_item, gid
from tests.support.world import make_member

MONEY = "{ amount currency }"
INVOICE = f"invoice {{ id number status total {MONEY} taxTotal {MONEY} amountDue {MONEY} }}"
BUY = f"""mutation($input: PurchaseCreateInput!) {{ purchaseCreate(input: $input) {{
  purchase {{ id status {INVOICE} }} {ERRORS} }} }}"""
CANCEL = f"""mutation($id: ID!, $credit: Int) {{
  purchaseCancel(input: {{purchaseId: $id, creditAmount: $credit}}) {{
  purchase {{ status {INVOICE} }} {ERRORS} }} }}"""
SUBSCRIBE = f"""mutation($m: ID!, $p: ID!, $s: SubscriptionStatus!) {{
  subscriptionCreate(input: {{memberId: $m, planId: $p, interval: MONTHLY, status: $s}}) {{
  subscription {{ id status {INVOICE} }} {ERRORS} }} }}"""


def codes(result, field: str) -> list[str]:
    """The request's top-level error codes, else the payload's."""
    return result.error_codes or result.payload_codes(field)


def _buy(item, member, quantity=1):
    return {
        "input": {
            "itemId": gid("CatalogueItem", item),
            "memberId": gid("AccountContact", member),
            "quantity": quantity,
        }
    }


async def _ledger_sum(account) -> int:
    rows = (
        await LedgerEntry.filter(account_id=account.id)
        .annotate(total=Sum("amount"))
        .values_list("total", flat=True)
    )
    return int(rows[0] or 0)


async def test_a_purchase_is_invoiced_open_and_numbered(api, world):
    account, _, member = await a_household(world.organization)
    item = await an_item(world.organization, ItemKind.MERCHANDISE, amount=1000)
    result = await api.as_(world.billing_admin).execute(BUY, _buy(item, member, 2))
    invoice = result.ok("purchaseCreate")["purchase"]["invoice"]
    # 2 × 10.00 $ + GST 1.00 $ + QST 1.995 $ → 2.00 $ (half up, per line).
    assert invoice["status"] == "OPEN" and invoice["number"] == 1
    assert invoice["total"] == {"amount": 2300, "currency": "CAD"}
    assert invoice["taxTotal"]["amount"] == 300
    assert invoice["amountDue"]["amount"] == 2300
    row = await Invoice.get()
    assert (row.account_id, row.status) == (account.id, InvoiceStatus.OPEN)
    assert (await Purchase.get()).invoice_id == row.id
    assert await _ledger_sum(account) == 2300
    # The next purchase takes the next number.
    again = await api.as_(world.billing_admin).execute(BUY, _buy(item, member))
    assert again.ok("purchaseCreate")["purchase"]["invoice"]["number"] == 2


async def test_cancel_credits_all_by_default_and_the_ledger_balances(api, world):
    account, _, member = await a_household(world.organization)
    item = await an_item(world.organization, ItemKind.MERCHANDISE, amount=1000)
    staff = api.as_(world.billing_admin)
    bought = (await staff.execute(BUY, _buy(item, member))).ok("purchaseCreate")["purchase"]
    canceled = await staff.execute(CANCEL, {"id": bought["id"], "credit": None})
    purchase = canceled.ok("purchaseCancel")["purchase"]
    assert purchase["status"] == "CANCELED"
    assert purchase["invoice"]["amountDue"]["amount"] == 0
    assert purchase["invoice"]["status"] == "PAID"  # nothing remains due
    note = await CreditNote.get()
    assert note.amount == 1150
    assert await _ledger_sum(account) == 0


async def test_cancel_credits_only_what_was_not_consumed(api, world):
    account, _, member = await a_household(world.organization)
    item = await an_item(world.organization, ItemKind.MERCHANDISE, amount=1000)
    staff = api.as_(world.billing_admin)
    bought = (await staff.execute(BUY, _buy(item, member))).ok("purchaseCreate")["purchase"]
    too_much = await staff.execute(CANCEL, {"id": bought["id"], "credit": 1151})
    assert too_much.payload_codes("purchaseCancel") == ["AMOUNT_TOO_HIGH"]
    negative = await staff.execute(
        CANCEL, {"id": bought["id"], "credit": -1}, **{"accept-language": "fr"}
    )
    assert negative.payload_codes("purchaseCancel") == ["INVALID"]
    assert "centimes" in negative.data["purchaseCancel"]["errors"][0]["message"]
    # Nothing written by the refused ones.
    assert await Purchase.filter(status=HoldingStatus.ACTIVE).count() == 1
    assert await CreditNote.all().count() == 0
    part = await staff.execute(CANCEL, {"id": bought["id"], "credit": 400})
    assert part.ok("purchaseCancel")["purchase"]["invoice"]["amountDue"]["amount"] == 750
    assert await _ledger_sum(account) == 750


async def test_cancel_with_nothing_to_credit(api, world):
    account, _, member = await a_household(world.organization)
    item = await an_item(world.organization, ItemKind.MERCHANDISE, amount=1000)
    staff = api.as_(world.billing_admin)
    bought = (await staff.execute(BUY, _buy(item, member))).ok("purchaseCreate")["purchase"]
    (await staff.execute(CANCEL, {"id": bought["id"], "credit": 0})).ok("purchaseCancel")
    assert await CreditNote.all().count() == 0
    assert await _ledger_sum(account) == 1150


async def test_the_primary_buys_online_and_sees_the_invoice(api, world, password_hash):
    parent = await make_member("parent@example.test", password_hash, None, None)
    account, _, child = await a_household(world.organization, user=parent.user)
    item = await an_item(world.organization, ItemKind.MERCHANDISE, amount=1000)
    result = await api.as_(parent).execute(BUY, _buy(item, child))
    invoice = result.ok("purchaseCreate")["purchase"]["invoice"]
    assert (invoice["status"], invoice["number"]) == ("OPEN", 1)
    assert await _ledger_sum(account) == 1150


async def test_roles_without_billing_write_and_other_orgs(api, world):
    _, _, member = await a_household(world.organization)
    item = await an_item(world.organization, ItemKind.MERCHANDISE)
    refused = await api.as_(world.viewer).execute(BUY, _buy(item, member))
    assert refused.error_codes == ["FORBIDDEN"]
    anonymous = await api.execute(BUY, _buy(item, member))
    assert anonymous.error_codes == ["UNAUTHENTICATED"]
    foreign = await api.as_(world.outsider).execute(BUY, _buy(item, member))
    assert "NOT_FOUND" in codes(foreign, "purchaseCreate")
    assert await Invoice.all().count() == 0
    bought = await api.as_(world.billing_admin).execute(BUY, _buy(item, member))
    pid = bought.ok("purchaseCreate")["purchase"]["id"]
    outsider = await api.as_(world.outsider).execute(CANCEL, {"id": pid, "credit": None})
    assert codes(outsider, "purchaseCancel") == ["NOT_FOUND"]
    viewer = await api.as_(world.viewer).execute(CANCEL, {"id": pid, "credit": None})
    assert codes(viewer, "purchaseCancel") == ["FORBIDDEN"]
    assert await CreditNote.all().count() == 0
    assert await Purchase.filter(status=HoldingStatus.CANCELED).count() == 0


async def test_an_active_subscription_is_invoiced_for_its_first_period(api, world):
    account, _, member = await a_household(world.organization)
    plan = await a_plan(world.organization, monthly=5000)
    staff = api.as_(world.billing_admin)
    variables = {"m": gid("AccountContact", member), "p": gid("Plan", plan), "s": "ACTIVE"}
    result = await staff.execute(SUBSCRIBE, variables)
    invoice = result.ok("subscriptionCreate")["subscription"]["invoice"]
    assert (invoice["status"], invoice["number"], invoice["total"]["amount"]) == ("OPEN", 1, 5749)
    assert (await Subscription.get()).invoice_id is not None
    assert await _ledger_sum(account) == 5749
    # A TRIAL is not invoiced.
    _, _, other = await a_household(world.organization)
    trial = await staff.execute(
        SUBSCRIBE, {"m": gid("AccountContact", other), "p": gid("Plan", plan), "s": "TRIAL"}
    )
    assert trial.ok("subscriptionCreate")["subscription"]["invoice"] is None
    assert await Invoice.all().count() == 1
