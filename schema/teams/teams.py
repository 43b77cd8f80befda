"""Teams: creation, ownership, batch invitations, who pays each member's seat, leaving
and removal, and the lists ("My teams", "Teams joined", an organization's teams)."""

from __future__ import annotations

import strawberry

from carnet.i18n import N_
from models.teams import (
    SeatPayment,
    SeatType,
    Team,
)
from resolvers.common.errors import UserErrorCode, UserErrors
from resolvers.common.permissions import Permission, Relationship
from resolvers.teams import invitations, joining, teams
from schema import ids
from schema.identity import UserType, public
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id, scoped_ids
from schema.teams.types import (
    SeatPayload,
    SeatPaymentEnum,
    SeatTypeEnum,
    TeamMemberObject,
    TeamObject,
    TeamPayload,
    organization_pk,
)
from schema.types import Connection


@strawberry.input
class TeamCreateInput:
    organization_id: strawberry.ID
    name: str
    switch_to_support: bool = strawberry.field(
        default=False,
        description="For an owner who only administers: when you hold no trial or "
        "subscription, switch to a free Support seat first.",
    )


@strawberry.input
class TeamOwnershipTransferInput:
    team_id: strawberry.ID
    new_owner_id: strawberry.ID = strawberry.field(description="An active member's user id.")


@strawberry.input
class TeamInviteMembersInput:
    team_id: strawberry.ID
    emails: list[str] = strawberry.field(
        default_factory=list,
        description=f"Addresses; a person with a login uses its address. With `userIds`, 1 "
        f"to {invitations.MAX_INVITEES} in all.",
    )
    user_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Existing users of the organization, picked."
    )
    seat_type: SeatTypeEnum = strawberry.field(description="One seat type per batch.")
    payment: SeatPaymentEnum


@strawberry.input
class TeamSeatPayInput:
    team_id: strawberry.ID
    user_id: strawberry.ID
    seat_type: SeatTypeEnum
    payment: SeatPaymentEnum = strawberry.field(description="PAY_NOW or PAY_AFTER_TRIAL.")


@strawberry.input
class TeamMemberInput:
    team_id: strawberry.ID
    user_id: strawberry.ID


@strawberry.input
class TeamLeaveInput:
    team_id: strawberry.ID


@strawberry.input
class TeamInvitationAcceptInput:
    token: str
    password: str | None = strawberry.field(
        default=None, description="Needed when the person has no verified login yet."
    )
    first_name: str | None = None
    last_name: str | None = None


@strawberry.type
class TeamInviteMembersPayload(Payload):
    members: list[TeamMemberObject] = strawberry.field(
        default_factory=list, description="The invited members, in the input's order."
    )


@strawberry.type
class TeamMemberPayload(Payload):
    member: TeamMemberObject | None = None


@strawberry.type
class TeamMemberRemovePayload(Payload):
    removed_member_id: strawberry.ID | None = None


@strawberry.type
class TeamInvitationAcceptPayload(Payload):
    team: TeamObject | None = None
    member: TeamMemberObject | None = None
    user: UserType | None = None
    access_token: str | None = None
    refresh_token: str | None = None


async def _member_user_id(info: strawberry.Info, input, field: tuple) -> int:
    return await scoped_id(info, input.user_id, "User", field)


