"""Teams: creation by any user (who owns it), ownership transfer, members leaving or
removed, and the lists ("My teams", "Teams joined", an organization's teams).

Callers are a `Principal`: the team's owner or a member by relationship, or staff with
teams.read / teams.manage; resolvers take the ids the schema already scoped.
"""

from __future__ import annotations

from datetime import datetime

from carnet.i18n import N_
from models.contacts import ContactSource
from models.identity import User
from models.teams import Seat, SeatPayment, SeatStatus, Team, TeamMember, TeamMemberStatus
from resolvers.common import audit
from resolvers.common.actor import Principal
from resolvers.common.errors import ErrorCollector, NotFound, UserErrorCode, UserErrors
from resolvers.common.pagination import Page, paginate
from resolvers.common.tasks import unit_of_work
from resolvers.common.validation import clean_text
from resolvers.contacts.interactions import record_interaction
from resolvers.teams import (  # noqa: F401  (access registers)
    access,
    billing,
    clock,
    seats,
    takeover,
)
from resolvers.teams.seats import SeatCaller


def may_own(seat: Seat | None, at: datetime) -> bool:
    """An owner holds a trial or a subscription (a free Support seat for one who only
    administers); a canceled seat does not do, even while it still gives access."""
    return (
        seat is not None and seat.status is not SeatStatus.CANCELED and seats.has_access(seat, at)
    )


def owner_refused(field: tuple) -> UserErrors:
    return UserErrors.single(
        UserErrorCode.SEAT_REQUIRED,
        field,
        N_(
            "A team owner who works cases holds a trial or an Unlimited or Essentials seat; "
            "one who only administers the team switches to a free Support seat first "
            "(seatTypeChange, or switchToSupport: true here)."
        ),
    )


def caller_of(principal: Principal) -> SeatCaller:
    return SeatCaller(principal.user, principal.meta)


async def joined(caller: SeatCaller, team: Team, user: User) -> None:
    await record_interaction(
        team.organization_id,
        user=user,
        first_name=user.first_name,
        last_name=user.last_name,
        source=ContactSource.TEAM,
        by=caller.by,
        meta=caller.meta,
    )


async def create(
    principal: Principal, organization_id: int | None, name: str, switch_to_support: bool
) -> Team:
    errors = ErrorCollector()
    name = clean_text(name, errors, ("input", "name"), max_length=100, required=True)
    errors.raise_if_any()
    user, caller = principal.user, caller_of(principal)
    async with unit_of_work():
        organization = await seats.organization_or_not_found(organization_id)
        seat = await seats.locked_seat(organization.id, user.id)
        if not may_own(seat, clock.now()):
            if not switch_to_support:
                raise owner_refused(("input", "organization_id"))
            await seats.switch_type(caller, organization.id, user, seat, seats.SeatType.SUPPORT)
        team = await Team.create(organization=organization, name=name, owner=user)
        await TeamMember.create(
            team=team, user=user, status=TeamMemberStatus.ACTIVE, joined_at=clock.now()
        )
        await audit.record(
            "team.create",
            actor=user,
            meta=principal.meta,
            organization_id=organization.id,
            target=("Team", team.id),
            after={"name": name, "owner_id": user.id},
        )
        await joined(caller, team, user)
    return team


async def locked_team(team_id: int) -> Team:
    team = await Team.filter(id=team_id).select_for_update().first()
    if team is None:  # the schema scoped the id: gone meanwhile
        raise NotFound(("input", "team_id"))
    return team


async def _active_member(team: Team, user_id: int | None, field: tuple) -> TeamMember:
    member = None
    if user_id is not None:
        member = (
            await TeamMember.filter(team_id=team.id, user_id=user_id).select_related("user").first()
        )
    if member is None:
        raise NotFound(field)
    return member


