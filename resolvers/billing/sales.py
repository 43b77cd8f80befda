"""Sales through the ledger: a purchase, or a subscription created ACTIVE, is invoiced in
the same unit of work (an invoice for the account with the catalogue's lines, finalized:
OPEN and numbered); cancelling a purchase credits what was not consumed (in full unless
told otherwise) with a credit note. Everything goes through the ledger's own functions
(invoices, credit_notes): no invoice arithmetic here.

Every sold line carries Québec's GST and QST (`SALE_TAX_CODES`).

A MEMBERSHIP purchase also makes a membership card for its member, valid from the day
of purchase (the organization's timezone) for the item's `membership_months`, when the
organization uses cards; when it does not, the purchase is made all the same, without a
card. Cancelling the purchase ends the card's validity (valid until yesterday)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from carnet.i18n import N_
from carnet.settings import current_settings
from models.account_features import MembershipCard
from models.accounts import AccountContact
from models.billing import Invoice, InvoiceStatus
from models.catalogue import (
    Booking,
    CatalogueItem,
    CatalogueSlot,
    HoldingStatus,
    ItemKind,
    Plan,
    PriceInterval,
    Purchase,
    Subscription,
    SubscriptionPeriod,
    SubscriptionStatus,
)
from models.identity import User
from models.organizations import Organization
from resolvers.accounts import features
from resolvers.billing import credit_notes, invoices
from resolvers.billing.money import Money
from resolvers.catalogue import bookings, pricing, purchases, subscriptions
from resolvers.catalogue.common import Caller, audit_event
from resolvers.catalogue.purchases import InvoiceLine
from resolvers.catalogue.subscriptions import add_months
from resolvers.common.actor import Actor, RequestMeta
from resolvers.common.errors import UserErrorCode, UserErrors
from resolvers.common.locks import locked_row
from resolvers.common.tasks import current_unit_of_work, unit_of_work
from resolvers.common.time import today_in

SALE_TAX_CODES = ("GST", "QST")
CANCEL_REASON = "Purchase canceled: what was not consumed is credited."


@dataclass(frozen=True)
class _Acting:
    """What the ledger's functions read of an actor, for staff and clients alike."""

    user: User
    meta: RequestMeta
    organization: Organization

    @property
    def organization_id(self) -> int:
        return self.organization.id


async def _acting(caller: Caller) -> _Acting:
    organization = await Organization.get(id=caller.organization_id)
    return _Acting(caller.user, caller.meta, organization)


async def _invoice(
    acting: _Acting, account_id: int, memo: str, lines: Sequence[InvoiceLine]
) -> Invoice:
    invoice = await invoices.create(acting, account_id, memo)  # type: ignore[arg-type]
    for line in lines:
        await invoices.line_add(
            acting,  # type: ignore[arg-type]
            invoice.id,
            line.description,
            line.quantity,
            line.unit_amount,
            line.currency,
            SALE_TAX_CODES,
        )
    return await invoices.finalize(acting, invoice.id)  # type: ignore[arg-type]


async def sale_invoice(
    caller: Caller, account_id: int, memo: str, lines: Sequence[InvoiceLine]
) -> Invoice:
    """An OPEN invoice of `lines` for the account, made by `caller` (staff, a client, or
    the renewal cron: `Caller` with no user)."""
    return await _invoice(await _acting(caller), account_id, memo, lines)


async def purchase_create(
    caller: Caller, member_id: int, item_id: int, quantity: int, client_side: bool
) -> Purchase:
    async with unit_of_work():
        purchase = await purchases.create(caller, member_id, item_id, quantity, client_side)
        invoice = await _invoice(
            await _acting(caller),
            purchase.account_id,
            f"Purchase {purchase.id}",
            await purchases.invoice_lines(purchase),
        )
        purchase.invoice_id = invoice.id
        purchase.card_id = await _membership_card(caller, purchase)
        await purchase.save(update_fields=["invoice_id", "card_id", "updated_at"])
    return purchase


