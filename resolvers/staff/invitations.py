"""Staff invitations: created with the membership, sent by a job, resent, revoked, accepted.

A resend asks for a new send, and the job issues a fresh token (the old one dies) and
records the email, whose own job mints the secret as it mails it. The job does nothing when
the latest request was already sent, so running it twice sends once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from carnet import throttle
from carnet.auth import hash_password, token_digest
from carnet.i18n import N_
from carnet.settings import Settings
from models.contacts import ContactSource
from models.identity import OneTimeToken, TokenPurpose, User
from models.staff import (
    Invitation,
    InvitationKind,
    InvitationState,
    MembershipStatus,
    StaffMembership,
)
from resolvers.common import audit
from resolvers.common.actor import Actor, RequestMeta
from resolvers.common.errors import (
    ErrorCollector,
    NotFound,
    RateLimited,
    UserErrorCode,
    UserErrors,
)
from resolvers.common.pagination import Page, paginate
from resolvers.common.permissions import role_label
from resolvers.common.tasks import current_unit_of_work, unit_of_work
from resolvers.common.time import now
from resolvers.common.validation import check_password, clean_text
from resolvers.contacts.interactions import record_interaction
from resolvers.contacts.links import link_verified_user
from resolvers.identity import sessions, tokens
from resolvers.identity.sessions import IssuedTokens, start_session
from resolvers.messaging.email import queue_email
from resolvers.staff.rules import check_may_manage, lock_staff, snapshot

SEND_INVITATION = "send_invitation"


def _expiry(settings: Settings):
    return now() + timedelta(days=settings.invitation_ttl_days)


def state_of(invitation: Invitation) -> InvitationState:
    if invitation.state is InvitationState.PENDING and invitation.expires_at <= now():
        return InvitationState.EXPIRED
    return invitation.state


async def ration_mail(actor: Actor) -> None:
    """Counts one email sent in the organization's name at the actor's request, or raises
    RateLimited (counting nothing) when the organization or the actor has sent their
    quota. Called inside the caller's unit of work, once nothing else can refuse the
    request, so that a refused request uses no quota and a rationed one writes nothing."""
    uses = throttle.invitation_mail_quotas(actor.organization_id, actor.user.id)
    wait = await throttle.allow(*uses)
    if wait:
        raise RateLimited(wait)


async def create_for_staff(
    actor: Actor,
    membership: StaffMembership,
    user: User,
    first_name: str,
    last_name: str,
    settings: Settings,
) -> Invitation:
    invitation = await Invitation.create(
        organization_id=actor.organization_id,
        kind=InvitationKind.STAFF,
        user=user,
        email=user.email,
        first_name=first_name,
        last_name=last_name,
        membership=membership,
        invited_by=actor.user,
        expires_at=_expiry(settings),
        send_requested_at=now(),
    )
    await current_unit_of_work().defer(SEND_INVITATION, invitation.id)
    await audit.record(
        "staff.invitation_send",
        actor=actor.user,
        meta=actor.meta,
        organization_id=actor.organization_id,
        target=("Invitation", invitation.id),
        after={"email": user.email, "expires_at": invitation.expires_at.isoformat()},
    )
    return invitation


async def send(invitation_id: int) -> None:
    """The send_invitation job: a fresh token and the email, once per send request."""
    async with unit_of_work():
        invitation = await Invitation.filter(id=invitation_id).select_for_update().first()
        if invitation is None or state_of(invitation) is not InvitationState.PENDING:
            return
        if invitation.sent_at is not None and invitation.sent_at >= invitation.send_requested_at:
            return
        await invitation.fetch_related("organization", "user", "invited_by", "membership")
        await retire_token(invitation)
        ttl = int((invitation.expires_at - now()).total_seconds())
        # Not bound to the user: their invitations elsewhere keep their own tokens.
        token = await tokens.issue(
            TokenPurpose.INVITATION, email=invitation.email, ttl_seconds=max(ttl, 1)
        )
        user = invitation.user
        inviter = invitation.invited_by
        inviter_name = (inviter.full_name or inviter.email) if inviter else None
        role = invitation.membership.role if invitation.membership else None
        await queue_email(
            template="staff_invitation",
            to=invitation.email,
            locale=user.locale,
            organization_id=invitation.organization_id,
            token=token,
            link_path="accept-invitation",
            name=user.first_name or invitation.email,
            organization=invitation.organization.name,
            inviter=inviter_name or invitation.organization.name,
            role=role_label(role, user.locale) if role else "",
            expires_on=invitation.expires_at.date().isoformat(),
            needs_password=not user.email_verified,
        )
        await mark_sent(invitation, token)


async def mark_sent(invitation: Invitation, token: OneTimeToken) -> None:
    """Records a mailed invitation's new link (staff, team and account invitations alike)."""
    invitation.token = token
    invitation.sent_at = now()
    invitation.send_count += 1
    await invitation.save(update_fields=["token_id", "sent_at", "send_count", "updated_at"])


