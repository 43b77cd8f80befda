"""Bookings charged: booking a slot of an activity with a price buys it like any purchase
(a purchase of the activity at the member's best price, invoiced OPEN with GST and QST in
the same unit of work); cancelling the booking cancels that purchase with a credit note;
a free activity books without any invoice; quotas are unchanged."""

from models.billing import CreditNote, Invoice, InvoiceStatus
from models.catalogue import (
    Booking,
    CatalogueItemPrice,
    GroupBookingQuota,
    HoldingStatus,
    Purchase,
    QuotaPeriod,
)
from models.groups import Group, GroupMember
from tests.catalogue.flows import ERRORS, a_household, a_slot, an_item, gid
from tests.support.world import make_member

BOOK = f"""mutation($slot: ID!, $member: ID!) {{
  bookingCreate(input: {{slotId: $slot, memberId: $member}}) {{
  booking {{ id status purchase {{ id status unitAmount invoice {{ id status number
    total {{ amount }} amountDue {{ amount }} }} }} }} {ERRORS} }} }}"""
CANCEL = f"""mutation($id: ID!) {{ bookingCancel(input: {{bookingId: $id}}) {{
  booking {{ status purchase {{ status invoice {{ amountCredited {{ amount }}
    amountDue {{ amount }} }} }} }} {ERRORS} }} }}"""


def _vars(slot, member):
    return {"slot": gid("CatalogueSlot", slot), "member": gid("AccountContact", member)}


async def test_booking_a_priced_activity_invoices_it_and_cancelling_credits_it(api, world):
    account, _, member = await a_household(world.organization)
    item = await an_item(world.organization, amount=2000)
    juniors = await Group.create(organization=world.organization, name="Juniors")
    await GroupMember.create(group=juniors, contact_id=member.contact_id)
    await CatalogueItemPrice.create(item=item, group=juniors, amount=1000)
    slot = await a_slot(world.organization, item=item)
    staff = api.as_(world.billing_admin)
    booked = (await staff.execute(BOOK, _vars(slot, member))).ok("bookingCreate")["booking"]
    purchase = booked["purchase"]
    assert purchase["status"] == "ACTIVE" and purchase["unitAmount"] == 1000  # best price
    # 10.00 $ + GST 0.50 $ + QST 0.9975 $ → 1.00 $.
    assert purchase["invoice"]["status"] == "OPEN" and purchase["invoice"]["number"] == 1
    assert purchase["invoice"]["total"]["amount"] == 1150
    invoice = await Invoice.get()
    assert invoice.account_id == account.id

    canceled = (await staff.execute(CANCEL, {"id": booked["id"]})).ok("bookingCancel")
    body = canceled["booking"]
    assert body["status"] == "CANCELED" and body["purchase"]["status"] == "CANCELED"
    assert body["purchase"]["invoice"]["amountCredited"]["amount"] == 1150
    assert body["purchase"]["invoice"]["amountDue"]["amount"] == 0
    assert await CreditNote.all().count() == 1
    assert (await Purchase.get()).status is HoldingStatus.CANCELED


async def test_a_free_activity_books_without_an_invoice(api, world):
    _, _, member = await a_household(world.organization)
    item = await an_item(world.organization, amount=0)
    slot = await a_slot(world.organization, item=item)
    staff = api.as_(world.billing_admin)
    booked = (await staff.execute(BOOK, _vars(slot, member))).ok("bookingCreate")["booking"]
    assert booked["purchase"] is None
    (await staff.execute(CANCEL, {"id": booked["id"]})).ok("bookingCancel")
    assert await Invoice.all().count() == 0 and await Purchase.all().count() == 0


async def test_a_refused_booking_buys_nothing_and_quotas_still_hold(api, world):
    _, _, member = await a_household(world.organization)
    item = await an_item(world.organization, amount=2000)
    group = await Group.create(organization=world.organization, name="Juniors")
    await GroupMember.create(group=group, contact_id=member.contact_id)
    await GroupBookingQuota.create(group=group, period=QuotaPeriod.MONTH, max_bookings=1)
    first = await a_slot(world.organization, item=item, days=3)
    second = await a_slot(world.organization, item=item, days=3)
    staff = api.as_(world.billing_admin)
    (await staff.execute(BOOK, _vars(first, member))).ok("bookingCreate")
    refused = await staff.execute(BOOK, _vars(second, member))
    assert refused.payload_codes("bookingCreate") == ["QUOTA_EXCEEDED"]
    assert await Invoice.all().count() == 1 and await Purchase.all().count() == 1
    assert await Booking.all().count() == 1


async def test_the_primary_books_and_pays_for_a_member_online(api, world, password_hash):
    parent = await make_member("parent@example.test", password_hash, None, None)
    _, _, child = await a_household(world.organization, user=parent.user)
    slot = await a_slot(world.organization)
    booked = (await api.as_(parent).execute(BOOK, _vars(slot, child))).ok("bookingCreate")
    invoice = booked["booking"]["purchase"]["invoice"]
    assert invoice["status"] == "OPEN" and invoice["amountDue"]["amount"] == 2300
    (await api.as_(parent).execute(CANCEL, {"id": booked["booking"]["id"]})).ok("bookingCancel")
    # Credited in full: nothing remains due (the ledger calls that PAID).
    assert (await Invoice.get()).status is InvoiceStatus.PAID
    assert await CreditNote.all().count() == 1