async def booking_create(
    caller: Caller, slot_id: int, member_id: int, client_side: bool
) -> Booking:
    """Books the slot (capacity and quotas as ever); an activity with a price for the
    member (the best-price rule) is bought with it, like any purchase: a purchase of the
    activity, invoiced OPEN in the same unit of work, linked as `booking.purchase`."""
    async with unit_of_work():
        booking = await bookings.create(caller, slot_id, member_id)
        slot = await CatalogueSlot.get(id=booking.slot_id)
        item = await CatalogueItem.get(id=slot.item_id)
        member = await AccountContact.get(id=booking.member_id)
        quote = await pricing.item_price_for(item, member.contact_id)
        if quote.amount > 0:
            purchase = await purchase_create(caller, member_id, item.id, 1, client_side)
            booking.purchase_id = purchase.id
            await booking.save(update_fields=["purchase_id", "updated_at"])
    return booking


async def booking_cancel(caller: Caller, booking_id: int) -> Booking:
    """Cancels the booking and, when it was charged, its purchase: a credit note for all
    that remains creditable on its invoice."""
    async with unit_of_work():
        booking = await bookings.cancel(caller, booking_id)
        if booking.purchase_id is not None:
            purchase = await Purchase.get(id=booking.purchase_id)
            if purchase.status is HoldingStatus.ACTIVE:
                await purchase_cancel(caller, purchase.id, None)
    return booking


async def _membership_card(caller: Caller, purchase: Purchase) -> int | None:
    item = await CatalogueItem.get(id=purchase.item_id)
    if item.kind is not ItemKind.MEMBERSHIP:
        return None
    if not (await features.features(purchase.organization_id)).membership_cards:
        return None  # the organization does not use cards: the purchase stands alone
    organization = await Organization.get(id=purchase.organization_id)
    start = today_in(organization.timezone)
    member = await AccountContact.get(id=purchase.member_id)
    card = await features.issue_card(
        purchase.organization_id,
        member.contact_id,
        f"P-{purchase.id}",
        start,
        add_months(start, item.membership_months) - timedelta(days=1),  # type: ignore[arg-type]
        by=caller.user,
        meta=caller.meta,
    )
    return card.id


async def _end_card(purchase: Purchase) -> None:
    if purchase.card_id is None:
        return
    organization = await Organization.get(id=purchase.organization_id)
    yesterday = today_in(organization.timezone) - timedelta(days=1)
    await MembershipCard.filter(id=purchase.card_id, valid_to__gt=yesterday).update(
        valid_to=yesterday
    )


async def purchase_cancel(caller: Caller, purchase_id: int, credit: int | None) -> Purchase:
    """Cancels and credits `credit` minor units of its invoice (None: all that remains
    creditable; 0: nothing, everything was consumed)."""
    async with unit_of_work():
        purchase = await purchases.cancel(caller, purchase_id)
        await _end_card(purchase)
        invoice = (
            await Invoice.get(id=purchase.invoice_id) if purchase.invoice_id is not None else None
        )
        creditable = 0
        if invoice is not None and invoice.status in credit_notes.CREDITABLE:
            creditable = invoice.total - invoice.amount_credited
        amount = creditable if credit is None else credit
        if not 0 <= amount <= creditable:
            raise UserErrors.single(
                UserErrorCode.AMOUNT_TOO_HIGH if amount > 0 else UserErrorCode.INVALID,
                ("input", "credit_amount"),
                N_("Credit from 0 to {amount} (in cents) for this purchase."),
                amount=creditable,
            )
        if amount and invoice is not None:
            await credit_notes.create(
                await _acting(caller),  # type: ignore[arg-type]
                invoice.id,
                Money(amount, invoice.currency),
                CANCEL_REASON,
            )
    return purchase


