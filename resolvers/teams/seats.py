"""Seats: each user's one subscription per organization, and the member's self-service
(trial, subscribe, cancel, type change).

What "access" means is `has_access` and nothing else; every check calls it (or
`seat_has_access` for a user). A TRIAL seat a team pays from the trial's end reads as
ACTIVE from then (`status_at`), with no job to flip it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from carnet.i18n import N_
from models.contacts import ContactSource
from models.identity import User
from models.organizations import Organization
from models.teams import PaidBy, Seat, SeatStatus, SeatType
from resolvers.common import audit
from resolvers.common.actor import RequestMeta
from resolvers.common.errors import NotFound, UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.contacts.interactions import record_interaction
from resolvers.teams import clock

TRIAL_DAYS = 14
PAID_TYPES = (SeatType.UNLIMITED, SeatType.ESSENTIALS)


def has_access(seat: Seat | None, at: datetime) -> bool:
    if seat is None:
        return False
    if seat.billing_access_ends_at is not None and at >= seat.billing_access_ends_at:
        return False  # the paying team's charge failed and its grace period is over
    if seat.status is SeatStatus.ACTIVE:
        return True
    if seat.status is SeatStatus.TRIAL:
        return at < seat.trial_ends_at or seat.paid_by is PaidBy.TEAM
    return seat.access_ends_at is not None and at < seat.access_ends_at


async def seat_has_access(user: User, organization_id: int, at: datetime) -> bool:
    """Whether `user` may use the organization's product at `at`."""
    seat = await Seat.get_or_none(organization_id=organization_id, user_id=user.id)
    return has_access(seat, at)


def status_at(seat: Seat, at: datetime) -> SeatStatus:
    if (
        seat.status is SeatStatus.TRIAL
        and seat.paid_by is PaidBy.TEAM
        and seat.team_pays_from is not None
        and seat.team_pays_from <= at
    ):
        return SeatStatus.ACTIVE
    return seat.status


def access_ends_at(seat: Seat, at: datetime) -> datetime | None:
    """When access ends (or ended); None while it lasts with no end in sight."""
    if seat.status is SeatStatus.CANCELED:
        return seat.access_ends_at
    if status_at(seat, at) is SeatStatus.TRIAL and seat.paid_by is PaidBy.SELF:
        return seat.trial_ends_at
    return None


def in_trial(seat: Seat | None, at: datetime) -> bool:
    return seat is not None and status_at(seat, at) is SeatStatus.TRIAL and at < seat.trial_ends_at


def pays_for_self(seat: Seat | None, at: datetime) -> bool:
    """A paid subscription of the member's own (a free Support seat costs nobody)."""
    return (
        seat is not None
        and status_at(seat, at) is SeatStatus.ACTIVE
        and seat.paid_by is PaidBy.SELF
        and seat.seat_type in PAID_TYPES
    )


def team_pays(seat: Seat | None) -> bool:
    return (
        seat is not None
        and seat.status is not SeatStatus.CANCELED
        and (seat.paid_by is PaidBy.TEAM)
    )


def snapshot(seat: Seat | None) -> dict | None:
    if seat is None:
        return None
    return {
        "seat_type": seat.seat_type.value,
        "status": seat.status.value,
        "paid_by": seat.paid_by.value,
        "paying_team_id": seat.paying_team_id,
        "trial_ends_at": seat.trial_ends_at.isoformat() if seat.trial_ends_at else None,
        "team_pays_from": seat.team_pays_from.isoformat() if seat.team_pays_from else None,
        "access_ends_at": seat.access_ends_at.isoformat() if seat.access_ends_at else None,
        # When the paying team's unpaid bill ends its access (a failed charge's grace).
        "billing_access_ends_at": (
            seat.billing_access_ends_at.isoformat() if seat.billing_access_ends_at else None
        ),
    }


@dataclass(frozen=True)
class SeatCaller:
    """Who changes a seat (the holder, a team owner, staff) and for whom."""

    by: User
    meta: RequestMeta


async def locked_seat(organization_id: int, user_id: int) -> Seat | None:
    """The user's seat, locked; the user's row is locked first, so that two changes to a
    user's seat (one not created yet) take turns."""
    await User.filter(id=user_id).select_for_update().first()
    return (
        await Seat.filter(organization_id=organization_id, user_id=user_id)
        .select_for_update()
        .first()
    )


async def save_seat(
    caller: SeatCaller,
    organization_id: int,
    user: User,
    seat: Seat | None,
    changes: dict,
    action: str,
) -> Seat:
    """Writes a seat change with its audit entry, and the person's contact (source TEAM)."""
    before = snapshot(seat)
    if seat is None:
        seat = await Seat.create(organization_id=organization_id, user=user, **changes)
    else:
        seat.update_from_dict(changes)
        await seat.save()
    await audit.record(
        action,
        actor=caller.by,
        meta=caller.meta,
        organization_id=organization_id,
        target=("Seat", seat.id),
        before=before,
        after={**snapshot(seat), "user_id": user.id},
    )
    await record_interaction(
        organization_id,
        user=user,
        first_name=user.first_name,
        last_name=user.last_name,
        source=ContactSource.TEAM,
        by=caller.by,
        meta=caller.meta,
    )
    return seat


async def organization_or_not_found(organization_id: int | None) -> Organization:
    organization = None
    if organization_id is not None:
        organization = await Organization.get_or_none(id=organization_id)
    if organization is None:
        raise NotFound(("input", "organization_id"))
    return organization


