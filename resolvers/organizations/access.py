"""Resolving a user's role in an organization, at request time."""

from __future__ import annotations

from models.identity import User
from models.staff import MembershipStatus, StaffMembership
from resolvers.common.actor import Actor, RequestMeta
from resolvers.common.time import today_in


async def actor_for(user: User, organization_id: int, meta: RequestMeta) -> Actor | None:
    """The user's active staff role there, or None (no access)."""
    membership = await StaffMembership.get_or_none(
        user_id=user.id, organization_id=organization_id, status=MembershipStatus.ACTIVE
    ).select_related("organization")
    return active_actor(user, membership, meta)


def active_actor(
    user: User, membership: StaffMembership | None, meta: RequestMeta
) -> Actor | None:
    """The actor an ACTIVE membership (fetched with its organization) makes, or None.

    A scheduled deactivation takes effect at the start of its date in the organization's
    timezone, checked here so there is no window before the daily job marks it.
    """
    if membership is None:
        return None
    organization = membership.organization
    if membership.deactivate_on and membership.deactivate_on <= today_in(organization.timezone):
        return None
    return Actor(user=user, organization=organization, membership=membership, meta=meta)