async def subscription_create(
    actor: Actor,
    member_id: int,
    plan_id: int,
    interval: PriceInterval,
    status: SubscriptionStatus,
    starts_at: datetime | None,
    payment_source: str | None = None,
    family: bool = False,
) -> Subscription:
    """A subscription created ACTIVE is invoiced for its first period (a TRIAL is not);
    with a payment source, that invoice is charged to the card by a job."""
    async with unit_of_work():
        subscription = await subscriptions.create(
            actor, member_id, plan_id, interval, status, starts_at, payment_source, family
        )
        if subscription.status is SubscriptionStatus.ACTIVE:
            plan = await Plan.get(id=subscription.plan_id)
            line = InvoiceLine(
                purchase_id=0,
                description=period_description(plan, subscription),
                quantity=1,
                unit_amount=subscription.unit_amount,
                currency=subscription.currency,
            )
            member = await subscription.member
            invoice = await _invoice(
                _Acting(actor.user, actor.meta, actor.organization),
                member.account_id,
                f"Subscription {subscription.id}",
                [line],
            )
            subscription.invoice_id = invoice.id
            await subscription.save(update_fields=["invoice_id", "updated_at"])
            await start_period(subscription, invoice)
    return subscription


def period_description(plan: Plan, subscription: Subscription) -> str:
    start = subscription.current_period_start.date().isoformat()
    end = subscription.current_period_end.date().isoformat()
    family = ", family" if subscription.covers_account else ""
    return f"{plan.name} ({subscription.interval.value.lower()}{family}, {start} – {end})"


async def start_period(subscription: Subscription, invoice: Invoice | None) -> SubscriptionPeriod:
    """Records the subscription's current period (once per start: a second call finds
    it), makes its invoice the one due (in `subscription_due_days`), and queues the card
    charge when the subscription has a payment source. The caller saves `subscription`'s
    due fields."""
    period, created = await SubscriptionPeriod.get_or_create(
        subscription_id=subscription.id,
        period_start=subscription.current_period_start,
        defaults={
            "period_end": subscription.current_period_end,
            "unit_amount": subscription.unit_amount,
            "currency": subscription.currency,
            "invoice_id": invoice.id if invoice else None,
        },
    )
    if not created or invoice is None or invoice.status is not InvoiceStatus.OPEN:
        return period
    days = current_settings().subscription_due_days
    subscription.due_invoice_id = invoice.id
    subscription.due_at = subscription.current_period_start + timedelta(days=days)
    await subscription.save(update_fields=["due_invoice_id", "due_at", "updated_at"])
    if subscription.payment_source:
        period.charge_state = CHARGE_PENDING
        await period.save(update_fields=["charge_state", "updated_at"])
        await current_unit_of_work().defer("charge_subscription_period", period.id)
    return period


CHARGE_PENDING = "PENDING"

MAX_MEMBERSHIP_MONTHS = 120


def _settings(item: CatalogueItem) -> dict:
    return {"rl24_eligible": item.rl24_eligible, "membership_months": item.membership_months}


async def item_billing_set(
    actor: Actor, item_id: int, rl24_eligible: bool | None, membership_months: int | None
) -> CatalogueItem:
    """An item's billing settings: RL-24 eligibility, a membership's card period."""
    if membership_months is not None and not 1 <= membership_months <= MAX_MEMBERSHIP_MONTHS:
        raise UserErrors.single(
            UserErrorCode.INVALID,
            ("input", "membership_months"),
            N_("A membership lasts from 1 to {max} months."),
            max=MAX_MEMBERSHIP_MONTHS,
        )
    async with unit_of_work():
        item = await locked_row(CatalogueItem, actor, item_id, ("input", "item_id"))
        before = _settings(item)
        if rl24_eligible is not None:
            item.rl24_eligible = rl24_eligible
        if membership_months is not None:
            item.membership_months = membership_months
        await item.save(update_fields=["rl24_eligible", "membership_months", "updated_at"])
        await audit_event(
            actor,
            "catalogue_item.billing_set",
            ("CatalogueItem", item.id),
            before=before,
            after=_settings(item),
        )
    return item
