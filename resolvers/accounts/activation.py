"""Giving an account contact their login: the platform's own (a verified user with that
email is linked, never duplicated, and told they have access) or an activation invitation
(the staff invitation model, kind ACCOUNT) mailed by a job, whose link lets the person
choose a password. Nobody gains access through an address they have not proven.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from carnet.auth import token_digest
from carnet.i18n import N_
from carnet.settings import Settings
from models.accounts import AccountContact, ClientAccount
from models.contacts import Contact
from models.identity import TokenPurpose, User
from models.staff import Invitation, InvitationKind, InvitationState
from resolvers.common import audit
from resolvers.common.actor import Actor, RequestMeta
from resolvers.common.errors import ErrorCollector, NotFound, UserErrorCode, UserErrors
from resolvers.common.tasks import current_unit_of_work, unit_of_work
from resolvers.common.time import now
from resolvers.contacts.links import verified_user
from resolvers.identity import tokens
from resolvers.identity.sessions import IssuedTokens, start_session
from resolvers.messaging.email import queue_email
from resolvers.staff.invitations import _claim, mark_sent, ration_mail, retire_token, state_of

SEND_ACCOUNT_INVITATION = "send_account_invitation"


async def _link(contact: Contact, user: User, by: User | None, meta: RequestMeta) -> None:
    contact.user_id = user.id
    await contact.save(update_fields=["user_id", "updated_at"])
    await audit.record(
        "contact.user_link",
        actor=by,
        meta=meta,
        organization_id=contact.organization_id,
        target=("Contact", contact.id),
        after={"user_id": user.id, "automatic": True},
    )


async def _linked_elsewhere(contact: Contact, user: User) -> bool:
    others = Contact.filter(organization_id=contact.organization_id, user_id=user.id)
    return await others.exclude(id=contact.id).exists()


async def give_access(
    actor: Actor, account: ClientAccount, link: AccountContact, contact: Contact, settings: Settings
) -> Invitation | None:
    """For a contact with an email: linked to the login they already have (and told so),
    or invited to make one. Inside the caller's unit of work; the mail goes after commit."""
    if not contact.email:
        return None
    user = None
    if contact.user_id is None:
        user = await verified_user(contact.email)
        if user is not None:
            await User.filter(id=user.id).select_for_update().first()
            if await _linked_elsewhere(contact, user):
                return None  # a login is linked to one contact per organization
            await _link(contact, user, actor.user, actor.meta)
    else:
        user = await User.get(id=contact.user_id)
    await ration_mail(actor)
    if user is not None:
        await queue_email(
            template="account_access_granted",
            to=user.email,
            locale=user.locale,
            organization_id=actor.organization_id,
            name=user.first_name or user.email,
            organization=actor.organization.name,
            account=account.name,
        )
        return None
    return await invite(actor, link, contact, settings)


async def invite(
    actor: Actor, link: AccountContact, contact: Contact, settings: Settings
) -> Invitation:
    invitee = await User.get_or_none(email=contact.email)
    if invitee is None:
        # No password: nobody signs in with it until the link proves the address.
        invitee = await User.create(
            email=contact.email,
            password_hash="",
            first_name=contact.first_name,
            last_name=contact.last_name,
            locale=contact.locale,
        )
    invitation = await Invitation.create(
        organization_id=actor.organization_id,
        kind=InvitationKind.ACCOUNT,
        user=invitee,
        email=contact.email,
        first_name=contact.first_name,
        last_name=contact.last_name,
        invited_by=actor.user,
        expires_at=now() + timedelta(days=settings.invitation_ttl_days),
        send_requested_at=now(),
    )
    link.invitation = invitation
    await link.save(update_fields=["invitation_id", "updated_at"])
    await current_unit_of_work().defer(SEND_ACCOUNT_INVITATION, invitation.id)
    await audit.record(
        "client_account.invitation_send",
        actor=actor.user,
        meta=actor.meta,
        organization_id=actor.organization_id,
        target=("Invitation", invitation.id),
        after={"email": contact.email, "expires_at": invitation.expires_at.isoformat()},
    )
    return invitation


async def send(invitation_id: int) -> None:
    """The send_account_invitation job: a fresh token and the email, once per request."""
    async with unit_of_work():
        invitation = (
            await Invitation.filter(id=invitation_id, kind=InvitationKind.ACCOUNT)
            .select_for_update()
            .first()
        )
        if invitation is None or state_of(invitation) is not InvitationState.PENDING:
            return
        if invitation.sent_at is not None and invitation.sent_at >= invitation.send_requested_at:
            return
        await invitation.fetch_related("organization", "user")
        await retire_token(invitation)
        ttl = int((invitation.expires_at - now()).total_seconds())
        token = await tokens.issue(
            TokenPurpose.INVITATION, email=invitation.email, ttl_seconds=max(ttl, 1)
        )
        await queue_email(
            template="account_activation",
            to=invitation.email,
            locale=invitation.user.locale,
            organization_id=invitation.organization_id,
            token=token,
            link_path="activate-account",
            name=invitation.first_name or invitation.email,
            organization=invitation.organization.name,
            expires_on=invitation.expires_at.date().isoformat(),
        )
        await mark_sent(invitation, token)


