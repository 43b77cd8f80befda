"""The subscriptions' lifecycle, run by the `renew_subscriptions` cron (jobs/billing.py).

For each live subscription (TRIAL, ACTIVE, PAST_DUE), one step at a time, each step in
its own transaction with the subscription's row locked:

- its due invoice paid or voided: nothing is due any more (PAST_DUE → ACTIVE);
- its due invoice unpaid at `due_at` (the period's start + `subscription_due_days`):
  ACTIVE → PAST_DUE; still unpaid `subscription_grace_days` later: EXPIRED;
- its period over: EXPIRED when it was canceled at the period's end; PAST_DUE waits (it
  renews once paid, or expires); TRIAL or ACTIVE renews: the next period, at the member's
  best price then (the best-price rule; the last price when the plan has none for the
  interval any more), an OPEN invoice for it through the ledger (and its email), ACTIVE,
  and a card charge queued when the subscription has a payment source.

Exactly once: a period is recorded at most once per subscription and start (a unique
row), in the same transaction as the subscription moving to it, so a run repeated, or
resumed after a kill, finds nothing left to do for what was done. A card charge is a task
whose provider key is made from the period: a rerun charges once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import Q

from carnet.settings import current_settings
from models.billing import Invoice, InvoiceStatus
from models.catalogue import (
    LIVE_SUBSCRIPTION,
    Plan,
    Subscription,
    SubscriptionPeriod,
    SubscriptionStatus,
)
from models.identity import User
from resolvers.billing import invoices, payments, sales
from resolvers.billing.money import Money
from resolvers.catalogue import pricing
from resolvers.catalogue.common import audit_event
from resolvers.catalogue.purchases import InvoiceLine
from resolvers.catalogue.subscriptions import period_end
from resolvers.common.actor import RequestMeta
from resolvers.common.errors import UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now

log = logging.getLogger(__name__)

SETTLED = (InvoiceStatus.PAID, InvoiceStatus.VOID)
# A subscription left without a run for a long time catches up one period per step.
MAX_STEPS = 60
BATCH = 500


@dataclass(frozen=True)
class _System:
    """The cron acting for an organization: no user, audited as the system."""

    organization_id: int
    user: User | None = None
    meta: RequestMeta = RequestMeta()


async def run_due(at: datetime | None = None) -> int:
    """Every step due at `at` (now unless given); returns how many steps changed a
    subscription (0 when run again)."""
    at = at or now()
    changed = 0
    last = 0
    while True:
        batch = (
            await Subscription.filter(status__in=LIVE_SUBSCRIPTION, id__gt=last)
            .filter(Q(current_period_end__lte=at) | Q(due_at__lte=at))
            .order_by("id")
            .limit(BATCH)
            .values_list("id", flat=True)
        )
        if not batch:
            return changed
        for pk in batch:
            for _ in range(MAX_STEPS):
                try:
                    moved = await step(pk, at)
                except UserErrors as refused:
                    # The ledger refused (a plan's currency no longer the organization's):
                    # the step rolled back; the others go on, and the next run tries again.
                    log.warning("subscription %s not renewed: %s", pk, refused)
                    break
                if not moved:
                    break
                changed += 1
        last = batch[-1]


async def step(subscription_id: int, at: datetime) -> bool:
    """One change of the subscription due at `at`, committed; False when none is due."""
    async with unit_of_work():
        subscription = await Subscription.filter(id=subscription_id).select_for_update().first()
        if subscription is None or subscription.status not in LIVE_SUBSCRIPTION:
            return False
        if subscription.due_invoice_id is not None:
            moved = await _follow_due_invoice(subscription, at)
            if moved or subscription.status is SubscriptionStatus.PAST_DUE:
                return moved
        if subscription.current_period_end > at:
            return False
        if subscription.cancel_at_period_end:
            await _end(subscription, subscription.current_period_end, "period_end")
            return True
        await _renew(subscription)
        return True


async def _set_status(subscription: Subscription, status: SubscriptionStatus, action: str) -> None:
    before = subscription.status
    subscription.status = status
    await subscription.save(
        update_fields=["status", "due_invoice_id", "due_at", "ended_at", "updated_at"]
    )
    await audit_event(
        _System(subscription.organization_id),
        action,
        ("Subscription", subscription.id),
        before={"status": before.value},
        after={"status": status.value},
    )


async def _end(subscription: Subscription, when: datetime, reason: str) -> None:
    subscription.ended_at = when
    await _set_status(subscription, SubscriptionStatus.EXPIRED, f"subscription.expire.{reason}")


async def _follow_due_invoice(subscription: Subscription, at: datetime) -> bool:
    invoice = await Invoice.get(id=subscription.due_invoice_id)
    if invoice.status in SETTLED:
        subscription.due_invoice_id, subscription.due_at = None, None
        if subscription.status is SubscriptionStatus.PAST_DUE:
            await _set_status(subscription, SubscriptionStatus.ACTIVE, "subscription.reactivate")
        else:
            await subscription.save(update_fields=["due_invoice_id", "due_at", "updated_at"])
        return True
    due_at = subscription.due_at or at
    if subscription.status is not SubscriptionStatus.PAST_DUE:
        if due_at <= at:
            await _set_status(subscription, SubscriptionStatus.PAST_DUE, "subscription.past_due")
            return True
        return False
    grace = timedelta(days=current_settings().subscription_grace_days)
    if due_at + grace <= at:
        await _end(subscription, due_at + grace, "unpaid")
        return True
    return False


async def _renew(subscription: Subscription) -> None:
    plan = await Plan.get(id=subscription.plan_id)
    quote = await pricing.plan_price_for(plan, subscription.contact_id, subscription.interval)
    if quote is not None:
        subscription.unit_amount, subscription.currency = quote.amount, quote.currency
    before = subscription.status
    start = subscription.current_period_end
    subscription.current_period_start = start
    subscription.current_period_end = period_end(start, subscription.interval)
    subscription.status = SubscriptionStatus.ACTIVE
    subscription.due_invoice_id, subscription.due_at = None, None
    await subscription.save(
        update_fields=[
            "status",
            "current_period_start",
            "current_period_end",
            "unit_amount",
            "currency",
            "due_invoice_id",
            "due_at",
            "updated_at",
        ]
    )
    invoice = None
    if subscription.unit_amount > 0:
        member = await subscription.member
        line = InvoiceLine(
            purchase_id=0,
            description=sales.period_description(plan, subscription),
            quantity=1,
            unit_amount=subscription.unit_amount,
            currency=subscription.currency,
        )
        invoice = await sales.sale_invoice(
            _System(subscription.organization_id),
            member.account_id,
            f"Subscription {subscription.id}",
            [line],
        )
    period = await sales.start_period(subscription, invoice)
    await audit_event(
        _System(subscription.organization_id),
        "subscription.renew",
        ("Subscription", subscription.id),
        before={"status": before.value},
        after={
            "status": subscription.status.value,
            "period_start": start.isoformat(),
            "unit_amount": subscription.unit_amount,
            "group_id": quote.group.id if quote and quote.group else None,
            "invoice_id": invoice.id if invoice else None,
            "period_id": period.id,
        },
    )


async def charge_period(period_id: int) -> None:
    """The `charge_subscription_period` job: charges the period's invoice to the
    subscription's card once (the provider key is the period's), then follows the
    subscription (PAST_DUE → ACTIVE when it was). A declined card leaves the invoice OPEN."""
    period = await SubscriptionPeriod.get_or_none(id=period_id)
    if period is None or period.charge_state != sales.CHARGE_PENDING or period.invoice_id is None:
        return
    subscription = await Subscription.get(id=period.subscription_id)
    invoice = await Invoice.get(id=period.invoice_id)
    organization = await subscription.organization
    acting = sales._Acting(None, RequestMeta(), organization)  # type: ignore[arg-type]
    left = invoices.remaining(invoice)
    state = "PAID"
    if invoice.status in payments.PAYABLE and left > 0 and subscription.payment_source:
        try:
            await payments.charge(
                acting,  # type: ignore[arg-type]
                invoice.id,
                Money(left, invoice.currency),
                subscription.payment_source,
                f"renewal-{period.id}",
            )
        except UserErrors as error:
            state = "DECLINED"
            await audit_event(
                _System(subscription.organization_id),
                "subscription.charge_failed",
                ("Subscription", subscription.id),
                after={"period_id": period.id, "codes": [e.code.value for e in error.errors]},
            )
    await SubscriptionPeriod.filter(id=period.id, charge_state=sales.CHARGE_PENDING).update(
        charge_state=state
    )
    await step(subscription.id, now())
