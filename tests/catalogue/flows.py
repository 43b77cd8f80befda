"""Catalogue records made directly in the database, and the operations the tests send."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count

from models.accounts import AccessLevel, AccountContact, AccountContactKind, ClientAccount
from models.catalogue import (
    CatalogueItem,
    CatalogueSlot,
    ItemKind,
    PassKind,
    Plan,
    PlanPrice,
    PriceInterval,
)
from resolvers.common.time import now
from schema import ids
from tests.support.contacts import new_contact

_serial = count()
ERRORS = "errors { code field message }"


async def a_household(organization, *, holder_birth: date = date(1980, 1, 1), user=None):
    """An account whose adult primary (linked to `user`, when given) is its first member,
    with a second member; returns (account, primary's link, member's link)."""
    n = next(_serial)
    holder = await new_contact(organization, f"Holder{n} House{n}")
    holder.birth_date = holder_birth
    holder.user = user
    await holder.save()
    member = await new_contact(organization, f"Member{n} House{n}")
    account = await ClientAccount.create(
        organization=organization, name=f"House{n}", sort_name=f"house{n}", primary_contact=holder
    )
    primary = await AccountContact.create(
        account=account,
        contact=holder,
        kind=AccountContactKind.MEMBER,
        access_level=AccessLevel.FULL,
    )
    link = await AccountContact.create(
        account=account, contact=member, kind=AccountContactKind.MEMBER
    )
    return account, primary, link


async def a_plan(organization, monthly: int = 5000, name: str | None = None) -> Plan:
    plan = await Plan.create(
        organization=organization, name=name or f"Plan {next(_serial)}", currency="CAD"
    )
    await PlanPrice.create(plan=plan, interval=PriceInterval.MONTHLY, amount=monthly)
    return plan


async def an_item(
    organization,
    kind: ItemKind = ItemKind.ACTIVITY,
    amount: int = 2000,
    pass_kind: PassKind | None = None,
) -> CatalogueItem:
    return await CatalogueItem.create(
        organization=organization,
        kind=kind,
        pass_kind=pass_kind,
        name=f"Item {next(_serial)}",
        amount=amount,
        currency="CAD",
    )


async def a_slot(organization, capacity: int = 5, days: int = 7, item=None) -> CatalogueSlot:
    item = item or await an_item(organization)
    start = now() + timedelta(days=days)
    return await CatalogueSlot.create(
        item=item, starts_at=start, ends_at=start + timedelta(hours=1), capacity=capacity
    )


def gid(type_name: str, record) -> str:
    return ids.encode(type_name, record.id)


BOOK = f"""mutation($input: BookingCreateInput!) {{ bookingCreate(input: $input) {{
  booking {{ id status }} {ERRORS} }} }}"""
BUY = f"""mutation($input: PurchaseCreateInput!) {{ purchaseCreate(input: $input) {{
  purchase {{ id unitAmount currency quantity totalAmount coversAccount status }} {ERRORS} }} }}"""
MEMBER = """query($id: ID!) { member(id: $id) { id
  purchases { id status coversAccount unitAmount item { name } }
  bookings { id status }
  subscriptions { id status plan { name } } } }"""