@strawberry.type
class TeamsQuery:
    @strawberry.field(
        **describe(
            "Teams you own (\u201cMy teams\u201d).", requires(relationship=Relationship.SELF)
        )
    )
    async def my_teams(self, info: strawberry.Info) -> list[TeamObject]:
        return await teams.my_teams(info.context.user)

    @strawberry.field(
        **describe(
            "Teams where you are a member, not the owner (\u201cTeams joined\u201d).",
            requires(relationship=Relationship.SELF),
        )
    )
    async def teams_joined(self, info: strawberry.Info) -> list[TeamObject]:
        return await teams.teams_joined(info.context.user)

    @strawberry.field(
        **describe(
            "One team.", requires(Permission.TEAMS_READ, relationship=Relationship.TEAM_MEMBER)
        )
    )
    async def team(self, info: strawberry.Info, id: strawberry.ID) -> TeamObject | None:
        pk = await scoped_id(info, id, "Team", ("id",))
        return await Team.get_or_none(id=pk)

    @strawberry.field(
        **describe("The organization's teams, by name.", requires(Permission.TEAMS_READ))
    )
    async def teams(
        self,
        info: strawberry.Info,
        organization_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[TeamObject]:
        page = await teams.teams(
            info.context.actor(info).organization_id,
            first=first,
            after=after,
            last=last,
            before=before,
        )
        return Connection.of(page)


def _signed_in() -> dict:
    return requires(relationship=Relationship.AUTHENTICATED)


def _team_manager() -> dict:
    return requires(
        Permission.TEAMS_MANAGE, relationship=Relationship.TEAM_OWNER, scope="input.teamId"
    )


@strawberry.type
class TeamsMutation:
    @strawberry.mutation(
        **describe(
            "Creates a team you own. An owner holds a trial or an Unlimited/Essentials seat, "
            "or (only administering) a free Support seat: SEAT_REQUIRED explains otherwise.",
            _signed_in(),
        )
    )
    async def team_create(self, info: strawberry.Info, input: TeamCreateInput) -> TeamPayload:
        pk = organization_pk(input.organization_id, ("input", "organizationId"))
        team = await teams.create(
            info.context.principal(info), pk, input.name, input.switch_to_support
        )
        return TeamPayload(team=team)

    @strawberry.mutation(
        **describe(
            "Gives the team to another active member, who must be able to own it.",
            _team_manager(),
        )
    )
    async def team_ownership_transfer(
        self, info: strawberry.Info, input: TeamOwnershipTransferInput
    ) -> TeamPayload:
        team_pk = await scoped_id(info, input.team_id, "Team", ("input", "teamId"))
        user_pk = await scoped_id(info, input.new_owner_id, "User", ("input", "newOwnerId"))
        team = await teams.transfer(info.context.principal(info), team_pk, user_pk)
        return TeamPayload(team=team)

    @strawberry.mutation(
        **describe(
            "Invites people by email or by picking existing users, all with one seat type "
            "and one payment choice; each invitee is checked and reported at its own index.",
            _team_manager(),
        )
    )
    async def team_invite_members(
        self, info: strawberry.Info, input: TeamInviteMembersInput
    ) -> TeamInviteMembersPayload:
        team_pk = await scoped_id(info, input.team_id, "Team", ("input", "teamId"))
        invitations.check_batch(input.emails, input.user_ids)
        user_pks = await scoped_ids(info, input.user_ids, "User", ("input", "userIds"))
        members = await invitations.invite(
            info.context.principal(info),
            team_pk,
            input.emails,
            user_pks,
            SeatType(input.seat_type),
            SeatPayment(input.payment),
            info.context.settings,
        )
        return TeamInviteMembersPayload(members=members)

    @strawberry.mutation(
        **describe(
            "\u201cPay for this user\u201d: the team pays a member's seat, now or from the end "
            "of their trial; refused with the reason (SELF_PAYING, NOT_IN_TRIAL, PAID_BY_TEAM).",
            _team_manager(),
        )
    )
    async def team_seat_pay(self, info: strawberry.Info, input: TeamSeatPayInput) -> SeatPayload:
        team_pk = await scoped_id(info, input.team_id, "Team", ("input", "teamId"))
        user_pk = await _member_user_id(info, input, ("input", "userId"))
        if SeatPayment(input.payment) is SeatPayment.MEMBER_PAYS:
            raise UserErrors.single(
                UserErrorCode.INVALID,
                ("input", "payment"),
                N_("Choose PAY_NOW or PAY_AFTER_TRIAL: the team pays this seat."),
            )
        seat = await teams.pay(
            info.context.principal(info),
            team_pk,
            user_pk,
            SeatType(input.seat_type),
            SeatPayment(input.payment),
        )
        return SeatPayload(seat=seat)

    @strawberry.mutation(
        **describe(
            "The team stops paying a member's seat: a trial keeps access until it ends, a "
            "paid seat loses it at once.",
            _team_manager(),
        )
    )
    async def team_seat_cancel(self, info: strawberry.Info, input: TeamMemberInput) -> SeatPayload:
        team_pk = await scoped_id(info, input.team_id, "Team", ("input", "teamId"))
        user_pk = await _member_user_id(info, input, ("input", "userId"))
        seat = await teams.stop_paying(info.context.principal(info), team_pk, user_pk)
        return SeatPayload(seat=seat)

    @strawberry.mutation(
        **describe(
            "Removes a member (or an invitation); never the owner. A seat the team paid is "
            "canceled.",
            _team_manager(),
        )
    )
    async def team_member_remove(
        self, info: strawberry.Info, input: TeamMemberInput
    ) -> TeamMemberRemovePayload:
        team_pk = await scoped_id(info, input.team_id, "Team", ("input", "teamId"))
        user_pk = await _member_user_id(info, input, ("input", "userId"))
        removed = await teams.remove_member(
            info.context.principal(info), team_pk, user_pk, ("input", "user_id")
        )
        return TeamMemberRemovePayload(removed_member_id=ids.encode("TeamMember", removed))

    @strawberry.mutation(
        **describe(
            "Leaves a team you are a member of (the owner transfers the ownership first).",
            requires(relationship=Relationship.TEAM_MEMBER),
        )
    )
    async def team_leave(
        self, info: strawberry.Info, input: TeamLeaveInput
    ) -> TeamMemberRemovePayload:
        team_pk = await scoped_id(info, input.team_id, "Team", ("input", "teamId"))
        principal = info.context.principal(info)
        removed = await teams.remove_member(
            principal, team_pk, principal.user.id, ("input", "team_id")
        )
        return TeamMemberRemovePayload(removed_member_id=ids.encode("TeamMember", removed))

    @strawberry.mutation(
        **describe(
            "Mails an invited member a new link with a new expiry; the previous one dies.",
            _team_manager(),
        )
    )
    async def team_invitation_resend(
        self, info: strawberry.Info, input: TeamMemberInput
    ) -> TeamMemberPayload:
        team_pk = await scoped_id(info, input.team_id, "Team", ("input", "teamId"))
        user_pk = await _member_user_id(info, input, ("input", "userId"))
        member = await invitations.resend(
            info.context.principal(info), team_pk, user_pk, info.context.settings
        )
        return TeamMemberPayload(member=member)

    @strawberry.mutation(
        **describe(
            "Joins a team with the mailed link; signs you in. A verified login keeps its "
            "password; anyone else chooses one.",
            public(),
        )
    )
    async def team_invitation_accept(
        self, info: strawberry.Info, input: TeamInvitationAcceptInput
    ) -> TeamInvitationAcceptPayload:
        joined = await joining.accept(
            input.token,
            input.password,
            input.first_name,
            input.last_name,
            info.context.meta,
            info.context.settings,
        )
        return TeamInvitationAcceptPayload(
            team=joined.member.team,
            member=joined.member,
            user=joined.tokens.session.user,
            access_token=joined.tokens.access_token,
            refresh_token=joined.tokens.refresh_token,
        )
