"""Team billing (issue 16): one aligned cycle per billing account, one charge and one
ledger invoice per period for every seat its teams pay, mid-cycle starts and upgrades
prorated on their own invoice, failed charges retried on a schedule, then access lost
after a grace period.

Nothing here writes money itself: invoices are created, lined and finalized, and cards
charged, by the ledger's functions (resolvers.billing.invoices / payments), acting as
the organization with no user (`System`). A charge's key (one renewal per period, one
proration per seat, period and type) is written in the same transaction as its invoice,
so the cron run twice, or killed and rerun, invoices once; the card is charged under a
key made of the charge and its attempt, so a rerun after a kill charges once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from carnet.i18n import N_
from models.accounts import AccessLevel, AccountContact, AccountContactKind, ClientAccount
from models.contacts import ContactSource
from models.organizations import Organization
from models.team_billing import (
    BillingInterval,
    TeamBilling,
    TeamBillingAccount,
    TeamCharge,
    TeamChargeItem,
    TeamChargeStatus,
)
from models.teams import PaidBy, Seat, SeatStatus, SeatType, Team
from resolvers.billing.money import line_taxes, totals
from resolvers.common import audit
from resolvers.common.actor import Principal, RequestMeta
from resolvers.common.errors import ErrorCollector, NotFound, UserErrorCode, UserErrors
from resolvers.common.tasks import current_unit_of_work, unit_of_work
from resolvers.common.validation import clean_text
from resolvers.contacts.interactions import record_interaction
from resolvers.teams import clock
from resolvers.teams.billing_periods import Period, period_containing

# Seat prices in the organization's currency's minor units, before taxes.
PRICES: dict[SeatType, dict[BillingInterval, int]] = {
    SeatType.UNLIMITED: {BillingInterval.MONTHLY: 4900, BillingInterval.ANNUAL: 49000},
    SeatType.ESSENTIALS: {BillingInterval.MONTHLY: 2900, BillingInterval.ANNUAL: 29000},
}
TAX_CODES = ["GST", "QST"]
log = logging.getLogger("carnet.teams.billing")
FAILED_TEMPLATE = "team_charge_failed"
BILL_TEAM = "bill_team"  # the job billing one account (jobs.teams.bill_team)


def billing_now() -> datetime:
    """The seats' clock, in UTC (as every stored moment is compared)."""
    return clock.now().astimezone(UTC)


def price(seat_type: SeatType, interval: BillingInterval) -> int:
    return PRICES.get(seat_type, {}).get(interval, 0)


@dataclass(frozen=True)
class System:
    """The organization acting with no user: what the ledger's functions need of an Actor."""

    organization: Organization
    user: None = None
    meta: RequestMeta = field(default_factory=RequestMeta)

    @property
    def organization_id(self) -> int:
        return self.organization.id


def local_date(moment: datetime, organization: Organization) -> date:
    return moment.astimezone(ZoneInfo(organization.timezone)).date()


# ---------------------------------------------------------------- settings and grouping


async def _new_account(team: Team, interval, anchor, method) -> TeamBillingAccount:
    owner = await team.owner
    contact = await record_interaction(
        team.organization_id,
        user=owner,
        first_name=owner.first_name,
        last_name=owner.last_name,
        source=ContactSource.TEAM,
    )
    name = f"Team {team.name}"[:200]
    account = await ClientAccount.create(
        organization_id=team.organization_id,
        name=name,
        sort_name=name.casefold(),
        primary_contact=contact,
    )
    await AccountContact.create(
        account=account,
        contact=contact,
        kind=AccountContactKind.MEMBER,
        access_level=AccessLevel.FULL,
    )
    billing = await TeamBillingAccount.create(
        organization_id=team.organization_id,
        account=account,
        interval=interval,
        anchor_date=anchor,
        payment_method=method,
    )
    await TeamBilling.create(team=team, billing_account=billing)
    return billing


async def billing_account_of(team_id: int) -> TeamBillingAccount | None:
    row = await TeamBilling.filter(team_id=team_id).select_related("billing_account").first()
    return row.billing_account if row else None