def _refuse(code: UserErrorCode, message: str, field: str = "organization_id", **params):
    return UserErrors.single(code, ("input", field), message, **params)


def _paid_by_team() -> UserErrors:
    return _refuse(
        UserErrorCode.PAID_BY_TEAM,
        N_("A team pays for your seat: its owner changes or cancels it (or leave the team)."),
    )


def _no_team_pays() -> dict:
    """The changes of every seat no team pays any more (or never did): with the team goes
    the access end its failed charge set, which its recovery would no longer reach."""
    return {
        "paid_by": PaidBy.SELF,
        "paying_team_id": None,
        "team_pays_from": None,
        "billing_access_ends_at": None,
    }


def _active_seat() -> dict:
    return {
        **_no_team_pays(),
        "status": SeatStatus.ACTIVE,
        "canceled_at": None,
        "access_ends_at": None,
    }


async def trial_start(
    user: User, organization_id: int | None, seat_type: SeatType, meta: RequestMeta
) -> Seat:
    if seat_type not in PAID_TYPES:
        raise _refuse(
            UserErrorCode.INVALID,
            N_("A Support seat is free: switch to it with seatTypeChange, no trial needed."),
            "seat_type",
        )
    async with unit_of_work():
        organization = await organization_or_not_found(organization_id)
        seat = await locked_seat(organization.id, user.id)
        at = clock.now()
        if seat is not None and seat.trial_started_at is not None:
            raise _refuse(
                UserErrorCode.TRIAL_ALREADY_USED,
                N_("You already had your free trial here."),
            )
        if has_access(seat, at):
            raise _refuse(UserErrorCode.ALREADY_EXISTS, N_("You already hold a seat here."))
        changes = {
            **_active_seat(),
            "seat_type": seat_type,
            "status": SeatStatus.TRIAL,
            "trial_started_at": at,
            "trial_ends_at": at + timedelta(days=TRIAL_DAYS),
        }
        return await save_seat(
            SeatCaller(user, meta), organization.id, user, seat, changes, "seat.trial_start"
        )


async def subscribe(
    user: User, organization_id: int | None, seat_type: SeatType, meta: RequestMeta
) -> Seat:
    """Pays for oneself: from a trial, a canceled seat or none."""
    async with unit_of_work():
        organization = await organization_or_not_found(organization_id)
        seat = await locked_seat(organization.id, user.id)
        at = clock.now()
        if team_pays(seat):
            raise _paid_by_team()
        if seat is not None and status_at(seat, at) is SeatStatus.ACTIVE:
            raise _refuse(
                UserErrorCode.ALREADY_EXISTS,
                N_("You already hold a subscription here: change its type instead."),
            )
        changes = {**_active_seat(), "seat_type": seat_type}
        return await save_seat(
            SeatCaller(user, meta), organization.id, user, seat, changes, "seat.subscribe"
        )


def cancellation(seat: Seat, at: datetime) -> dict:
    """A trial keeps access until it ends; a paid (or free) seat loses it at once. Nobody
    pays a canceled seat."""
    ends = seat.trial_ends_at if in_trial(seat, at) else at
    return {
        **_no_team_pays(),
        "status": SeatStatus.CANCELED,
        "canceled_at": at,
        "access_ends_at": ends,
    }


def already_canceled(field: str) -> UserErrors:
    return _refuse(UserErrorCode.ALREADY_CANCELED, N_("This seat is already canceled."), field)


async def cancel(user: User, organization_id: int | None, meta: RequestMeta) -> Seat:
    async with unit_of_work():
        organization = await organization_or_not_found(organization_id)
        seat = await locked_seat(organization.id, user.id)
        at = clock.now()
        if seat is None:
            raise _refuse(UserErrorCode.SEAT_REQUIRED, N_("You hold no seat here."))
        if seat.status is SeatStatus.CANCELED:
            raise already_canceled("organization_id")
        if team_pays(seat):
            raise _paid_by_team()
        return await save_seat(
            SeatCaller(user, meta),
            organization.id,
            user,
            seat,
            cancellation(seat, at),
            "seat.cancel",
        )


async def type_change(
    user: User, organization_id: int | None, seat_type: SeatType, meta: RequestMeta
) -> Seat:
    """Switching to the free Support seat always works (a seat's holder needs none to
    administer); a paid type is changed on a trial or a subscription of one's own."""
    async with unit_of_work():
        organization = await organization_or_not_found(organization_id)
        seat = await locked_seat(organization.id, user.id)
        return await switch_type(SeatCaller(user, meta), organization.id, user, seat, seat_type)


async def switch_type(
    caller: SeatCaller, organization_id: int, user: User, seat: Seat | None, seat_type: SeatType
) -> Seat:
    at = clock.now()
    if team_pays(seat):
        raise _paid_by_team()
    if seat is not None and seat.seat_type is seat_type and has_access(seat, at):
        if seat.status is not SeatStatus.CANCELED:
            return seat
    if seat_type is SeatType.SUPPORT:
        changes = {**_active_seat(), "seat_type": seat_type}
    elif seat is not None and seat.status is not SeatStatus.CANCELED and has_access(seat, at):
        changes = {"seat_type": seat_type}
    else:
        raise _refuse(
            UserErrorCode.SEAT_REQUIRED,
            N_("Start a trial or subscribe to hold an Unlimited or Essentials seat."),
            "seat_type",
        )
    return await save_seat(caller, organization_id, user, seat, changes, "seat.type_change")
