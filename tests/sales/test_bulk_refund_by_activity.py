"""`paymentsBulkRefund` by activity and slot dates (seed 003's "remboursement de masse":
the payments for one activity in a date range): the charged bookings of that activity's
slots starting in [slotsFrom, slotsTo), each payment once, in full or a fixed amount; run
twice, refunded once. Slot dates without an activity, or an end before the start, are
INVALID (EN/FR); another organization's activity is NOT_FOUND; nothing is started."""

from datetime import timedelta

from models.billing import Refund, RefundStatus
from models.bulk import BulkOperation
from resolvers.common.time import now
from tests.catalogue.flows import ERRORS, a_household, a_slot, an_item, gid
from tests.support.worker import run_worker

BOOK = f"""mutation($slot: ID!, $member: ID!) {{
  bookingCreate(input: {{slotId: $slot, memberId: $member}}) {{
  booking {{ purchase {{ invoice {{ id total {{ amount }} }} }} }} {ERRORS} }} }}"""
PAY = f"""mutation($invoice: ID!, $amount: Int!) {{
  paymentRecord(input: {{invoiceId: $invoice, method: CASH,
    amount: {{amount: $amount, currency: "CAD"}}}}) {{ payment {{ id }} {ERRORS} }} }}"""
BULK = """mutation($o: ID!, $t: PaymentTargetInput!, $a: MoneyInput) {
  paymentsBulkRefund(input: {organizationId: $o, target: $t, amount: $a,
    reason: "Spring session cancelled"}) {
    operation { id total } errors { code field message } } }"""


async def _booked_and_paid(api, world, slot):
    _, _, member = await a_household(world.organization)
    staff = api.as_(world.billing_admin)
    booked = await staff.execute(
        BOOK, {"slot": gid("CatalogueSlot", slot), "member": gid("AccountContact", member)}
    )
    invoice = booked.ok("bookingCreate")["booking"]["purchase"]["invoice"]
    paid = await staff.execute(
        PAY, {"invoice": invoice["id"], "amount": invoice["total"]["amount"]}
    )
    return paid.ok("paymentRecord")["payment"]["id"]


async def test_the_payments_of_one_activity_in_a_date_range_are_refunded_once(api, world, settings):
    swim = await an_item(world.organization, amount=2000)
    tennis = await an_item(world.organization, amount=2000)
    spring = [await a_slot(world.organization, item=swim, days=d) for d in (10, 11)]
    summer = await a_slot(world.organization, item=swim, days=40)
    court = await a_slot(world.organization, item=tennis, days=10)
    refunded = [await _booked_and_paid(api, world, slot) for slot in spring]
    for slot in (spring[0], summer, court):  # a second booking of a spring slot, and others
        await _booked_and_paid(api, world, slot)
    refunded.append(await _booked_and_paid(api, world, spring[1]))
    target = {
        "activityId": gid("CatalogueItem", swim),
        "slotsFrom": (now() + timedelta(days=5)).isoformat(),
        "slotsTo": (now() + timedelta(days=20)).isoformat(),
    }
    owner = api.as_(world.owner)
    result = await owner.execute(
        BULK, {"o": world.org_gid, "t": target, "a": {"amount": 1000, "currency": "CAD"}}
    )
    assert result.ok("paymentsBulkRefund")["operation"]["total"] == 4
    await run_worker(settings)
    await run_worker(settings)  # run twice: refunded once
    rows = await Refund.filter(status=RefundStatus.SUCCEEDED).values_list("payment_id", "amount")
    assert len(rows) == 4 and {amount for _, amount in rows} == {1000}
    assert await Refund.all().count() == 4


async def test_bad_activity_targets_start_nothing(api, world):
    swim = await an_item(world.organization, amount=2000)
    theirs = await an_item(world.other_organization, amount=2000)
    owner = api.as_(world.owner).with_headers(**{"accept-language": "fr"})
    later = (now() + timedelta(days=5)).isoformat()
    no_activity = await owner.execute(BULK, {"o": world.org_gid, "t": {"slotsFrom": later}})
    [error] = no_activity.payload("paymentsBulkRefund")["errors"]
    assert error["code"] == "INVALID" and error["field"] == ["input", "target", "activityId"]
    assert "activité" in error["message"]
    backwards = await owner.execute(
        BULK,
        {
            "o": world.org_gid,
            "t": {"activityId": gid("CatalogueItem", swim), "slotsFrom": later, "slotsTo": later},
        },
    )
    assert backwards.payload_codes("paymentsBulkRefund") == ["INVALID"]
    foreign = await owner.execute(
        BULK, {"o": world.org_gid, "t": {"activityId": gid("CatalogueItem", theirs)}}
    )
    assert foreign.payload_codes("paymentsBulkRefund") == ["NOT_FOUND"]
    assert await BulkOperation.all().count() == 0
