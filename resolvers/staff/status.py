"""A membership's status as of today: a deactivation date that has come counts at once.

Access ends at the start of `deactivate_on` (checked at request time); the hourly job only
records it. Until it does, the stored status still says ACTIVE, so every read and every
change goes through `effective` or `settle`, never through the stored value alone.
"""

from __future__ import annotations

from datetime import date

from models.organizations import Organization
from models.staff import MembershipStatus, StaffMembership
from resolvers.common import audit
from resolvers.common.actor import RequestMeta
from resolvers.common.time import now, today_in


def effective(membership: StaffMembership, today: date) -> MembershipStatus:
    if is_due(membership, today):
        return MembershipStatus.DEACTIVATED
    return membership.status


def is_due(membership: StaffMembership, today: date) -> bool:
    """An active membership whose deactivation date has come but is not recorded yet."""
    return (
        membership.status is MembershipStatus.ACTIVE
        and membership.deactivate_on is not None
        and membership.deactivate_on <= today
    )


async def settle(
    membership: StaffMembership, organization: Organization, meta: RequestMeta | None = None
) -> bool:
    """Records a deactivation whose date has come, as the job would; True when it did.

    Call inside a transaction. The write is guarded by the values read, so the job and a
    request settling the same membership record it (and its audit event) once.
    """
    if not is_due(membership, today_in(organization.timezone)):
        return False
    moment = now()
    changed = await StaffMembership.filter(
        id=membership.id, status=MembershipStatus.ACTIVE, deactivate_on=membership.deactivate_on
    ).update(status=MembershipStatus.DEACTIVATED, deactivated_at=moment)
    if not changed:
        return False
    membership.status = MembershipStatus.DEACTIVATED
    membership.deactivated_at = moment
    await audit.record(
        "staff.deactivated",
        actor=None,  # the date did it, not whoever happened to touch the membership
        meta=meta or RequestMeta(),
        organization_id=membership.organization_id,
        target=("StaffMembership", membership.id),
        before={"status": MembershipStatus.ACTIVE.value},
        after={
            "status": MembershipStatus.DEACTIVATED.value,
            "deactivate_on": membership.deactivate_on.isoformat(),
        },
    )
    return True
