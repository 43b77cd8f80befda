"""Team billing's runs (see resolvers.teams.billing): the cron that queues a `bill_team`
job per billing account, the job's body (`bill`: the account's period and its mid-cycle
prorations invoiced, the charges due collected), and seat type changes that bill at once."""

from __future__ import annotations

from datetime import date, timedelta

from tortoise.expressions import Q

from carnet.i18n import N_
from carnet.settings import Settings
from models.organizations import Organization
from models.tasks import Task, TaskStatus
from models.team_billing import (
    TeamBillingAccount,
    TeamCharge,
    TeamChargeItem,
    TeamChargeKind,
    TeamChargeStatus,
)
from models.teams import Seat, SeatType, Team
from resolvers.common import audit
from resolvers.common.actor import Principal
from resolvers.common.errors import NotFound, UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.teams.billing import (
    BILL_TEAM,
    System,
    bill_soon,
    billing_now,
    local_date,
    paid_seats,
    pending_credits,
    price,
    seat_description,
)
from resolvers.teams.billing_charges import collect, open_charge
from resolvers.teams.billing_periods import Period, period_containing, prorate, type_change

# ---------------------------------------------------------------- the cron and its jobs

async def queue_all() -> int:
    """The cron's body: a `bill_team` task per billing account, so that one account's
    failure or slowness holds no other, each retried on its own. An account with a task
    still to do gets no second one: that one runs (again, if its worker died or it failed:
    arq's retries, then the sweeper), and two at once would only wait on each other.
    Returns the tasks queued. The account's finished tasks of more than a day ago are
    deleted: an hourly task per account would otherwise grow the task table forever
    (the invoices, charges and audit log are the record, not these)."""
    async with unit_of_work() as uow:
        await Task.filter(
            function=BILL_TEAM,
            status=TaskStatus.DONE,
            finished_at__lt=now() - timedelta(days=1),
        ).delete()
        waiting = {
            args[0]
            for args in await Task.filter(function=BILL_TEAM, status=TaskStatus.PENDING)
            .values_list("args", flat=True)
            if args
        }
        queued = 0
        for billing_id in await TeamBillingAccount.all().order_by("id").values_list(
            "id", flat=True
        ):
            if billing_id not in waiting:
                await uow.defer(BILL_TEAM, billing_id)
                queued += 1
    return queued


async def bill(billing_id: int, settings: Settings, *, email: bool = True) -> int:
    """`email`: mail each invoice to the account's primary (the demo's seed does not: it
    runs with no job queue)."""
    account = await TeamBillingAccount.get_or_none(id=billing_id)
    if account is None:  # merged into another since it was queued
        return 0
    organization = await Organization.get(id=account.organization_id)
    system = System(organization)
    made = await _invoice_due(system, billing_id, email)
    await collect(system, billing_id, settings)
    return made


async def _invoice_due(system: System, billing_id: int, email: bool) -> int:
    """In one transaction, the billing account locked: this period's renewal and every
    proration due, each with its finalized invoice, unless its key is already written."""
    made = 0
    async with unit_of_work():
        billing = await TeamBillingAccount.filter(id=billing_id).select_for_update().get()
        today = local_date(billing_now(), system.organization)
        period = period_containing(billing.anchor_date, billing.interval, today)
        if period is None:
            return 0
        keys = set(
            await TeamCharge.filter(billing_account_id=billing.id).values_list("key", flat=True)
        )
        seats = await paid_seats(billing)
        starts = {
            s.id: local_date(s.team_pays_from or billing_now(), system.organization) for s in seats
        }
        renewal_key = f"renewal:{period.start.isoformat()}"
        if renewal_key not in keys:
            renewed = [s for s in seats if starts[s.id] <= period.start]
            lines = [
                (
                    s,
                    price(s.seat_type, billing.interval),
                    seat_description(s, "from", period, period.start),
                )
                for s in renewed
            ]
            subtotal = sum(amount for _, amount, _ in lines)
            credits = await pending_credits(billing, period.start, subtotal) if lines else []
            await open_charge(
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
            line = (seat, amount, seat_description(seat, "prorated", period, start))
            await open_charge(system, billing, TeamChargeKind.PRORATION, key, period, [line], email)
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
    next regular invoice carries it as a negative line (see `pending_credits`)."""
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



# ---------------------------------------------------------------- seat type changes


async def change_seat_type(
    principal: Principal, team_id: int, user_id: int, seat_type: SeatType
) -> Seat:
    """The team changes the type of a seat it pays. An upgrade mid-cycle is invoiced and
    charged at once by the account's job queued on commit (the difference, prorated from
    today); a downgrade is credited the same difference on the next regular invoice, and
    billed at its new price from then."""
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
            # An upgrade invoiced and charged at once (a downgrade's credit recorded), by
            # the account's job: the request neither waits for nor fails with the provider.
            await bill_soon(team.id)
    return seat
