"""Batch loaders for a team's member list (one query per page, whatever its size)."""

from __future__ import annotations

from models.teams import Seat


async def member_seats(keys: list[tuple[int, int]]) -> list[Seat | None]:
    """Seats by (organization id, user id): a page's members share one organization."""
    organization_ids = {organization_id for organization_id, _ in keys}
    user_ids = {user_id for _, user_id in keys}
    rows = await Seat.filter(organization_id__in=organization_ids, user_id__in=user_ids)
    found = {(seat.organization_id, seat.user_id): seat for seat in rows}
    return [found.get(key) for key in keys]
