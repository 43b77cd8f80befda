"""Adding staff, changing roles, removing staff, and the staff list.

Adding someone whose email is verified on the platform gives them access at once (same
login as before); anyone else gets an invitation, and access only once they accept it,
which proves the address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from carnet.i18n import N_
from carnet.settings import Settings
from models.contacts import ContactSource
from models.identity import User
from models.staff import Invitation, InvitationState, MembershipStatus, Role, StaffMembership
from resolvers.common import audit
from resolvers.common.actor import Actor
from resolvers.common.errors import ErrorCollector, UserErrorCode, UserErrors
from resolvers.common.pagination import Page, paginate
from resolvers.common.permissions import role_label
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import today_in
from resolvers.common.validation import clean_text, normalize_email
from resolvers.contacts.interactions import record_interaction
from resolvers.messaging.email import queue_email
from resolvers.staff import invitations, status
from resolvers.staff.rules import (
    check_an_owner_remains,
    check_may_manage,
    lock_staff,
    locked_membership,
    save_audited,
    snapshot,
)


@dataclass
class StaffAddition:
    email: str
    first_name: str
    last_name: str
    role: Role


@dataclass
class AddedStaff:
    membership: StaffMembership
    invitation: Invitation | None


async def add(actor: Actor, data: StaffAddition, settings: Settings) -> AddedStaff:
    errors = ErrorCollector()
    email = normalize_email(data.email, errors, ("input", "email"))
    first_name = clean_text(
        data.first_name, errors, ("input", "first_name"), max_length=100, required=True
    )
    last_name = clean_text(data.last_name, errors, ("input", "last_name"), max_length=100)
    errors.raise_if_any()
    check_may_manage(actor, data.role, ("input", "role"))
    try:
        return await _add(actor, email, first_name, last_name, data.role, settings)
    except IntegrityError:
        pass
    # A concurrent request created the login between our look-up and our insert (staffAdd
    # in another organization, userRegister); its row is committed now, so a second attempt
    # finds it and goes on from there, as if it had always been there.
    try:
        return await _add(actor, email, first_name, last_name, data.role, settings)
    except IntegrityError:
        raise UserErrors.single(
            UserErrorCode.ALREADY_EXISTS,
            ("input", "email"),
            N_("This person is already staff here."),
        ) from None


async def _add(
    actor: Actor, email: str, first_name: str, last_name: str, role: Role, settings: Settings
) -> AddedStaff:
    async with unit_of_work():
        actor = await lock_staff(actor, ("input", "organization_id"))
        check_may_manage(actor, role, ("input", "role"))
        user = await User.get_or_none(email=email)
        if user is not None:
            await _check_not_already_staff(actor, user)
        else:
            # Not a login yet: no password, so nobody can sign in with it until the
            # invitation (or a registration and verification) proves the address.
            user = await User.create(
                email=email, password_hash="", first_name=first_name, last_name=last_name
            )
        verified = user.email_verified
        membership = await StaffMembership.create(
            organization_id=actor.organization_id,
            user=user,
            role=role,
            status=MembershipStatus.ACTIVE if verified else MembershipStatus.INVITED,
        )
        await audit.record(
            "staff.add",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("StaffMembership", membership.id),
            after={**snapshot(membership), "email": email},
        )
        # Whichever mail goes (an access notice, an invitation), it is rationed.
        await invitations.ration_mail(actor)
        invitation = None
        if verified:
            # Staff are in the address book too (source STAFF_MEMBERSHIP).
            await record_interaction(
                actor.organization_id,
                user=user,
                first_name=user.first_name,
                last_name=user.last_name,
                source=ContactSource.STAFF_MEMBERSHIP,
                by=actor.user,
                meta=actor.meta,
            )
            await queue_email(
                template="staff_access_granted",
                to=user.email,
                locale=user.locale,
                organization_id=actor.organization_id,
                name=user.first_name or user.email,
                organization=actor.organization.name,
                role=role_label(role, user.locale),
                inviter=actor.user.full_name or actor.user.email,
            )
        else:
            invitation = await invitations.create_for_staff(
                actor, membership, user, first_name, last_name, settings
            )
    return AddedStaff(membership, invitation)


async def _check_not_already_staff(actor: Actor, user: User) -> None:
    existing = await StaffMembership.get_or_none(
        organization_id=actor.organization_id, user_id=user.id
    )
    if existing is None:
        return
    today = today_in(actor.organization.timezone)
    message = {
        MembershipStatus.ACTIVE: N_("This person is already staff here."),
        MembershipStatus.INVITED: N_(
            "This person is already invited: resend the invitation instead."
        ),
        MembershipStatus.DEACTIVATED: N_(
            "This person's access was deactivated: reactivate it instead."
        ),
    }[status.effective(existing, today)]
    raise UserErrors.single(UserErrorCode.ALREADY_EXISTS, ("input", "email"), message)


async def change_role(actor: Actor, membership_id: int | None, role: Role) -> StaffMembership:
    async with unit_of_work():
        actor = await lock_staff(actor, ("input", "membership_id"))
        membership = await locked_membership(actor, membership_id)
        if membership.role is role:
            return membership
        check_may_manage(actor, membership.role, ("input", "membership_id"))
        check_may_manage(actor, role, ("input", "role"))
        if role is not Role.OWNER:
            await check_an_owner_remains(actor, membership, ("input", "role"))
        before = snapshot(membership)
        membership.role = role
        await save_audited(actor, membership, "staff.role_change", before, ["role"])
    return membership


async def remove(actor: Actor, membership_id: int | None) -> int:
    async with unit_of_work():
        actor = await lock_staff(actor, ("input", "membership_id"))
        membership = await locked_membership(actor, membership_id)
        check_may_manage(actor, membership.role, ("input", "membership_id"))
        await check_an_owner_remains(actor, membership, ("input", "membership_id"))
        await invitations.revoke_pending_of(actor, membership)
        before = snapshot(membership)
        removed_id = membership.id
        await membership.delete()
        await audit.record(
            "staff.remove",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("StaffMembership", removed_id),
            before=before,
        )
    return removed_id


class StaffSort(StrEnum):
    NAME = "NAME"
    EMAIL = "EMAIL"
    ROLE = "ROLE"
    CREATED_AT = "CREATED_AT"


_SORT_KEYS = {
    StaffSort.NAME: ("user__last_name", "user__first_name"),
    StaffSort.EMAIL: ("user__email",),
    StaffSort.ROLE: ("role",),
    StaffSort.CREATED_AT: ("created_at",),
}


@dataclass
class StaffFilter:
    roles: list[Role] | None = None
    statuses: list[MembershipStatus] | None = None
    search: str | None = None
    pending_deactivation: bool | None = None


# A search is a few words, each matching part of the email, first or last name.
MAX_SEARCH_TERMS = 5


async def members(
    actor: Actor, filters: StaffFilter, sort: StaffSort, descending: bool, **page_args
) -> Page:
    qs = StaffMembership.filter(organization_id=actor.organization_id)
    # Statuses as access sees them: a deactivation date that has come counts at once.
    today = today_in(actor.organization.timezone)
    if filters.roles:
        qs = qs.filter(role__in=filters.roles)
    if filters.statuses:
        qs = qs.filter(Q(*[_status_is(s, today) for s in filters.statuses], join_type="OR"))
    if filters.pending_deactivation is True:
        qs = qs.filter(status=MembershipStatus.ACTIVE, deactivate_on__gt=today)
    elif filters.pending_deactivation is False:
        qs = qs.filter(status=MembershipStatus.ACTIVE, deactivate_on__isnull=True)
    # "Nora Nouvelle" finds Nora Nouvelle: every word must match one of the fields.
    for term in (filters.search or "").split()[:MAX_SEARCH_TERMS]:
        qs = qs.filter(
            Q(user__email__icontains=term)
            | Q(user__first_name__icontains=term)
            | Q(user__last_name__icontains=term)
        )
    order = [f"{'-' if descending else ''}{key}" for key in _SORT_KEYS[sort]]
    return await paginate(qs.select_related("user"), order=order, **page_args)


def _status_is(wanted: MembershipStatus, today: date) -> Q:
    scheduled_and_due = Q(status=MembershipStatus.ACTIVE, deactivate_on__lte=today)
    if wanted is MembershipStatus.ACTIVE:
        # Spelled out rather than negated: NOT (deactivate_on <= today) is NULL, not true,
        # for the (many) memberships with no date.
        return Q(status=MembershipStatus.ACTIVE) & (
            Q(deactivate_on__isnull=True) | Q(deactivate_on__gt=today)
        )
    if wanted is MembershipStatus.DEACTIVATED:
        return Q(status=MembershipStatus.DEACTIVATED) | scheduled_and_due
    return Q(status=wanted)


def pending_invitation(membership: StaffMembership):
    return (
        Invitation.filter(membership_id=membership.id, state=InvitationState.PENDING)
        .order_by("-id")
        .first()
    )
