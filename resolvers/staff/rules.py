"""Who may touch which membership, and the one invariant: an active OWNER always remains."""

from __future__ import annotations

from carnet.i18n import N_
from models.staff import MembershipStatus, Role, StaffMembership
from resolvers.common import audit
from resolvers.common.actor import Actor
from resolvers.common.errors import FieldPath, Forbidden, NotFound, UserErrorCode, UserErrors
from resolvers.common.locks import Purpose, advisory_lock
from resolvers.common.permissions import Permission
from resolvers.organizations.access import actor_for
from resolvers.staff import status


def check_may_manage(actor: Actor, role: Role, field: FieldPath) -> None:
    """Only an OWNER grants, changes or removes the OWNER role; ADMIN manages the others."""
    if role is Role.OWNER and not actor.can(Permission.STAFF_MANAGE_OWNERS):
        raise UserErrors.single(
            UserErrorCode.FORBIDDEN, field, N_("Only an owner can grant or remove the owner role.")
        )


async def lock_staff(actor: Actor, field: FieldPath) -> Actor:
    """Serializes staff changes in one organization and returns the actor as they are now.

    The permission guard read the actor's role before this lock: a demotion or removal that
    committed meanwhile (two owners demoting each other at the same moment) must count, or a
    former owner could still remove an owner. `field` carries the id that named the
    organization, for the NOT_FOUND of an actor who has lost their access meanwhile.
    """
    await advisory_lock(actor.organization_id, Purpose.STAFF)
    current = await actor_for(actor.user, actor.organization_id, actor.meta)
    if current is None:
        raise NotFound(field)
    if not current.can(Permission.STAFF_MANAGE):
        raise Forbidden()
    return current


async def locked_membership(
    actor: Actor, membership_id: int | None, field: FieldPath = ("input", "membership_id")
) -> StaffMembership:
    """The membership, in the actor's organization, locked for this transaction; a
    deactivation whose date has come is recorded first, so rules see what access says."""
    membership = None
    if membership_id is not None:
        membership = (
            await StaffMembership.filter(id=membership_id, organization_id=actor.organization_id)
            .select_for_update()
            .first()
        )
    if membership is None:
        raise NotFound(field)
    await status.settle(membership, actor.organization, actor.meta)
    await membership.fetch_related("user")
    return membership


async def check_an_owner_remains(actor: Actor, leaving: StaffMembership, field: FieldPath) -> None:
    """Refuses when `leaving` is the last active OWNER with no deactivation date.

    Every scheduled owner leaves some day, so only open-ended ones count: otherwise two
    owners scheduled one after the other (in either order) would leave nobody in charge.
    """
    if leaving.role is not Role.OWNER or leaving.status is not MembershipStatus.ACTIVE:
        return
    others = StaffMembership.filter(
        organization_id=actor.organization_id,
        role=Role.OWNER,
        status=MembershipStatus.ACTIVE,
        deactivate_on__isnull=True,
    ).exclude(id=leaving.id)
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


async def save_audited(
    actor: Actor, membership: StaffMembership, action: str, before: dict, fields: list[str]
) -> None:
    """Saves the changed fields and records `action` with the before/after snapshots."""
    await membership.save(update_fields=[*fields, "updated_at"])
    await audit.record(
        action,
        actor=actor.user,
        meta=actor.meta,
        organization_id=actor.organization_id,
        target=("StaffMembership", membership.id),
        before=before,
        after=snapshot(membership),
    )
