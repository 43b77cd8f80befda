"""Teams and seats: the GraphQL types (seat, team, member), enums and shared payloads."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.dataloader import DataLoader

from models.teams import (
    PaidBy,
    SeatPayment,
    SeatStatus,
    SeatType,
    Team,
    TeamMember,
    TeamMemberStatus,
)
from resolvers.common.errors import NotFound
from resolvers.common.permissions import Permission, Relationship
from resolvers.teams import clock, seats, teams
from resolvers.teams.loaders import member_seats
from schema.identity import UserType
from schema.organizations import OrganizationType
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import decode_at
from schema.teams.billing import billing_field
from schema.types import Connection, Node, model_node, related

SeatTypeEnum = strawberry.enum(
    SeatType,
    name="SeatType",
    description="UNLIMITED and ESSENTIALS are paid; SUPPORT is free, for people who do not "
    "work cases.",
)
SeatStatusEnum = strawberry.enum(SeatStatus, name="SeatStatus")
SeatPaidByEnum = strawberry.enum(PaidBy, name="SeatPaidBy")
SeatPaymentEnum = strawberry.enum(
    SeatPayment,
    name="SeatPayment",
    description="PAY_NOW: the team pays from now. PAY_AFTER_TRIAL: from the end of the "
    "member's trial (members in trial only). MEMBER_PAYS: the member pays (or keeps a trial).",
)
TeamMemberStatusEnum = strawberry.enum(TeamMemberStatus, name="TeamMemberStatus")


@strawberry.type(name="Seat", description="A user's seat subscription in one organization.")
class SeatObject:
    seat_type: SeatTypeEnum
    trial_ends_at: datetime | None
    paid_by: SeatPaidByEnum
    team_pays_from: datetime | None = strawberry.field(
        description="When the paying team's payment starts (now, or the trial's end)."
    )
    canceled_at: datetime | None

    @strawberry.field(description="ACTIVE from the trial's end when a team pays from then.")
    def status(self) -> SeatStatusEnum:
        return seats.status_at(self, clock.now())

    @strawberry.field(description="Whether the holder may use the product now.")
    def has_access(self) -> bool:
        return seats.has_access(self, clock.now())

    @strawberry.field(description="When access ends (or ended); null while it lasts.")
    def access_ends_at(self) -> datetime | None:
        return seats.access_ends_at(self, clock.now())

    @strawberry.field(description="The team paying this seat, when one does.")
    async def paying_team(self) -> TeamObject | None:
        return await related(self, "paying_team")

    @strawberry.field
    async def organization(self) -> OrganizationType:
        return await related(self, "organization")


@model_node("TeamMember", TeamMember, Permission.TEAMS_READ, "team__organization_id")
class TeamMemberObject(Node):
    status: TeamMemberStatusEnum
    seat_type: SeatTypeEnum | None = strawberry.field(description="The seat type invited with.")
    payment: SeatPaymentEnum | None = strawberry.field(description="The payment invited with.")
    joined_at: datetime | None

    @strawberry.field
    async def user(self) -> UserType:
        return await related(self, "user")

    @strawberry.field(description="The member's seat in the team's organization.")
    async def seat(self, info: strawberry.Info) -> SeatObject | None:
        team = await related(self, "team")
        loader = info.context.loader("teams.member_seats", lambda: DataLoader(member_seats))
        return await loader.load((team.organization_id, self.user_id))


@model_node("Team", Team, Permission.TEAMS_READ)
class TeamObject(Node):
    name: str
    created_at: datetime

    @strawberry.field(description="The team's one owner.")
    async def owner(self) -> UserType:
        return await related(self, "owner")

    @strawberry.field
    async def organization(self) -> OrganizationType:
        return await related(self, "organization")

    @strawberry.field(
        **describe(
            "Members, invited and active, the owner among them (null for a mere member).",
            requires(Permission.TEAMS_READ, relationship=Relationship.TEAM_OWNER),
        )
    )
    async def members(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[TeamMemberObject] | None:
        page = await teams.members(self, first=first, after=after, last=last, before=before)
        return Connection.of(page)

    billing = billing_field()


@strawberry.type
class SeatPayload(Payload):
    seat: SeatObject | None = None


@strawberry.type
class TeamPayload(Payload):
    team: TeamObject | None = None


def organization_pk(global_id: str, field: tuple) -> int:
    type_name, pk = decode_at(global_id, field)
    if type_name != "Organization":
        raise NotFound(field)
    return pk
