"""`teamSeatTypeChange` (issue 16): the team changes the type of a seat it pays, billed
as team billing says (an upgrade prorated and charged at once, a downgrade credited on the
next regular invoice)."""

from __future__ import annotations

import strawberry

from models.teams import SeatType
from resolvers.common.permissions import Permission, Relationship
from resolvers.teams import billing_runs
from schema.permissions import describe, requires
from schema.scope import scoped_id
from schema.teams.types import SeatPayload, SeatTypeEnum


@strawberry.input
class TeamSeatTypeChangeInput:
    team_id: strawberry.ID
    user_id: strawberry.ID
    seat_type: SeatTypeEnum


@strawberry.type
class TeamSeatTypeMutation:
    @strawberry.mutation(
        **describe(
            "Changes the type of a seat the team pays: an upgrade mid-cycle is invoiced and "
            "charged at once for the rest of the period (prorated by days); a downgrade is "
            "credited the same way on the next regular invoice, then billed at its new price.",
            requires(
                Permission.TEAMS_MANAGE, relationship=Relationship.TEAM_OWNER, scope="input.teamId"
            ),
        )
    )
    async def team_seat_type_change(
        self, info: strawberry.Info, input: TeamSeatTypeChangeInput
    ) -> SeatPayload:
        team_pk = await scoped_id(info, input.team_id, "Team", ("input", "teamId"))
        user_pk = await scoped_id(info, input.user_id, "User", ("input", "userId"))
        seat = await billing_runs.change_seat_type(
            info.context.principal(info),
            team_pk,
            user_pk,
            SeatType(input.seat_type),
        )
        return SeatPayload(seat=seat)
