"""Team invitations: a batch of addresses (or existing users of the organization), one
seat type and one payment choice per batch; each invitee gets an invitation (the staff
invitation model, kind TEAM) mailed by a job, and joins on accepting it.

A person with a verified login keeps it (the link asks no password); anyone else proves
the address with the link and chooses a password, as staff invitations do. The payment
offered is applied on acceptance when the takeover rules still allow it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from tortoise.exceptions import IntegrityError

from carnet import throttle
from carnet.i18n import N_
from carnet.settings import Settings
from models.identity import TokenPurpose, User
from models.staff import Invitation, InvitationKind, InvitationState
from models.teams import Seat, SeatPayment, SeatType, Team, TeamMember, TeamMemberStatus
from resolvers.common import audit
from resolvers.common.actor import Principal
from resolvers.common.errors import (
    ErrorCollector,
    NotFound,
    RateLimited,
    UserErrorCode,
    UserErrors,
)
from resolvers.common.relationships import tied_to_organization
from resolvers.common.tasks import current_unit_of_work, unit_of_work
from resolvers.common.time import now
from resolvers.common.validation import normalize_email
from resolvers.identity import tokens
from resolvers.messaging.email import queue_email
from resolvers.staff import invitations as staff_invitations
from resolvers.teams import clock, takeover, teams

SEND_TEAM_INVITATION = "send_team_invitation"
MAX_INVITEES = 100


@dataclass(frozen=True)
class Invitee:
    """One address of the batch, or one existing user picked, with its path in the input."""

    field: tuple
    email: str = ""
    user_id: int | None = None


def check_batch(emails: Sequence[str], user_ids: Sequence[object]) -> None:
    """Before anything is looked up: 1 to 100 invitees in all."""
    total = len(emails) + len(user_ids)
    if total == 0:
        raise UserErrors.single(
            UserErrorCode.REQUIRED, ("input", "emails"), N_("Invite at least one person.")
        )
    if total > MAX_INVITEES:
        raise UserErrors.single(
            UserErrorCode.TOO_MANY,
            ("input", "emails"),
            N_("At most {max} people per invitation batch."),
            max=MAX_INVITEES,
        )


def _addresses(emails: Sequence[str], errors: ErrorCollector) -> list[Invitee]:
    found, seen = [], set()
    for index, raw in enumerate(emails):
        field = ("input", "emails", index)
        email = normalize_email(raw, errors, field)
        if not email:
            continue
        if email in seen:
            errors.add(UserErrorCode.DUPLICATE, field, N_("This address is already in the list."))
            continue
        seen.add(email)
        found.append(Invitee(field, email=email))
    return found


async def invite(
    principal: Principal,
    team_id: int,
    emails: Sequence[str],
    user_ids: Sequence[int],
    seat_type: SeatType,
    payment: SeatPayment,
    settings: Settings,
) -> list[TeamMember]:
    """Every invitee is checked and reported at its own index; nothing is written unless
    all of them can be invited."""
    check_batch(emails, user_ids)
    batch = (principal, team_id, emails, user_ids, seat_type, payment, settings)
    try:
        return await _invite_batch(*batch)
    except IntegrityError:
        # A login was created for one of the addresses meanwhile (a registration, another
        # batch): it is committed now, so a second attempt finds it and goes on from there.
        return await _invite_batch(*batch)


async def _invite_batch(
    principal: Principal,
    team_id: int,
    emails: Sequence[str],
    user_ids: Sequence[int],
    seat_type: SeatType,
    payment: SeatPayment,
    settings: Settings,
) -> list[TeamMember]:
    errors = ErrorCollector()
    invitees = _addresses(emails, errors)
    async with unit_of_work():
        team = await teams.locked_team(team_id)
        invitees += await _picked_users(team, user_ids, errors)
        users = await _users_of(invitees)
        _check_duplicate_people(invitees, users, errors)
        known = {user.id for user in users.values()}
        members = {
            m.user_id: m for m in await TeamMember.filter(team_id=team.id, user_id__in=known)
        }
        held = {
            seat.user_id: seat
            for seat in await Seat.filter(organization_id=team.organization_id, user_id__in=known)
        }
        planned = []
        for invitee in invitees:
            user = users.get(invitee.email) if invitee.email else users.get(invitee.user_id)
            member = members.get(user.id) if user else None
            seat = held.get(user.id) if user else None
            if _check_invitee(team, member, seat, payment, invitee.field, errors):
                planned.append((invitee, user))
        errors.raise_if_any()
        await _ration(team, principal.user)
        return [
            await _invite_one(principal, team, invitee, user, seat_type, payment, settings)
            for invitee, user in planned
        ]


async def _picked_users(team: Team, user_ids: Sequence[int], errors) -> list[Invitee]:
    """Existing users of the organization (staff, seat holders, team members); any other
    id is NOT_FOUND, as an unknown one is."""
    tied = await tied_to_organization(team.organization_id, set(user_ids))
    picked = []
    for index, user_id in enumerate(user_ids):
        field = ("input", "user_ids", index)
        if user_id not in tied:
            errors.add(UserErrorCode.NOT_FOUND, field, N_("Not found."))
        else:
            picked.append(Invitee(field, user_id=user_id))
    return picked


async def _users_of(invitees: list[Invitee]) -> dict:
    """Existing logins by address and by id."""
    emails = [i.email for i in invitees if i.email]
    ids = [i.user_id for i in invitees if i.user_id is not None]
    found: dict = {}
    for user in await User.filter(email__in=emails) if emails else []:
        found[user.email] = user
    for user in await User.filter(id__in=ids) if ids else []:
        found[user.id] = user
    return found


def _check_duplicate_people(invitees: list[Invitee], users: dict, errors) -> None:
    seen = set()
    for invitee in invitees:
        user = users.get(invitee.user_id) if invitee.user_id is not None else None
        key = user.email if user is not None else invitee.email
        if key in seen:
            errors.add(
                UserErrorCode.DUPLICATE, invitee.field, N_("This person is already in the list.")
            )
        seen.add(key)


def _check_invitee(
    team: Team,
    member: TeamMember | None,
    seat: Seat | None,
    payment: SeatPayment,
    field: tuple,
    errors: ErrorCollector,
) -> bool:
    if member is not None:
        message = {
            TeamMemberStatus.ACTIVE: N_("This person is already a member of the team."),
            TeamMemberStatus.INVITED: N_("This person is already invited to the team."),
        }[member.status]
        errors.add(UserErrorCode.ALREADY_EXISTS, field, message)
        return False
    refused = takeover.refusal(seat, team, payment, clock.now(), field)
    if refused is not None:
        errors.errors.append(refused)
        return False
    return True


async def _ration(team: Team, inviter: User) -> None:
    """One batch counts as one use of the inviter's and the organization's invitation
    quotas (a batch of 100 would exceed an hour's quota of single invitations)."""
    wait = await throttle.allow(*throttle.invitation_mail_quotas(team.organization_id, inviter.id))
    if wait:
        raise RateLimited(wait)


async def _invite_one(
    principal: Principal,
    team: Team,
    invitee: Invitee,
    user: User | None,
    seat_type: SeatType,
    payment: SeatPayment,
    settings: Settings,
) -> TeamMember:
    if user is None:
        # Not a login yet: no password, so nobody signs in with it until the link proves
        # the address.
        user = await User.create(email=invitee.email, password_hash="")
    invitation = await Invitation.create(
        organization_id=team.organization_id,
        kind=InvitationKind.TEAM,
        user=user,
        email=user.email,
        invited_by=principal.user,
        expires_at=now() + timedelta(days=settings.invitation_ttl_days),
        send_requested_at=now(),
    )
    member = await TeamMember.create(
        team=team,
        user=user,
        status=TeamMemberStatus.INVITED,
        seat_type=seat_type,
        payment=payment,
        invitation=invitation,
        invited_by=principal.user,
    )
    member.user = user
    await current_unit_of_work().defer(SEND_TEAM_INVITATION, invitation.id)
    await audit.record(
        "team.invitation_send",
        actor=principal.user,
        meta=principal.meta,
        organization_id=team.organization_id,
        target=("Invitation", invitation.id),
        after={
            "team_id": team.id,
            "email": user.email,
            "seat_type": seat_type.value,
            "payment": payment.value,
        },
    )
    return member


async def send(invitation_id: int) -> None:
    """The send_team_invitation job: a fresh token and the email, once per send asked."""
    async with unit_of_work():
        invitation = await Invitation.filter(id=invitation_id).select_for_update().first()
        if invitation is None or staff_invitations.state_of(invitation) is not (
            InvitationState.PENDING
        ):
            return
        if invitation.sent_at is not None and invitation.sent_at >= invitation.send_requested_at:
            return
        member = await TeamMember.filter(invitation_id=invitation.id).select_related("team").first()
        if member is None:
            return
        await invitation.fetch_related("organization", "user", "invited_by")
        await staff_invitations.retire_token(invitation)
        ttl = int((invitation.expires_at - now()).total_seconds())
        token = await tokens.issue(
            TokenPurpose.INVITATION, email=invitation.email, ttl_seconds=max(ttl, 1)
        )
        user, inviter = invitation.user, invitation.invited_by
        await queue_email(
            template="team_invitation",
            to=invitation.email,
            locale=user.locale,
            organization_id=invitation.organization_id,
            token=token,
            link_path="accept-team-invitation",
            name=user.first_name or invitation.email,
            organization=invitation.organization.name,
            team=member.team.name,
            inviter=(inviter.full_name or inviter.email) if inviter else "",
            expires_on=invitation.expires_at.date().isoformat(),
            needs_password=not user.email_verified,
        )
        await staff_invitations.mark_sent(invitation, token)


async def revoke_pending_of(member: TeamMember) -> None:
    if member.invitation_id is None:
        return
    invitation = await Invitation.get_or_none(
        id=member.invitation_id, state=InvitationState.PENDING
    )
    if invitation is not None:
        await staff_invitations.retire_token(invitation)
        await Invitation.filter(id=invitation.id).update(
            state=InvitationState.REVOKED, revoked_at=now()
        )


async def resend(principal: Principal, team_id: int, user_id: int, settings: Settings):
    """A new link with a new expiry for an invited member; the previous link dies."""
    field = ("input", "user_id")
    async with unit_of_work() as uow:
        team = await teams.locked_team(team_id)
        member = (
            await TeamMember.filter(team_id=team.id, user_id=user_id).select_related("user").first()
        )
        if member is None:
            raise NotFound(field)
        invitation = None
        if member.invitation_id is not None and member.status is TeamMemberStatus.INVITED:
            invitation = (
                await Invitation.filter(id=member.invitation_id, state=InvitationState.PENDING)
                .select_for_update()
                .first()
            )
        if invitation is None:
            raise UserErrors.single(
                UserErrorCode.INVALID, field, N_("This person has no invitation to resend.")
            )
        await _ration(team, principal.user)
        await staff_invitations.retire_token(invitation)
        invitation.expires_at = now() + timedelta(days=settings.invitation_ttl_days)
        invitation.send_requested_at = now()
        await invitation.save(update_fields=["expires_at", "send_requested_at", "updated_at"])
        await uow.defer(SEND_TEAM_INVITATION, invitation.id)
        await audit.record(
            "team.invitation_resend",
            actor=principal.user,
            meta=principal.meta,
            organization_id=team.organization_id,
            target=("Invitation", invitation.id),
            after={"expires_at": invitation.expires_at.isoformat()},
        )
    return member
