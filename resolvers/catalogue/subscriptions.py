"""Subscriptions of account members to plans, made and canceled by staff (billing.write).

A subscription is MONTHLY or ANNUAL (a ONE_OFF price is a purchase, not a subscription),
starts in TRIAL or ACTIVE, and records the price the member pays by the best-price rule at
that moment. While TRIAL, ACTIVE or PAST_DUE it makes the member's contact a subscriber.
"""

from __future__ import annotations

import calendar
import copy
from collections import defaultdict
from datetime import datetime

from tortoise.expressions import Q

from carnet.i18n import N_
from models.accounts import AccountContact, AccountContactKind
from models.catalogue import (
    LIVE_SUBSCRIPTION,
    FamilyCoverCancellation,
    HoldingStatus,
    Plan,
    PriceInterval,
    Subscription,
    SubscriptionStatus,
)
from resolvers.catalogue import pricing
from resolvers.catalogue.common import audit_event, locked_member
from resolvers.common.actor import Actor
from resolvers.common.errors import ErrorCollector, NotFound, UserErrorCode, UserErrors
from resolvers.common.locks import locked_row
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.common.validation import clean_text

STARTING = (SubscriptionStatus.TRIAL, SubscriptionStatus.ACTIVE)


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later, or that month's last day when it is shorter."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def period_end(start: datetime, interval: PriceInterval) -> datetime:
    return add_months(start, 12 if interval is PriceInterval.ANNUAL else 1)


async def create(
    actor: Actor,
    member_id: int,
    plan_id: int,
    interval: PriceInterval,
    status: SubscriptionStatus,
    starts_at: datetime | None,
    payment_source: str | None = None,
    family: bool = False,
) -> Subscription:
    """`family`: the subscription covers every MEMBER of the member's account (one price,
    the member's best), each of whom can be taken off it alone (`cancel_for_member`)."""
    errors = ErrorCollector()
    source = clean_source(payment_source, errors)
    if interval is PriceInterval.ONE_OFF:
        errors.add(
            UserErrorCode.INVALID,
            ("input", "interval"),
            N_("A subscription renews MONTHLY or ANNUAL."),
        )
    if status not in STARTING:
        errors.add(
            UserErrorCode.INVALID,
            ("input", "status"),
            N_("A subscription starts in TRIAL or ACTIVE."),
        )
    errors.raise_if_any()
    async with unit_of_work():
        member = await locked_member(actor, member_id, ("input", "member_id"))
        plan = await Plan.get_or_none(id=plan_id, organization_id=actor.organization_id)
        if plan is None:
            raise NotFound(("input", "plan_id"))
        if plan.archived_at is not None:
            raise UserErrors.single(
                UserErrorCode.ARCHIVED, ("input", "plan_id"), N_("This plan is archived.")
            )
        quote = await pricing.plan_price_for(plan, member.contact_id, interval)
        if quote is None:
            raise UserErrors.single(
                UserErrorCode.NOT_PRICED,
                ("input", "interval"),
                N_("This plan has no price for this interval."),
            )
        held = Subscription.filter(plan_id=plan.id, status__in=LIVE_SUBSCRIPTION)
        if await held.filter(
            Q(member_id=member.id) | Q(account_id=member.account_id, covers_account=True)
        ).exists():
            raise UserErrors.single(
                UserErrorCode.ALREADY_EXISTS,
                ("input", "plan_id"),
                N_("This member already subscribes to this plan."),
            )
        start = starts_at or now()
        subscription = await Subscription.create(
            organization_id=actor.organization_id,
            plan_id=plan.id,
            member_id=member.id,
            contact_id=member.contact_id,
            interval=interval,
            status=status,
            current_period_start=start,
            current_period_end=period_end(start, interval),
            unit_amount=quote.amount,
            currency=quote.currency,
            created_by=actor.user,
            payment_source=source,
            account_id=member.account_id,
            covers_account=family,
        )
        await audit_event(
            actor,
            "subscription.create",
            ("Subscription", subscription.id),
            after={
                "plan_id": plan.id,
                "member_id": member.id,
                "interval": interval.value,
                "status": status.value,
                "unit_amount": quote.amount,
                "currency": quote.currency,
                "group_id": quote.group.id if quote.group else None,
                "family": family,
            },
        )
    return subscription


def clean_source(value: str | None, errors: ErrorCollector) -> str:
    """A card source of the payment provider (its token), or "" for none."""
    return clean_text(value, errors, ("input", "payment_source"), max_length=200)


