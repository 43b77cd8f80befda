"""Seat self-service: a signed-in user's own seat in an organization (no staff role
needed: the organization sells the seats)."""

from __future__ import annotations

import strawberry

from models.teams import (
    Seat,
    SeatType,
)
from resolvers.common.permissions import Relationship
from resolvers.teams import seats
from schema.permissions import describe, requires
from schema.teams.types import SeatObject, SeatPayload, SeatTypeEnum, organization_pk


@strawberry.input
class SeatInput:
    organization_id: strawberry.ID
    seat_type: SeatTypeEnum


@strawberry.input
class SeatCancelInput:
    organization_id: strawberry.ID


@strawberry.type
class SeatsQuery:
    @strawberry.field(
        **describe(
            "Your seat in an organization, if you hold one.",
            requires(relationship=Relationship.AUTHENTICATED),
        )
    )
    async def my_seat(
        self, info: strawberry.Info, organization_id: strawberry.ID
    ) -> SeatObject | None:
        pk = organization_pk(organization_id, ("organizationId",))
        await seats.organization_or_not_found(pk)
        return await Seat.get_or_none(organization_id=pk, user_id=info.context.user.id)


def _signed_in() -> dict:
    return requires(relationship=Relationship.AUTHENTICATED)


@strawberry.type
class SeatsMutation:
    @strawberry.mutation(
        **describe(
            f"Starts your free trial ({seats.TRIAL_DAYS} days) of an Unlimited or Essentials "
            "seat; one trial per organization.",
            _signed_in(),
        )
    )
    async def seat_trial_start(self, info: strawberry.Info, input: SeatInput) -> SeatPayload:
        pk = organization_pk(input.organization_id, ("input", "organizationId"))
        seat = await seats.trial_start(
            info.context.user, pk, SeatType(input.seat_type), info.context.meta
        )
        return SeatPayload(seat=seat)

    @strawberry.mutation(
        **describe("Pays for your own seat (from a trial, a canceled seat or none).", _signed_in())
    )
    async def seat_subscribe(self, info: strawberry.Info, input: SeatInput) -> SeatPayload:
        pk = organization_pk(input.organization_id, ("input", "organizationId"))
        seat = await seats.subscribe(
            info.context.user, pk, SeatType(input.seat_type), info.context.meta
        )
        return SeatPayload(seat=seat)

    @strawberry.mutation(
        **describe(
            "Cancels your own seat: a trial keeps access until it ends, a paid seat loses it "
            "at once. A seat a team pays is the team's to cancel.",
            _signed_in(),
        )
    )
    async def seat_cancel(self, info: strawberry.Info, input: SeatCancelInput) -> SeatPayload:
        pk = organization_pk(input.organization_id, ("input", "organizationId"))
        seat = await seats.cancel(info.context.user, pk, info.context.meta)
        return SeatPayload(seat=seat)

    @strawberry.mutation(
        **describe("Changes your seat's type; SUPPORT (free) is always available.", _signed_in())
    )
    async def seat_type_change(self, info: strawberry.Info, input: SeatInput) -> SeatPayload:
        pk = organization_pk(input.organization_id, ("input", "organizationId"))
        seat = await seats.type_change(
            info.context.user, pk, SeatType(input.seat_type), info.context.meta
        )
        return SeatPayload(seat=seat)