async def retire_token(invitation: Invitation) -> None:
    if invitation.token_id is not None:
        await OneTimeToken.filter(id=invitation.token_id, used_at=None).update(revoked_at=now())


async def _locked_invitation(actor: Actor, invitation_id: int | None) -> Invitation:
    invitation = None
    if invitation_id is not None:
        invitation = (
            await Invitation.filter(
                id=invitation_id, organization_id=actor.organization_id, kind=InvitationKind.STAFF
            )
            .select_for_update()
            .first()
        )
    if invitation is None:
        raise NotFound(("input", "invitation_id"))
    await invitation.fetch_related("membership")
    return invitation


def _not_open(invitation: Invitation) -> UserErrors:
    message = {
        InvitationState.ACCEPTED: N_("This invitation was already accepted."),
        InvitationState.REVOKED: N_("This invitation was revoked: add the person again."),
    }[invitation.state]
    return UserErrors.single(UserErrorCode.INVALID, ("input", "invitation_id"), message)


async def resend(actor: Actor, invitation_id: int | None, settings: Settings) -> Invitation:
    """A new link with a new expiry; the previous link stops working at once."""
    async with unit_of_work() as uow:
        actor = await lock_staff(actor, ("input", "invitation_id"))
        invitation = await _locked_invitation(actor, invitation_id)
        if invitation.state is not InvitationState.PENDING:  # expired ones may be resent
            raise _not_open(invitation)
        if invitation.membership:
            check_may_manage(actor, invitation.membership.role, ("input", "invitation_id"))
        await ration_mail(actor)
        await retire_token(invitation)
        invitation.expires_at = _expiry(settings)
        invitation.send_requested_at = now()
        await invitation.save(update_fields=["expires_at", "send_requested_at", "updated_at"])
        await uow.defer(SEND_INVITATION, invitation.id)
        await audit.record(
            "staff.invitation_resend",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("Invitation", invitation.id),
            after={"expires_at": invitation.expires_at.isoformat()},
        )
    return invitation


async def revoke(actor: Actor, invitation_id: int | None) -> Invitation:
    """The link dies and the invited (never active) membership goes."""
    async with unit_of_work():
        actor = await lock_staff(actor, ("input", "invitation_id"))
        invitation = await _locked_invitation(actor, invitation_id)
        if invitation.state is not InvitationState.PENDING:
            raise _not_open(invitation)
        if invitation.membership:
            check_may_manage(actor, invitation.membership.role, ("input", "invitation_id"))
        membership_id = invitation.membership_id
        await _revoke(invitation)
        await _record_revoke(actor, invitation.id, invitation.email, membership_id)
    return invitation


async def _record_revoke(
    actor: Actor, invitation_id: int, email: str, membership_id: int | None
) -> None:
    await audit.record(
        "staff.invitation_revoke",
        actor=actor.user,
        meta=actor.meta,
        organization_id=actor.organization_id,
        target=("Invitation", invitation_id),
        before={"state": InvitationState.PENDING.value, "membership_id": membership_id},
        after={"state": InvitationState.REVOKED.value, "email": email},
    )


async def _revoke(invitation: Invitation) -> None:
    await retire_token(invitation)
    invitation.state = InvitationState.REVOKED
    invitation.revoked_at = now()
    membership_id = invitation.membership_id
    invitation.membership = None
    await invitation.save(update_fields=["state", "revoked_at", "membership_id", "updated_at"])
    if membership_id is not None:
        await StaffMembership.filter(id=membership_id, status=MembershipStatus.INVITED).delete()


async def revoke_pending_of(actor: Actor, membership: StaffMembership) -> None:
    """Revokes the invitations of a membership being removed (each one audited)."""
    for invitation in await Invitation.filter(
        membership_id=membership.id, state=InvitationState.PENDING
    ):
        await retire_token(invitation)
        await Invitation.filter(id=invitation.id).update(
            state=InvitationState.REVOKED, revoked_at=now(), membership_id=None
        )
        await _record_revoke(actor, invitation.id, invitation.email, membership.id)


def _link_replaced() -> UserErrors:
    return UserErrors.single(
        UserErrorCode.TOKEN_REVOKED,
        ("input", "token"),
        N_("This link was replaced or cancelled. Use the latest one."),
    )


async def _claim(user: User, password: str | None, errors: ErrorCollector) -> None:
    """The address is proven only now, so whoever set this login's password so far (a
    registration anyone could have made with this address) proved nothing: the person
    holding the link chooses the password, and every earlier device is signed out."""
    if not password:
        raise UserErrors.single(
            UserErrorCode.REQUIRED,
            ("input", "password"),
            N_("Choose a password to finish joining."),
        )
    check_password(password, errors, ("input", "password"), user.email)
    errors.raise_if_any()
    user.password_hash = await hash_password(password)
    await sessions.revoke_all(user)
    # ...and a move of the login to an address of the registrant's own, asked for earlier.
    await tokens.revoke_outstanding(user, TokenPurpose.EMAIL_CHANGE)


