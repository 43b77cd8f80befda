"""Who pays a member's seat: the team's "pay for this user" (now, or from the end of a
trial) and its cancellation, with the rules the seed states.

A member paying for themselves stays so until they cancel; a member in trial can be
paid for now or from the trial's end; anyone else only now. A team stops paying with
`cancel`: a trial keeps access until it ends, a paid seat loses it at once.
"""

from __future__ import annotations

from datetime import datetime

from carnet.i18n import N_
from models.identity import User
from models.team_billing import TeamBilling
from models.teams import PaidBy, Seat, SeatPayment, SeatStatus, SeatType, Team
from resolvers.common.errors import FieldError, UserErrorCode, UserErrors
from resolvers.teams import clock, seats
from resolvers.teams.seats import SeatCaller


def refusal(
    seat: Seat | None, team: Team, payment: SeatPayment, at: datetime, field: tuple
) -> FieldError | None:
    """Why the team may not pay this seat as asked, or None."""
    if payment is SeatPayment.MEMBER_PAYS:
        return None
    if seats.team_pays(seat):
        if seat.paying_team_id == team.id:
            return FieldError(
                UserErrorCode.ALREADY_EXISTS, field, N_("This team already pays for this seat.")
            )
        return FieldError(
            UserErrorCode.PAID_BY_TEAM,
            field,
            N_("Another team pays for this person's seat: at most one team pays a seat."),
        )
    if seats.pays_for_self(seat, at):
        return FieldError(
            UserErrorCode.SELF_PAYING,
            field,
            N_(
                "This person pays for their own seat: \u201cPay for this user\u201d is "
                "unavailable until they cancel their subscription."
            ),
        )
    if payment is SeatPayment.PAY_AFTER_TRIAL and not seats.in_trial(seat, at):
        return FieldError(
            UserErrorCode.NOT_IN_TRIAL,
            field,
            N_("This person is not in a trial: only \u201cPay now\u201d is available."),
        )
    return None


def payment_changes(
    seat: Seat | None, team: Team, seat_type: SeatType, payment: SeatPayment, at: datetime
) -> dict:
    if payment is SeatPayment.PAY_AFTER_TRIAL:
        return {
            "seat_type": seat_type,
            "paid_by": PaidBy.TEAM,
            "paying_team_id": team.id,
            "team_pays_from": seat.trial_ends_at,
        }
    return {
        "seat_type": seat_type,
        "status": SeatStatus.ACTIVE,
        "paid_by": PaidBy.TEAM,
        "paying_team_id": team.id,
        "team_pays_from": at,
        "canceled_at": None,
        "access_ends_at": None,
    }


async def billing_access_end(team_id: int) -> datetime | None:
    """When the seats the team pays lose access, its bill unpaid (its billing account's
    `access_ends_at`, set by a charge failed for good and cleared by its recovery): the
    same for every seat it pays, whenever it started paying it."""
    billing = await TeamBilling.get_or_none(team_id=team_id).select_related("billing_account")
    return billing.billing_account.access_ends_at if billing is not None else None


async def pay(
    caller: SeatCaller,
    team: Team,
    member: User,
    seat_type: SeatType,
    payment: SeatPayment,
    field: tuple,
) -> Seat:
    """The team pays `member`'s seat (in the caller's unit of work, the team locked)."""
    seat = await seats.locked_seat(team.organization_id, member.id)
    at = clock.now()
    refused = refusal(seat, team, payment, at, field)
    if refused is not None:
        raise UserErrors([refused])
    if payment is SeatPayment.MEMBER_PAYS:
        return seat
    changes = payment_changes(seat, team, seat_type, payment, at)
    changes["billing_access_ends_at"] = await billing_access_end(team.id)
    return await seats.save_seat(
        caller, team.organization_id, member, seat, changes, "seat.team_pay"
    )


async def cancel(caller: SeatCaller, team: Team, member: User, field: tuple) -> Seat:
    seat = await seats.locked_seat(team.organization_id, member.id)
    if seat is not None and seat.status is SeatStatus.CANCELED:
        raise seats.already_canceled(field[-1])
    if seat is None or not seats.team_pays(seat) or seat.paying_team_id != team.id:
        raise UserErrors.single(
            UserErrorCode.INVALID, field, N_("This team does not pay for this person's seat.")
        )
    changes = seats.cancellation(seat, clock.now())
    return await seats.save_seat(
        caller, team.organization_id, member, seat, changes, "seat.team_cancel"
    )
