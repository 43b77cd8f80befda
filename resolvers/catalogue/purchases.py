"""Purchases of catalogue items per account member ("Achats", seed 002).

Staff buy on a client's behalf (billing.write, "Effectuer un achat"); from the client side
the account's primary buys for the account's members, and only an adult of at least 18
can buy. A FAMILY pass is one purchase covering every member of the account: it is listed
under each of them. A purchase records the unit price and currency actually charged (the
best-price rule at that moment); a canceled one stays, listed among the cancellations.

What to invoice for a purchase is `invoice_lines(purchase)`'s to say, and no one else's:
the ledger calls it. No invoice is made here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from tortoise.expressions import Q

from carnet.i18n import N_
from models.accounts import AccountContact
from models.catalogue import CatalogueItem, HoldingStatus, ItemKind, PassKind, Purchase
from models.contacts import Contact
from models.organizations import Organization
from resolvers.accounts.people import ADULT_AGE, is_adult
from resolvers.catalogue import pricing, subscriptions
from resolvers.catalogue.common import Caller, audit_event, locked_member
from resolvers.common.errors import ErrorCollector, NotFound, UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now

MAX_QUANTITY = 100


@dataclass(frozen=True)
class InvoiceLine:
    """One line the ledger puts on an invoice for a purchase; amounts in minor units."""

    purchase_id: int
    description: str
    quantity: int
    unit_amount: int
    currency: str

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_amount


async def invoice_lines(purchase: Purchase) -> list[InvoiceLine]:
    """What should be invoiced for this purchase: one line at the unit price charged, or
    nothing once it is canceled (a credit note is the ledger's answer to an invoiced one)."""
    if purchase.status is HoldingStatus.CANCELED:
        return []
    item = await CatalogueItem.get(id=purchase.item_id)
    description = item.name
    if purchase.covers_account:
        description = f"{item.name} (family)"
    return [
        InvoiceLine(
            purchase_id=purchase.id,
            description=description,
            quantity=purchase.quantity,
            unit_amount=purchase.unit_amount,
            currency=purchase.currency,
        )
    ]


async def _check_buyer(caller: Caller, member: AccountContact) -> None:
    """From the client side the buyer is the account's primary, who must be an adult."""
    holder = await Contact.get(id=member.account.primary_contact_id)
    organization = await Organization.get(id=caller.organization_id)
    if not is_adult(holder.birth_date, organization):
        raise UserErrors.single(
            UserErrorCode.UNDER_AGE,
            ("input", "member_id"),
            N_("Only an adult of at least {age} can buy."),
            age=ADULT_AGE,
        )


async def create(
    caller: Caller, member_id: int, item_id: int, quantity: int, client_side: bool
) -> Purchase:
    errors = ErrorCollector()
    if not 0 < quantity <= MAX_QUANTITY:
        errors.add(
            UserErrorCode.INVALID,
            ("input", "quantity"),
            N_("The quantity is from 1 to {max}."),
            max=MAX_QUANTITY,
        )
    errors.raise_if_any()
    async with unit_of_work():
        member = await locked_member(caller, member_id, ("input", "member_id"))
        item = await CatalogueItem.get_or_none(id=item_id, organization_id=caller.organization_id)
        if item is None:
            raise NotFound(("input", "item_id"))
        if item.archived_at is not None:
            raise UserErrors.single(
                UserErrorCode.ARCHIVED, ("input", "item_id"), N_("This item is no longer sold.")
            )
        family = item.kind is ItemKind.PASS and item.pass_kind is PassKind.FAMILY
        if family and quantity != 1:
            raise UserErrors.single(
                UserErrorCode.INVALID,
                ("input", "quantity"),
                N_("A family pass covers the whole account: buy one."),
            )
        if client_side:
            await _check_buyer(caller, member)
        quote = await pricing.item_price_for(item, member.contact_id)
        purchase = await Purchase.create(
            organization_id=caller.organization_id,
            account_id=member.account_id,
            member_id=member.id,
            item_id=item.id,
            covers_account=family,
            quantity=quantity,
            unit_amount=quote.amount,
            currency=quote.currency,
            created_by=caller.user,
        )
        await audit_event(
            caller,
            "purchase.create",
            ("Purchase", purchase.id),
            after={
                "item_id": item.id,
                "member_id": member.id,
                "quantity": quantity,
                "unit_amount": quote.amount,
                "currency": quote.currency,
                "client_side": client_side,
            },
        )
    return purchase


async def cancel(caller: Caller, purchase_id: int) -> Purchase:
    async with unit_of_work():
        purchase = (
            await Purchase.filter(id=purchase_id, organization_id=caller.organization_id)
            .select_for_update()
            .first()
        )
        if purchase is None:
            raise NotFound(("input", "purchase_id"))
        if purchase.status is HoldingStatus.CANCELED:
            raise UserErrors.single(
                UserErrorCode.ALREADY_CANCELED,
                ("input", "purchase_id"),
                N_("This purchase is already canceled."),
            )
        purchase.status = HoldingStatus.CANCELED
        purchase.canceled_at = now()
        await purchase.save(update_fields=["status", "canceled_at", "updated_at"])
        await audit_event(caller, "purchase.cancel", ("Purchase", purchase.id))
    return purchase


async def purchases_of(member_ids: list[int]) -> list[list[Purchase]]:
    """Each member's purchases and the family passes of their account (CANCELED, as of its
    date, for a member taken off one), newest first; three statements however many
    members."""
    accounts = dict(await AccountContact.filter(id__in=member_ids).values_list("id", "account_id"))
    rows = await Purchase.filter(
        Q(member_id__in=member_ids)
        | Q(covers_account=True, account_id__in=list(set(accounts.values())) or [0])
    ).order_by("-id")
    family = [row.id for row in rows if row.covers_account]
    off = await subscriptions.family_cancellations(member_ids, purchase_ids=family)
    found: dict[int, list[Purchase]] = defaultdict(list)
    for pk in member_ids:
        for row in rows:
            if row.member_id == pk or (row.covers_account and row.account_id == accounts.get(pk)):
                found[pk].append(subscriptions.as_canceled(row, off.get((row.id, pk))))
    return [found[pk] for pk in member_ids]