@dataclass
class Activation:
    contact: AccountContact
    tokens: IssuedTokens


def _invalid_link() -> UserErrors:
    return UserErrors.single(
        UserErrorCode.TOKEN_INVALID,
        ("input", "token"),
        N_("This link is not valid. Ask for a new one."),
    )


async def activate(
    token: str, password: str | None, meta: RequestMeta, settings: Settings
) -> Activation:
    """The holder follows the activation link: the address is proven, they choose their
    password (a verified login keeps its own), and the account contact is linked to them."""
    errors = ErrorCollector()
    async with unit_of_work():
        invitee_id = (
            await Invitation.filter(
                token__token_hash=token_digest(token or ""), kind=InvitationKind.ACCOUNT
            )
            .first()
            .values_list("user_id", flat=True)
        )
        if invitee_id is not None:  # the account first, then the link (tokens.consume_for_user)
            await User.filter(id=invitee_id).select_for_update().first()
        # A replaced, used or expired link says so; rolled back with any refusal below.
        record = await tokens.consume(token, TokenPurpose.INVITATION, ("input", "token"))
        invitation = (
            await Invitation.filter(token_id=record.id, kind=InvitationKind.ACCOUNT)
            .select_for_update()
            .first()
        )
        if invitation is None or invitation.state is not InvitationState.PENDING:
            raise _invalid_link()
        if state_of(invitation) is InvitationState.EXPIRED:
            raise UserErrors.single(
                UserErrorCode.TOKEN_EXPIRED,
                ("input", "token"),
                N_("This link has expired. Ask for a new one."),
            )
        await invitation.fetch_related("user")
        user = invitation.user
        link = await AccountContact.filter(invitation_id=invitation.id).first()
        if link is None or not user.is_active or user.email != invitation.email:
            raise _invalid_link()
        if not user.email_verified:
            await _claim(user, password, errors)
            user.update_from_dict(
                {"first_name": invitation.first_name, "last_name": invitation.last_name}
            )
        user.email_verified_at = user.email_verified_at or now()
        await user.save()
        contact = await Contact.filter(id=link.contact_id).select_for_update().first()
        already = (
            await Contact.filter(organization_id=contact.organization_id, user_id=user.id)
            .exclude(id=contact.id)
            .exists()
        )
        if contact.user_id is None and not already:
            await _link(contact, user, user, meta)
        invitation.state = InvitationState.ACCEPTED
        invitation.accepted_at = now()
        await invitation.save(update_fields=["state", "accepted_at", "updated_at"])
        await audit.record(
            "client_account.activate",
            actor=user,
            meta=meta,
            organization_id=invitation.organization_id,
            target=("Invitation", invitation.id),
            after={"account_contact_id": link.id, "contact_id": contact.id},
        )
    issued = await start_session(user, "", meta, settings)
    return Activation(link, issued)


async def states(links: list[AccountContact]) -> dict[int, InvitationState | None]:
    """Each account contact's activation: ACCEPTED once linked to a login, else the state
    of their latest invitation (PENDING, EXPIRED, REVOKED), None when never invited."""
    invitation_ids = [link.invitation_id for link in links if link.invitation_id]
    found = {i.id: i for i in await Invitation.filter(id__in=invitation_ids)} if links else {}
    result: dict[int, InvitationState | None] = {}
    for link in links:
        if link.contact.user_id is not None:
            result[link.id] = InvitationState.ACCEPTED
        elif link.invitation_id in found:
            result[link.id] = state_of(found[link.invitation_id])
        else:
            result[link.id] = None
    return result


async def resend(actor: Actor, link_id: int | None, settings: Settings) -> AccountContact:
    """A new activation link with a new expiry; the previous link stops working at once."""
    async with unit_of_work() as uow:
        link = None
        if link_id is not None:
            link = await AccountContact.filter(
                id=link_id, account__organization_id=actor.organization_id
            ).first()
        if link is None:
            raise NotFound(("input", "account_contact_id"))
        invitation = None
        if link.invitation_id is not None:
            invitation = await Invitation.filter(id=link.invitation_id).select_for_update().first()
        if invitation is None or invitation.state is not InvitationState.PENDING:
            raise UserErrors.single(
                UserErrorCode.INVALID,
                ("input", "account_contact_id"),
                N_("This person has no activation pending."),
            )
        await ration_mail(actor)
        await retire_token(invitation)
        invitation.expires_at = now() + timedelta(days=settings.invitation_ttl_days)
        invitation.send_requested_at = now()
        await invitation.save(update_fields=["expires_at", "send_requested_at", "updated_at"])
        await uow.defer(SEND_ACCOUNT_INVITATION, invitation.id)
        await audit.record(
            "client_account.invitation_resend",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("Invitation", invitation.id),
            after={"expires_at": invitation.expires_at.isoformat()},
        )
    return link
