"""Who may touch which membership, and the one invariant: an active OWNER always remains."""

from __future__ import annotations

from datetime import date

from tortoise.expressions import Q

from carnet.i18n import N_
from models.organizations import MembershipStatus, Organization, Role, StaffMembership
from resolvers.common.actor import Actor
from resolvers.common.errors import FieldPath, NotFound, UserErrorCode, UserErrors
from resolvers.common.permissions import Permission


def check_may_manage(actor: Actor, role: Role, field: FieldPath) -> None:
    """Only an OWNER grants, changes or removes the OWNER role; ADMIN manages the others."""
    if role is Role.OWNER and not actor.can(Permission.STAFF_MANAGE_OWNERS):
        raise UserErrors.single(
            UserErrorCode.FORBIDDEN, field, N_("Only an owner can grant or remove the owner role.")
        )


async def lock_organization(actor: Actor) -> None:
    """Serializes staff changes in one organization, so two owners demoting each other at
    the same moment cannot both pass the last-owner check."""
    await Organization.filter(id=actor.organization_id).select_for_update().first()


async def locked_membership(
    actor: Actor, membership_id: int | None, field: FieldPath = ("input", "membership_id")
) -> StaffMembership:
    """The membership, in the actor's organization, locked for this transaction."""
    membership = None
    if membership_id is not None:
        membership = (
            await StaffMembership.filter(id=membership_id, organization_id=actor.organization_id)
            .select_for_update()
            .first()
        )
    if membership is None:
        raise NotFound(field)
    await membership.fetch_related("user")
    return membership


async def check_an_owner_remains(
    actor: Actor, leaving: StaffMembership, field: FieldPath, on: date | None = None
) -> None:
    """Refuses when `leaving` is the last active OWNER (as of `on`, for a scheduled end)."""
    if leaving.role is not Role.OWNER or leaving.status is not MembershipStatus.ACTIVE:
        return
    others = StaffMembership.filter(
        organization_id=actor.organization_id, role=Role.OWNER, status=MembershipStatus.ACTIVE
    ).exclude(id=leaving.id)
    if on is not None:
        others = others.filter(Q(deactivate_on=None) | Q(deactivate_on__gt=on))
    else:
        others = others.filter(deactivate_on=None)
    if not await others.exists():
        raise UserErrors.single(
            UserErrorCode.LAST_OWNER,
            field,
            N_("An organization needs an active owner: make someone else owner first."),
        )


def snapshot(membership: StaffMembership) -> dict[str, object]:
    return {
        "user_id": membership.user_id,
        "role": membership.role.value,
        "status": membership.status.value,
        "deactivate_on": membership.deactivate_on.isoformat() if membership.deactivate_on else None,
    }
