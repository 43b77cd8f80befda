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

from tortoise.expressions import Q

from carnet.i18n import N_
from carnet.settings import Settings
from models.accounts import AccessLevel, AccountContact, AccountContactKind, ClientAccount
from models.billing import Invoice, InvoiceStatus
from models.contacts import ContactSource
from models.organizations import Organization
from models.team_billing import (
    BillingInterval,
    TeamBilling,
    TeamBillingAccount,
    TeamCharge,
    TeamChargeItem,
    TeamChargeKind,
    TeamChargeStatus,
)
from models.teams import PaidBy, Seat, SeatStatus, SeatType, Team
from resolvers.billing import invoices, payments
from resolvers.billing.money import Money, line_taxes, totals
from resolvers.common import audit
from resolvers.common.actor import Principal, RequestMeta
from resolvers.common.errors import ErrorCollector, NotFound, UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.validation import clean_text
from resolvers.contacts.interactions import record_interaction
from resolvers.messaging.email import queue_email
from resolvers.teams import clock
from resolvers.teams.billing_periods import Period, period_containing, prorate, type_change

# Seat prices in the organization's currency's minor units, before taxes.
PRICES: dict[SeatType, dict[BillingInterval, int]] = {
    SeatType.UNLIMITED: {BillingInterval.MONTHLY: 4900, BillingInterval.ANNUAL: 49000},
    SeatType.ESSENTIALS: {BillingInterval.MONTHLY: 2900, BillingInterval.ANNUAL: 29000},
}
TAX_CODES = ["GST", "QST"]
log = logging.getLogger("carnet.teams.billing")
FAILED_TEMPLATE = "team_charge_failed"


def _now() -> datetime:
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


async def update(
    principal: Principal,
    team_id: int,
    interval: BillingInterval | None,
    anchor_date: date | None,
    payment_method: str | None,
) -> TeamBillingAccount:
    """Sets the cycle (before the first charge only) and the stored payment method. A new
    method retries the charges still due at the next run of the cron."""
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
        today = local_date(_now(), organization)
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
            ).update(status=TeamChargeStatus.PENDING, next_attempt_at=_now())
        await audit.record(
            "team.billing.update",
            actor=principal.user,
            meta=principal.meta,
            organization_id=team.organization_id,
            target=("Team", team.id),
            before=before,
            after=_snapshot(billing),
        )
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


async def _paid_seats(billing: TeamBillingAccount) -> list[Seat]:
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


def _description(seat: Seat, label: str, period: Period, start: date) -> str:
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
    today = local_date(_now(), organization)
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
    for seat in await _paid_seats(billing):
        if local_date(seat.team_pays_from or _now(), organization) <= on:
            amount = price(seat.seat_type, billing.interval)
            lines.append((seat.paying_team, _description(seat, "from", period, on), amount))
    if lines:  # the downgrade credits it will carry
        subtotal = sum(amount for _, _, amount in lines)
        for item, description in await _pending_credits(billing, on, subtotal):
            lines.append((item.team, description, item.amount))
    result = totals((amount, line_taxes(amount, TAX_CODES)) for _, _, amount in lines)
    return Upcoming(on, lines, result.subtotal, result.total, organization.currency)


# ---------------------------------------------------------------- the cron


async def run_all(settings: Settings) -> int:
    """The cron's body: every billing account, one at a time. Returns the charges made."""
    made = 0
    for billing_id in await TeamBillingAccount.all().order_by("id").values_list("id", flat=True):
        try:
            made += await bill(billing_id, settings)
        except Exception:  # a provider down for one account does not stop the others
            log.exception("team billing account %s: billing failed, retried next run", billing_id)
    return made


async def bill(billing_id: int, settings: Settings, *, email: bool = True) -> int:
    """`email`: mail each invoice to the account's primary (the demo's seed does not: it
    runs with no job queue)."""
    organization = await Organization.get(
        id=(await TeamBillingAccount.get(id=billing_id)).organization_id
    )
    system = System(organization)
    made = await _invoice_due(system, billing_id, email)
    await _collect(system, billing_id, settings)
    return made


