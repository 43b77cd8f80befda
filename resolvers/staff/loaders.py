"""Batch loaders for the staff list (one query per page, whatever its size)."""

from __future__ import annotations

from models.staff import Invitation, InvitationState


async def pending_invitations(membership_ids: list[int]) -> list[Invitation | None]:
    rows = await Invitation.filter(
        membership_id__in=membership_ids, state=InvitationState.PENDING
    ).order_by("id")
    latest = {row.membership_id: row for row in rows}  # the newest wins
    return [latest.get(i) for i in membership_ids]
