"""Ending staff access on a date, cancelling that, and giving access back.

Access ends at the start of `deactivate_on` in the organization's timezone; the request-time
check (`resolvers.organizations.access.actor_for`) enforces it at once, and the hourly job
only records it (status DEACTIVATED) and writes the audit event.
"""

from __future__ import annotations

from datetime import date

from carnet.i18n import N_
from models.staff import MembershipStatus, StaffMembership
from resolvers.common.actor import Actor
from resolvers.common.errors import UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now, today_in
from resolvers.staff import status
from resolvers.staff.rules import (
    check_an_owner_remains,
    check_may_manage,
    lock_staff,
    locked_membership,
    save_audited,
    snapshot,
)


async def deactivate(actor: Actor, membership_id: int | None, on: date) -> StaffMembership:
    today = today_in(actor.organization.timezone)
    if on < today:
        raise UserErrors.single(
            UserErrorCode.INVALID, ("input", "on"), N_("Choose today or a later date.")
        )
    async with unit_of_work():
        actor = await lock_staff(actor, ("input", "membership_id"))
        membership = await locked_membership(actor, membership_id)
        check_may_manage(actor, membership.role, ("input", "membership_id"))
        if membership.status is not MembershipStatus.ACTIVE:
            raise UserErrors.single(
                UserErrorCode.INVALID,
                ("input", "membership_id"),
                N_("Only active staff can be deactivated."),
            )
        await check_an_owner_remains(actor, membership, ("input", "membership_id"))
        before = snapshot(membership)
        membership.deactivate_on = on
        if on == today:
            membership.status = MembershipStatus.DEACTIVATED
            membership.deactivated_at = now()
        await save_audited(
            actor,
            membership,
            "staff.deactivate",
            before,
            ["deactivate_on", "status", "deactivated_at"],
        )
    return membership


async def cancel_deactivation(actor: Actor, membership_id: int | None) -> StaffMembership:
    async with unit_of_work():
        actor = await lock_staff(actor, ("input", "membership_id"))
        membership = await locked_membership(actor, membership_id)
        check_may_manage(actor, membership.role, ("input", "membership_id"))
        if membership.status is MembershipStatus.DEACTIVATED:
            # Its date has come: access already ended, and giving it back is a reactivation.
            raise UserErrors.single(
                UserErrorCode.INVALID,
                ("input", "membership_id"),
                N_("This person's access has already ended: reactivate it instead."),
            )
        if membership.status is not MembershipStatus.ACTIVE or membership.deactivate_on is None:
            raise UserErrors.single(
                UserErrorCode.INVALID,
                ("input", "membership_id"),
                N_("No deactivation is scheduled for this person."),
            )
        before = snapshot(membership)
        membership.deactivate_on = None
        await save_audited(
            actor, membership, "staff.deactivation_cancel", before, ["deactivate_on"]
        )
    return membership


async def reactivate(actor: Actor, membership_id: int | None) -> StaffMembership:
    async with unit_of_work():
        actor = await lock_staff(actor, ("input", "membership_id"))
        membership = await locked_membership(actor, membership_id)
        check_may_manage(actor, membership.role, ("input", "membership_id"))
        if membership.status is not MembershipStatus.DEACTIVATED:
            raise UserErrors.single(
                UserErrorCode.INVALID,
                ("input", "membership_id"),
                N_("This person's access is not deactivated."),
            )
        before = snapshot(membership)
        membership.status = MembershipStatus.ACTIVE
        membership.deactivate_on = None
        membership.deactivated_at = None
        await save_audited(
            actor,
            membership,
            "staff.reactivate",
            before,
            ["status", "deactivate_on", "deactivated_at"],
        )
    return membership


async def apply_scheduled() -> int:
    """Records the deactivations whose date has come (idempotent: they leave the filter)."""
    due = await StaffMembership.filter(
        status=MembershipStatus.ACTIVE, deactivate_on__isnull=False
    ).select_related("organization")
    applied = 0
    for membership in due:
        if not status.is_due(membership, today_in(membership.organization.timezone)):
            continue
        async with unit_of_work():
            applied += await status.settle(membership, membership.organization)
    return applied