async def bill_soon(team_id: int) -> None:
    """In the caller's unit of work: once it commits, the team's billing account (if it
    has one) is billed by a job, not at the next hourly cron (a seat paid or upgraded
    mid-cycle is invoiced and charged at once; the charges' keys make it once)."""
    account = await billing_account_of(team_id)
    if account is not None:
        await current_unit_of_work().defer(BILL_TEAM, account.id)


async def update(
    principal: Principal,
    team_id: int,
    interval: BillingInterval | None,
    anchor_date: date | None,
    payment_method: str | None,
) -> TeamBillingAccount:
    """Sets the cycle (before the first charge only) and the stored payment method. The
    account's job is queued: a period starting today is billed at once, and a new method
    retries the charges still due at once."""
    errors = ErrorCollector()
    if payment_method is not None:
        payment_method = clean_text(
            payment_method, errors, ("input", "payment_method"), max_length=200, required=True
        )
        bare = payment_method.replace(" ", "").replace("-", "")
        if payment_method and (not payment_method.isascii() or bare.isdigit()):
            errors.add(
                UserErrorCode.INVALID,
                ("input", "payment_method"),
                N_("Give the payment provider's token for the card, not the card itself."),
            )
    errors.raise_if_any()
    async with unit_of_work():
        team = await Team.filter(id=team_id).select_for_update().first()
        if team is None:
            raise NotFound(("input", "team_id"))
        organization = await Organization.get(id=team.organization_id)
        today = local_date(billing_now(), organization)
        billing = await billing_account_of(team.id)
        if billing is not None:
            billing = await TeamBillingAccount.filter(id=billing.id).select_for_update().get()
        before = _snapshot(billing)
        cycle_change = (
            interval is not None and (billing is None or interval != billing.interval)
        ) or (anchor_date is not None and (billing is None or anchor_date != billing.anchor_date))
        if cycle_change:
            if anchor_date is not None and anchor_date < today:
                raise UserErrors.single(
                    UserErrorCode.INVALID,
                    ("input", "anchor_date"),
                    N_("Choose today or a later date for the first billing date."),
                )
            if (
                billing is not None
                and await TeamCharge.filter(billing_account_id=billing.id).exists()
            ):
                raise UserErrors.single(
                    UserErrorCode.INVALID,
                    ("input", "anchor_date" if anchor_date is not None else "interval"),
                    N_("The billing cycle is fixed once the first charge is made."),
                )
        if billing is None:
            billing = await _new_account(
                team,
                interval or BillingInterval.MONTHLY,
                anchor_date or today,
                payment_method or "",
            )
        else:
            if interval is not None:
                billing.interval = interval
            if anchor_date is not None:
                billing.anchor_date = anchor_date
            if payment_method is not None:
                billing.payment_method = payment_method
            await billing.save()
        if payment_method is not None:
            await TeamCharge.filter(
                billing_account_id=billing.id,
                status__in=[TeamChargeStatus.PENDING, TeamChargeStatus.FAILED],
            ).update(status=TeamChargeStatus.PENDING, next_attempt_at=billing_now())
        await audit.record(
            "team.billing.update",
            actor=principal.user,
            meta=principal.meta,
            organization_id=team.organization_id,
            target=("Team", team.id),
            before=before,
            after=_snapshot(billing),
        )
        await current_unit_of_work().defer(BILL_TEAM, billing.id)
    return billing


def _snapshot(billing: TeamBillingAccount | None) -> dict | None:
    if billing is None:
        return None
    return {
        "billing_account_id": billing.id,
        "interval": billing.interval.value,
        "anchor_date": billing.anchor_date.isoformat(),
        # Only whether one is stored: the token stays out of the audit log.
        "payment_method": bool(billing.payment_method),
    }


async def group(principal: Principal, team_id: int, into_team_id: int) -> TeamBillingAccount:
    """Staff (billing.write) put a team on another team's bill: from then on it renews on
    that account's dates, in its own section of that one invoice."""
    async with unit_of_work():
        into = await billing_account_of(into_team_id)
        if into is None:
            raise UserErrors.single(
                UserErrorCode.INVALID,
                ("input", "into_team_id"),
                N_("Set up that team's billing first."),
            )
        row = await TeamBilling.filter(team_id=team_id).select_for_update().first()
        team = await Team.get(id=team_id)
        before = {"billing_account_id": row.billing_account_id if row else None}
        if row is None:
            await TeamBilling.create(team_id=team_id, billing_account=into)
        else:
            row.billing_account = into
            await row.save()
        # Its seats now lose access when that account's do (and only then).
        await Seat.filter(paying_team_id=team_id, paid_by=PaidBy.TEAM).update(
            billing_access_ends_at=into.access_ends_at
        )
        await audit.record(
            "team.billing.group",
            actor=principal.user,
            meta=principal.meta,
            organization_id=team.organization_id,
            target=("Team", team_id),
            before=before,
            after={"billing_account_id": into.id},
        )
    return into


