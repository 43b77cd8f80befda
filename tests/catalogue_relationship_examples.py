"""Relationship-matrix examples of the catalogue's client side: the account's primary buys,
books and cancels bookings for their household, and reads a member's holdings; staff of
the organization do the same through BILLING_* (tests/catalogue_authz_examples.py)."""

from __future__ import annotations

from models.accounts import AccountContact
from models.catalogue import Booking, ItemKind
from schema import ids
from tests.catalogue.flows import BOOK, BUY, MEMBER, a_slot, an_item, gid
from tests.support.relationships import relationship_example

ERRORS = "errors { code field message }"
CANCEL = f"""mutation($id: ID!) {{ bookingCancel(input: {{bookingId: $id}}) {{
  booking {{ id status }} {ERRORS} }} }}"""


async def a_child(house, column):
    return {"id": house.links["child"]}


async def an_item_for_the_child(house, column):
    item = await an_item(house.world.organization, ItemKind.MERCHANDISE)
    return {"input": {"itemId": gid("CatalogueItem", item), "memberId": house.links["child"]}}


async def a_slot_for_the_child(house, column):
    slot = await a_slot(house.world.organization)
    return {"input": {"slotId": gid("CatalogueSlot", slot), "memberId": house.links["child"]}}


async def a_booking_of_the_child(house, column):
    slot = await a_slot(house.world.organization)
    link = await AccountContact.get(id=ids.decode_as(house.links["child"], "AccountContact"))
    booking = await Booking.create(
        slot=slot, member=link, contact_id=link.contact_id, starts_at=slot.starts_at
    )
    return {"id": gid("Booking", booking)}


relationship_example("Query.member", MEMBER, a_child)
relationship_example("Mutation.purchaseCreate", BUY, an_item_for_the_child)
relationship_example("Mutation.bookingCreate", BOOK, a_slot_for_the_child)
relationship_example("Mutation.bookingCancel", CANCEL, a_booking_of_the_child)