async def _invoice_due(system: System, billing_id: int, email: bool) -> int:
    """In one transaction, the billing account locked: this period's renewal and every
    proration due, each with its finalized invoice, unless its key is already written."""
    made = 0
    async with unit_of_work():
        billing = await TeamBillingAccount.filter(id=billing_id).select_for_update().get()
        today = local_date(_now(), system.organization)
        period = period_containing(billing.anchor_date, billing.interval, today)
        if period is None:
            return 0
        keys = set(
            await TeamCharge.filter(billing_account_id=billing.id).values_list("key", flat=True)
        )
        seats = await _paid_seats(billing)
        starts = {s.id: local_date(s.team_pays_from or _now(), system.organization) for s in seats}
        renewal_key = f"renewal:{period.start.isoformat()}"
        if renewal_key not in keys:
            renewed = [s for s in seats if starts[s.id] <= period.start]
            lines = [
                (
                    s,
                    price(s.seat_type, billing.interval),
                    _description(s, "from", period, period.start),
                )
                for s in renewed
            ]
            subtotal = sum(amount for _, amount, _ in lines)
            credits = await _pending_credits(billing, period.start, subtotal) if lines else []
            await _charge(
                system,
                billing,
                TeamChargeKind.RENEWAL,
                renewal_key,
                period,
                lines,
                email,
                credits,
            )
            made += 1
        billed = await _billed(billing, period)
        for seat in seats:
            start, before = starts[seat.id], billed.get(seat.id, [])
            if before and before[-1] == seat.seat_type.value:
                continue  # billed this period as it is
            if not before and not period.start < start <= today:
                continue  # not started yet, or on the renewal
            key = f"seat:{seat.id}:{period.start.isoformat()}:{seat.seat_type.value}"
            if len(before) > 1:  # changed back and forth this period
                key = f"{key}:{len(before)}"
            if key in keys:
                continue
            full = price(seat.seat_type, billing.interval)
            if before:  # a type change: the difference, from today
                paid = price(SeatType(before[-1]), billing.interval)
                amount = type_change(paid, full, period, today)
                start = today
            else:
                amount = prorate(full, period, start)
            if amount < 0:  # a downgrade: credited on the next regular invoice
                await _credit(system, billing, seat, key, period, today, amount)
                made += 1
                continue
            if amount == 0:
                continue
            line = (seat, amount, _description(seat, "prorated", period, start))
            await _charge(system, billing, TeamChargeKind.PRORATION, key, period, [line], email)
            made += 1
    return made


async def _billed(billing: TeamBillingAccount, period: Period) -> dict[int, list[str]]:
    """Per seat, the types it was billed (or credited down to) this period, in order: the
    last one is what the seat is paid as now."""
    rows = (
        await TeamChargeItem.filter(
            # not the credits a renewal carries from the period before
            Q(amount__gte=0) | ~Q(charge__kind=TeamChargeKind.RENEWAL),
            charge__billing_account_id=billing.id,
            period_start=period.start,
        )
        .order_by("id")
        .values_list("seat_id", "seat_type")
    )
    found: dict[int, list[str]] = {}
    for seat_id, seat_type in rows:
        found.setdefault(seat_id, []).append(seat_type)
    return found


async def _credit(
    system: System,
    billing: TeamBillingAccount,
    seat: Seat,
    key: str,
    period: Period,
    today: date,
    amount: int,
) -> None:
    """A downgrade mid-cycle: the difference for the rest of the period (`amount`, below
    zero), recorded now as a charge with no invoice and one item with no line yet; the
    next regular invoice carries it as a negative line (see `_pending_credits`)."""
    charge = await TeamCharge.create(
        billing_account=billing,
        kind=TeamChargeKind.PRORATION,
        key=key,
        period_start=today,  # the credit's first day (its period is the item's)
        period_end=period.end,
        currency=system.organization.currency,
        amount=amount,
        status=TeamChargeStatus.PAID,  # nothing to collect
    )
    await TeamChargeItem.create(
        charge=charge,
        team_id=seat.paying_team_id,
        seat=seat,
        seat_type=seat.seat_type.value,
        period_start=period.start,
        amount=amount,
    )
    await audit.record(
        "team.billing.credit",
        actor=None,
        meta=system.meta,
        organization_id=system.organization_id,
        target=("TeamCharge", charge.id),
        after={"key": key, "amount": amount},
    )