async def cancel(actor: Actor, subscription_id: int, at_period_end: bool = False) -> Subscription:
    """At once (CANCELED), or at the current period's end (`at_period_end`: it stays what
    it is until then, is not renewed, and the renewal cron makes it EXPIRED then)."""
    async with unit_of_work():
        subscription = await locked_row(
            Subscription, actor, subscription_id, ("input", "subscription_id")
        )
        if subscription.status not in LIVE_SUBSCRIPTION or (
            at_period_end and subscription.cancel_at_period_end
        ):
            raise UserErrors.single(
                UserErrorCode.ALREADY_CANCELED,
                ("input", "subscription_id"),
                N_("This subscription has already ended."),
            )
        if at_period_end:
            subscription.cancel_at_period_end = True
            await subscription.save(update_fields=["cancel_at_period_end", "updated_at"])
            await audit_event(
                actor,
                "subscription.cancel_at_period_end",
                ("Subscription", subscription.id),
                after={"ends_at": subscription.current_period_end.isoformat()},
            )
            return subscription
        before = subscription.status
        subscription.status = SubscriptionStatus.CANCELED
        subscription.canceled_at = now()
        await subscription.save(update_fields=["status", "canceled_at", "updated_at"])
        await audit_event(
            actor,
            "subscription.cancel",
            ("Subscription", subscription.id),
            before={"status": before.value},
            after={"status": subscription.status.value},
        )
    return subscription


async def payment_source_set(
    actor: Actor, subscription_id: int, source: str | None
) -> Subscription:
    """The card the renewals charge; empty or null: none (renewal invoices stay OPEN)."""
    errors = ErrorCollector()
    cleaned = clean_source(source, errors)
    errors.raise_if_any()
    async with unit_of_work():
        subscription = await locked_row(
            Subscription, actor, subscription_id, ("input", "subscription_id")
        )
        if subscription.status not in LIVE_SUBSCRIPTION:
            raise UserErrors.single(
                UserErrorCode.ALREADY_CANCELED,
                ("input", "subscription_id"),
                N_("This subscription has already ended."),
            )
        before = bool(subscription.payment_source)
        subscription.payment_source = cleaned
        await subscription.save(update_fields=["payment_source", "updated_at"])
        await audit_event(
            actor,
            "subscription.payment_source_set",
            ("Subscription", subscription.id),
            before={"has_payment_source": before},
            after={"has_payment_source": bool(cleaned)},
        )
    return subscription


async def subscriptions_of(member_ids: list[int]) -> list[list[Subscription]]:
    """Each member's subscriptions and the family subscriptions covering them (CANCELED,
    as of its date, for a member taken off one), newest first; four statements."""
    members = await AccountContact.filter(id__in=member_ids).values("id", "account_id", "kind")
    households = {
        m["id"]: m["account_id"] for m in members if m["kind"] == AccountContactKind.MEMBER
    }
    rows = await Subscription.filter(
        Q(member_id__in=member_ids)
        | Q(covers_account=True, account_id__in=list(set(households.values())) or [0])
    ).order_by("-id")
    off = await family_cancellations(member_ids, subscription_ids=[r.id for r in rows])
    found: dict[int, list[Subscription]] = defaultdict(list)
    for pk in member_ids:
        for row in rows:
            family = row.covers_account and row.account_id == households.get(pk)
            if row.member_id == pk or family:
                found[pk].append(as_canceled(row, off.get((row.id, pk))))
    return [found[pk] for pk in member_ids]


async def family_cancellations(
    member_ids: list[int],
    *,
    subscription_ids: list[int] | None = None,
    purchase_ids: list[int] | None = None,
) -> dict[tuple[int, int], datetime]:
    """(holding id, member id) → when that member was taken off that family holding."""
    rows = FamilyCoverCancellation.filter(member_id__in=member_ids or [0])
    if subscription_ids is not None:
        pairs = await rows.filter(subscription_id__in=subscription_ids or [0]).values_list(
            "subscription_id", "member_id", "created_at"
        )
    else:
        pairs = await rows.filter(purchase_id__in=purchase_ids or [0]).values_list(
            "purchase_id", "member_id", "created_at"
        )
    return {(holding, member): at for holding, member, at in pairs}


def as_canceled(row, canceled_at: datetime | None):
    """A family holding as one member sees it: CANCELED when they were taken off it (a
    copy: the others still hold it)."""
    if canceled_at is None or row.canceled_at is not None:
        return row
    seen = copy.copy(row)
    seen.status = (
        SubscriptionStatus.CANCELED if isinstance(row, Subscription) else HoldingStatus.CANCELED
    )
    seen.canceled_at = canceled_at
    return seen