# ---------------------------------------------------------------- what is billed


async def paid_seats(billing: TeamBillingAccount) -> list[Seat]:
    team_ids = await TeamBilling.filter(billing_account_id=billing.id).values_list(
        "team_id", flat=True
    )
    seats = (
        await Seat.filter(paying_team_id__in=list(team_ids), paid_by=PaidBy.TEAM)
        .exclude(status=SeatStatus.CANCELED)
        .select_related("paying_team", "user")
        .order_by("paying_team__name", "paying_team_id", "id")
    )
    return [s for s in seats if price(s.seat_type, billing.interval) > 0]


def seat_description(seat: Seat, label: str, period: Period, start: date) -> str:
    who = " ".join(p for p in (seat.user.first_name, seat.user.last_name) if p) or seat.user.email
    return (
        f"{seat.paying_team.name} — {seat.seat_type.value.title()} seat, {who} "
        f"({label} {start.isoformat()} to {(period.end - timedelta(days=1)).isoformat()})"
    )[:500]


@dataclass(frozen=True)
class Upcoming:
    date: date
    lines: list[tuple[Team, str, int]]  # team, description, amount before tax
    subtotal: int
    total: int
    currency: str


async def upcoming(billing: TeamBillingAccount) -> Upcoming | None:
    """The next regular invoice as it stands now: every seat paid on that date, and the
    downgrade credits it will carry (negative lines)."""
    organization = await Organization.get(id=billing.organization_id)
    today = local_date(billing_now(), organization)
    current = period_containing(billing.anchor_date, billing.interval, today)
    on = current.end if current else billing.anchor_date
    if (
        current is not None
        and not await TeamCharge.filter(
            billing_account_id=billing.id, key=f"renewal:{current.start.isoformat()}"
        ).exists()
    ):
        on = current.start  # today's renewal, not made yet
    period = period_containing(billing.anchor_date, billing.interval, on)
    lines = []
    for seat in await paid_seats(billing):
        if local_date(seat.team_pays_from or billing_now(), organization) <= on:
            amount = price(seat.seat_type, billing.interval)
            lines.append((seat.paying_team, seat_description(seat, "from", period, on), amount))
    if lines:  # the downgrade credits it will carry
        subtotal = sum(amount for _, _, amount in lines)
        for item, description in await pending_credits(billing, on, subtotal):
            lines.append((item.team, description, item.amount))
    result = totals((amount, line_taxes(amount, TAX_CODES)) for _, _, amount in lines)
    return Upcoming(on, lines, result.subtotal, result.total, organization.currency)




async def pending_credits(
    billing: TeamBillingAccount, before: date, limit: int
) -> list[tuple[TeamChargeItem, str]]:
    """The downgrade credits of periods before `before` not yet on an invoice, oldest
    first, as many as the regular invoice's `limit` (its subtotal) leaves above zero; the
    rest wait for the next one. Each with its line's description."""
    items = (
        await TeamChargeItem.filter(
            charge__billing_account_id=billing.id,
            amount__lt=0,
            line_id__isnull=True,
            period_start__lt=before,
        )
        .select_related("charge", "seat__user", "team")
        .order_by("id")
    )
    found, left = [], limit
    for item in items:
        if -item.amount >= left:
            break
        left += item.amount
        who = item.seat.user
        name = " ".join(p for p in (who.first_name, who.last_name) if p) or who.email
        last = item.charge.period_end - timedelta(days=1)
        description = (
            f"{item.team.name} — credit, seat changed to {item.seat_type.title()}, {name} "
            f"({item.charge.period_start.isoformat()} to {last.isoformat()})"
        )[:500]
        found.append((item, description))
    return found
