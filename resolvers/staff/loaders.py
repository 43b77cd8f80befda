"""Batch loaders for the staff list (one query per page, whatever its size)."""

from __future__ import annotations

from datetime import date

from models.organizations import Organization
from models.staff import Invitation, InvitationState
from resolvers.common.time import today_in


async def pending_invitations(membership_ids: list[int]) -> list[Invitation | None]:
    rows = await Invitation.filter(
        membership_id__in=membership_ids, state=InvitationState.PENDING
    ).order_by("id")
    latest = {row.membership_id: row for row in rows}  # the newest wins
    return [latest.get(i) for i in membership_ids]


async def organization_todays(organization_ids: list[int]) -> list[date]:
    """Today in each organization's timezone (a deactivation date is a local date)."""
    zones = dict(await Organization.filter(id__in=organization_ids).values_list("id", "timezone"))
    return [today_in(zones[i]) for i in organization_ids]