async def transfer(principal: Principal, team_id: int, new_owner_id: int) -> Team:
    field = ("input", "new_owner_id")
    async with unit_of_work():
        team = await locked_team(team_id)
        member = await _active_member(team, new_owner_id, field)
        if member.status is not TeamMemberStatus.ACTIVE:
            raise UserErrors.single(
                UserErrorCode.INVALID, field, N_("Only an active member can own the team.")
            )
        if member.user_id == team.owner_id:
            return team
        seat = await seats.locked_seat(team.organization_id, member.user_id)
        if not may_own(seat, clock.now()):
            raise owner_refused(field)
        before = {"owner_id": team.owner_id}
        team.owner_id = member.user_id
        await team.save(update_fields=["owner_id", "updated_at"])
        await audit.record(
            "team.ownership_transfer",
            actor=principal.user,
            meta=principal.meta,
            organization_id=team.organization_id,
            target=("Team", team.id),
            before=before,
            after={"owner_id": team.owner_id},
        )
        await joined(caller_of(principal), team, member.user)
    return team


async def remove_member(principal: Principal, team_id: int, user_id: int, field: tuple) -> int:
    """The owner (or staff) removes a member, or a member leaves: the owner never goes;
    a seat the team paid for is canceled as `takeover.cancel` does it."""
    async with unit_of_work():
        team = await locked_team(team_id)
        member = await _active_member(team, user_id, field)
        if member.user_id == team.owner_id:
            raise UserErrors.single(
                UserErrorCode.TEAM_OWNER,
                field,
                N_("The owner stays in the team: transfer the ownership first."),
            )
        caller = caller_of(principal)
        seat = await seats.locked_seat(team.organization_id, member.user_id)
        if seats.team_pays(seat) and seat.paying_team_id == team.id:
            await takeover.cancel(caller, team, member.user, field)
        await _revoke_invitation(member)
        removed_id = member.id
        await member.delete()
        await audit.record(
            "team.member_remove" if principal.user.id != member.user_id else "team.leave",
            actor=principal.user,
            meta=principal.meta,
            organization_id=team.organization_id,
            target=("TeamMember", removed_id),
            before={"team_id": team.id, "user_id": member.user_id, "status": member.status.value},
        )
    return removed_id


async def _revoke_invitation(member: TeamMember) -> None:
    from resolvers.teams.invitations import revoke_pending_of

    await revoke_pending_of(member)


async def my_teams(user: User) -> list[Team]:
    return await Team.filter(owner_id=user.id).order_by("name", "id")


async def teams_joined(user: User) -> list[Team]:
    return (
        await Team.filter(members__user_id=user.id, members__status=TeamMemberStatus.ACTIVE)
        .exclude(owner_id=user.id)
        .order_by("name", "id")
    )


async def teams(organization_id: int, **page_args) -> Page:
    return await paginate(Team.filter(organization_id=organization_id), **page_args)


async def members(team: Team, **page_args) -> Page:
    rows = TeamMember.filter(team_id=team.id).select_related("user", "team")
    return await paginate(rows, **page_args)


async def _joined_member(team: Team, user_id: int, field: tuple) -> TeamMember:
    member = await _active_member(team, user_id, field)
    if member.status is not TeamMemberStatus.ACTIVE:
        raise UserErrors.single(
            UserErrorCode.INVALID,
            field,
            N_("This person has not joined yet: the invitation's payment applies when they do."),
        )
    return member


async def pay(principal: Principal, team_id: int, user_id: int, seat_type, payment) -> Seat:
    """\u201cPay for this user\u201d, under the takeover rules (resolvers.teams.takeover)."""
    field = ("input", "user_id")
    async with unit_of_work():
        team = await locked_team(team_id)
        member = await _joined_member(team, user_id, field)
        seat = await takeover.pay(
            caller_of(principal), team, member.user, seat_type, payment, field
        )
        if payment is SeatPayment.PAY_NOW:  # prorated and charged at once, by a job
            await billing.bill_soon(team.id)
        return seat


async def stop_paying(principal: Principal, team_id: int, user_id: int) -> Seat:
    field = ("input", "user_id")
    async with unit_of_work():
        team = await locked_team(team_id)
        member = await _active_member(team, user_id, field)
        return await takeover.cancel(caller_of(principal), team, member.user, field)