def _typed_names(invitation: Invitation) -> dict[str, str]:
    """The name the inviter typed, for a login whose address is proven only now: a name set
    before (by whoever registered the address first) proved nothing, so it gives way to
    this one, and this one to the invited person's own answer."""
    if not invitation.first_name:  # written before invitations kept the typed name
        return {}
    return {"first_name": invitation.first_name, "last_name": invitation.last_name}


@dataclass
class Acceptance:
    invitation: Invitation
    tokens: IssuedTokens


async def accept(
    token: str,
    password: str | None,
    first_name: str | None,
    last_name: str | None,
    meta: RequestMeta,
    settings: Settings,
) -> Acceptance:
    """Activates the membership and signs the user in; the link proves the address.

    Whoever's address was not proven yet chooses their password here (it replaces one set
    by a registration, which proved nothing); a person with a verified login keeps theirs.
    """
    errors = ErrorCollector()
    names = {}
    if first_name is not None:
        names["first_name"] = clean_text(
            first_name, errors, ("input", "first_name"), max_length=100, required=True
        )
    if last_name is not None:
        names["last_name"] = clean_text(last_name, errors, ("input", "last_name"), max_length=100)
    errors.raise_if_any()
    async with unit_of_work():
        # Account first, then the link, as every link-driven account change does (see
        # `tokens.consume_for_user`): an invitation link names no user of its own.
        invitee_id = (
            await Invitation.filter(token__token_hash=token_digest(token or ""))
            .first()
            .values_list("user_id", flat=True)
        )
        if invitee_id is not None:
            await User.filter(id=invitee_id).select_for_update().first()
        record = await tokens.consume(token, TokenPurpose.INVITATION, ("input", "token"))
        invitation = await Invitation.filter(token_id=record.id).select_for_update().first()
        if invitation is None or invitation.state is not InvitationState.PENDING:
            raise _link_replaced()
        if state_of(invitation) is InvitationState.EXPIRED:
            raise UserErrors.single(
                UserErrorCode.TOKEN_EXPIRED,
                ("input", "token"),
                N_("This link has expired. Ask for a new one."),
            )
        await invitation.fetch_related("user", "membership", "organization")
        user = invitation.user
        if invitation.membership is None:  # removed meanwhile: nothing left to join
            raise _link_replaced()
        if not user.is_active or user.email != invitation.email:
            # A disabled login must not be signed in; and the link proves the address it
            # was mailed to, which is no longer this login's.
            raise UserErrors.single(
                UserErrorCode.TOKEN_INVALID,
                ("input", "token"),
                N_("This link is not valid. Ask for a new one."),
            )
        before = snapshot(invitation.membership)
        if not user.email_verified:
            await _claim(user, password, errors)
            names = {**_typed_names(invitation), **names}
        user.update_from_dict(names)
        user.email_verified_at = user.email_verified_at or now()
        await user.save()
        membership = invitation.membership
        if membership.status is MembershipStatus.INVITED:
            membership.status = MembershipStatus.ACTIVE
            await membership.save(update_fields=["status", "updated_at"])
        invitation.state = InvitationState.ACCEPTED
        invitation.accepted_at = now()
        await invitation.save(update_fields=["state", "accepted_at", "updated_at"])
        await audit.record(
            "staff.invitation_accept",
            actor=user,
            meta=meta,
            organization_id=invitation.organization_id,
            target=("Invitation", invitation.id),
            before={"membership": before},
            after={"membership": snapshot(membership), "membership_id": membership.id},
        )
        # Joining puts the person in the address book; the proven address links contacts.
        await record_interaction(
            invitation.organization_id,
            user=user,
            first_name=user.first_name,
            last_name=user.last_name,
            source=ContactSource.STAFF_MEMBERSHIP,
            meta=meta,
        )
        await link_verified_user(user, meta)
    issued = await start_session(user, "", meta, settings)
    return Acceptance(invitation, issued)


async def invitations(actor: Actor, state: InvitationState | None, **page_args) -> Page:
    qs = Invitation.filter(organization_id=actor.organization_id, kind=InvitationKind.STAFF)
    if state is InvitationState.EXPIRED:
        qs = qs.filter(state=InvitationState.PENDING, expires_at__lte=now())
    elif state is InvitationState.PENDING:
        qs = qs.filter(state=InvitationState.PENDING, expires_at__gt=now())
    elif state is not None:
        qs = qs.filter(state=state)
    related = qs.select_related("user", "membership", "membership__user", "invited_by")
    return await paginate(related, **page_args)