async def _pending_credits(
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


async def _charge(
    system: System,
    billing: TeamBillingAccount,
    kind: TeamChargeKind,
    key: str,
    period: Period,
    lines: list[tuple[Seat, int, str]],
    email: bool,
    credits: list[tuple[TeamChargeItem, str]] = (),
) -> TeamCharge:
    charge = await TeamCharge.create(
        billing_account=billing,
        kind=kind,
        key=key,
        period_start=period.start,
        period_end=period.end,
        currency=system.organization.currency,
        next_attempt_at=_now(),
        status=TeamChargeStatus.PENDING if lines else TeamChargeStatus.PAID,
    )
    if not lines:
        return charge  # nobody to bill this period: the key is kept all the same
    label = "Team seats" if kind is TeamChargeKind.RENEWAL else "Team seat, prorated"
    memo = f"{label}, {period.start.isoformat()} to {(period.end - timedelta(days=1)).isoformat()}"
    invoice = await invoices.create(system, billing.account_id, memo)
    for _, amount, description in lines:
        await invoices.line_add(
            system, invoice.id, description, 1, amount, system.organization.currency, TAX_CODES
        )
    for item, description in credits:  # downgrades of the last period, as negative lines
        await invoices.line_add(
            system,
            invoice.id,
            description,
            1,
            item.amount,
            system.organization.currency,
            TAX_CODES,
            credit=True,
        )
    invoice = await invoices.finalize(system, invoice.id, email=email)
    ids = list(await invoice.lines.all().order_by("id").values_list("id", flat=True))
    ids, credit_ids = ids[: len(lines)], ids[len(lines) :]
    await TeamChargeItem.bulk_create(
        [
            TeamChargeItem(
                charge=charge,
                team_id=seat.paying_team_id,
                seat=seat,
                seat_type=seat.seat_type.value,
                period_start=period.start,
                amount=amount,
                line_id=line_id,
            )
            for (seat, amount, _), line_id in zip(lines, ids, strict=True)
        ]
        # Each credit carried: an item of this invoice (its section's line), and the
        # credit's own item pointed at the same line (carried: never again).
        + [
            TeamChargeItem(
                charge=charge,
                team_id=item.team_id,
                seat_id=item.seat_id,
                seat_type=item.seat_type,
                period_start=period.start,
                amount=item.amount,
                line_id=line_id,
            )
            for (item, _), line_id in zip(credits, credit_ids, strict=True)
        ]
    )
    for (item, _), line_id in zip(credits, credit_ids, strict=True):
        item.line_id = line_id
        await item.save(update_fields=["line_id", "updated_at"])
    charge.invoice_id, charge.amount = invoice.id, invoice.total
    await charge.save(update_fields=["invoice_id", "amount", "updated_at"])
    await audit.record(
        f"team.billing.{kind.value.lower()}",
        actor=None,
        meta=system.meta,
        organization_id=system.organization_id,
        target=("TeamCharge", charge.id),
        after={"key": key, "invoice_id": invoice.id, "amount": invoice.total},
    )
    return charge


async def _collect(system: System, billing_id: int, settings: Settings) -> None:
    """Charges the card for every charge due; a decline schedules the next try."""
    due = await TeamCharge.filter(
        billing_account_id=billing_id,
        status=TeamChargeStatus.PENDING,
        next_attempt_at__lte=_now(),
    ).order_by("id")
    for charge in due:
        await _attempt(system, charge.id, settings)


async def _attempt(system: System, charge_id: int, settings: Settings) -> None:
    charge = await TeamCharge.get(id=charge_id).select_related("billing_account")
    billing = charge.billing_account
    invoice = await Invoice.get(id=charge.invoice_id)
    if invoice.status is InvoiceStatus.OPEN and billing.payment_method:
        left = invoices.remaining(invoice)
        try:
            await payments.charge(
                system,
                invoice.id,
                Money(left, invoice.currency),
                billing.payment_method,
                f"team-charge-{charge.id}-{charge.attempts}",
            )
        except UserErrors as refused:
            await _declined(system, charge.id, refused.errors[0].code.value, settings)
            return
        invoice = await Invoice.get(id=charge.invoice_id)
    if invoice.status is InvoiceStatus.OPEN:  # no payment method stored
        await _declined(system, charge.id, "no_payment_method", settings)
    else:
        await _paid(system, charge.id)


async def _paid(system: System, charge_id: int) -> None:
    async with unit_of_work():
        charge = await TeamCharge.filter(id=charge_id).select_for_update().get()
        if charge.status is TeamChargeStatus.PAID:
            return
        before = charge.status
        charge.status, charge.paid_at, charge.next_attempt_at = (
            TeamChargeStatus.PAID,
            _now(),
            None,
        )
        await charge.save()
        await audit.record(
            "team.billing.charge_paid",
            actor=None,
            meta=system.meta,
            organization_id=system.organization_id,
            target=("TeamCharge", charge.id),
            before={"status": before.value, "attempts": charge.attempts},
            after={"status": charge.status.value},
        )
        unpaid = await TeamCharge.filter(
            billing_account_id=charge.billing_account_id,
            status__in=[TeamChargeStatus.PENDING, TeamChargeStatus.FAILED],
        ).exists()
        if not unpaid:
            await _restore(system, charge.billing_account_id)


async def _restore(system: System, billing_id: int) -> None:
    billing = await TeamBillingAccount.filter(id=billing_id).select_for_update().get()
    if billing.past_due_since is None and billing.access_ends_at is None:
        return
    billing.past_due_since = billing.access_ends_at = None
    await billing.save()
    team_ids = await TeamBilling.filter(billing_account_id=billing_id).values_list(
        "team_id", flat=True
    )
    await Seat.filter(paying_team_id__in=list(team_ids)).update(billing_access_ends_at=None)
    await audit.record(
        "team.billing.recovered",
        actor=None,
        meta=system.meta,
        organization_id=system.organization_id,
        target=("TeamBillingAccount", billing_id),
        after={"past_due": False},
    )


async def _declined(system: System, charge_id: int, reason: str, settings: Settings) -> None:
    schedule = settings.team_billing_retry_days
    async with unit_of_work():
        charge = await TeamCharge.filter(id=charge_id).select_for_update().get()
        if charge.status is not TeamChargeStatus.PENDING:
            return
        billing = (
            await TeamBillingAccount.filter(id=charge.billing_account_id).select_for_update().get()
        )
        at = _now()
        charge.attempts += 1
        charge.last_error = reason[:200]
        if charge.attempts <= len(schedule):
            charge.next_attempt_at = at + timedelta(days=schedule[charge.attempts - 1])
        else:
            charge.status, charge.next_attempt_at = TeamChargeStatus.FAILED, None
            # A retry with a new card declined again does not extend the grace period.
            billing.access_ends_at = billing.access_ends_at or at + timedelta(
                days=settings.team_billing_grace_days
            )
            team_ids = await TeamBilling.filter(billing_account_id=billing.id).values_list(
                "team_id", flat=True
            )
            await Seat.filter(paying_team_id__in=list(team_ids), paid_by=PaidBy.TEAM).update(
                billing_access_ends_at=billing.access_ends_at
            )
        await charge.save()
        billing.past_due_since = billing.past_due_since or at
        await billing.save()
        await audit.record(
            "team.billing.charge_failed",
            actor=None,
            meta=system.meta,
            organization_id=system.organization_id,
            target=("TeamCharge", charge.id),
            after={
                "attempts": charge.attempts,
                "reason": charge.last_error,
                "status": charge.status.value,
                "next_attempt_at": _iso(charge.next_attempt_at),
                "access_ends_at": _iso(billing.access_ends_at),
            },
        )
        await _mail_owners(system, billing, charge)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


async def _mail_owners(system: System, billing: TeamBillingAccount, charge: TeamCharge) -> None:
    teams = await Team.filter(billing__billing_account_id=billing.id).select_related("owner")
    invoice = await Invoice.get(id=charge.invoice_id)
    for owner in {team.owner_id: team.owner for team in teams}.values():
        await queue_email(
            template=FAILED_TEMPLATE,
            to=owner.email,
            locale=owner.locale.value,
            organization_id=system.organization_id,
            name=owner.first_name or owner.email,
            organization=system.organization.name,
            number=invoice.number,
            attempts=charge.attempts,
            next_attempt=_iso(charge.next_attempt_at) or "",
            access_ends=_iso(billing.access_ends_at) or "",
        )


# ---------------------------------------------------------------- seat type changes


async def change_seat_type(
    principal: Principal, team_id: int, user_id: int, seat_type: SeatType, settings: Settings
) -> Seat:
    """The team changes the type of a seat it pays. An upgrade mid-cycle is invoiced and
    charged at once (the difference, prorated from today); a downgrade is credited the
    same difference on the next regular invoice, and billed at its new price from then."""
    from resolvers.teams import seats

    field = ("input", "user_id")
    async with unit_of_work():
        team = await Team.filter(id=team_id).select_for_update().first()
        if team is None:
            raise NotFound(("input", "team_id"))
        seat = await seats.locked_seat(team.organization_id, user_id)
        if seat is None or not seats.team_pays(seat) or seat.paying_team_id != team.id:
            raise UserErrors.single(
                UserErrorCode.INVALID, field, N_("This team does not pay for this person's seat.")
            )
        if seat.seat_type is not seat_type:
            user = await seat.user
            caller = seats.SeatCaller(principal.user, principal.meta)
            seat = await seats.save_seat(
                caller,
                team.organization_id,
                user,
                seat,
                {"seat_type": seat_type},
                "seat.team_type_change",
            )
    account = await billing_account_of(team_id)
    if account is not None:
        await bill(account.id, settings)
    return seat
