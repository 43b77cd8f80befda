"""The contacts of an account: members of the household (any age; the primary answers for
them) and other account contacts with an access level, added, edited and removed by staff
or by the account's primary (issue 13), with the same checks; the primary acts and is
audited as themselves. The primary is never removed (PRIMARY_REQUIRED): another contact is
made primary first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from carnet.i18n import N_
from carnet.settings import Settings
from models.accounts import AccessLevel, AccountContact, AccountContactKind, ClientAccount
from models.contacts import Contact
from models.identity import User
from models.organizations import Organization
from models.staff import InvitationState
from resolvers.accounts import activation
from resolvers.accounts.accounts import existing_contact, locked_account, materialize
from resolvers.accounts.people import (
    HOLDER_SCOPES,
    MEMBER_SCOPES,
    Person,
    check_answers,
    check_person,
    clean_person_values,
    is_adult,
    save_answers,
    scoped_fields,
    stored_answers,
    under_age,
)
from resolvers.common import audit
from resolvers.common.actor import Actor, Principal, RequestMeta
from resolvers.common.errors import ErrorCollector, FieldPath, NotFound, UserErrorCode, UserErrors
from resolvers.common.permissions import Permission, Relationship
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.common.validation import clean_text
from resolvers.contacts import contacts as contact_book
from resolvers.custom_fields.answers import Answer
from resolvers.staff.invitations import retire_token

RELATIONSHIP_MAX_LENGTH = 100


@dataclass
class MemberChanges:
    values: dict[str, Any] = field(default_factory=dict)  # contact fields given
    access_level: AccessLevel | None = None
    relationship: str | None = None
    answers: list[Answer] = field(default_factory=list)


@dataclass(frozen=True)
class AccountPrimary:
    """The account's primary managing its contacts from the client side: acts in the
    account's organization as a staff Actor would (same checks, audited as this user), but
    may only bring in existing contacts of the accounts they are primary of."""

    user: User
    organization: Organization
    meta: RequestMeta = RequestMeta()

    @property
    def organization_id(self) -> int:
        return self.organization.id


async def manager(principal: Principal) -> Actor | AccountPrimary:
    """Who manages the account's contacts: staff with accounts.write, else its primary
    (the permission directive let the caller in as one or the other)."""
    if principal.staff is not None and principal.can(Permission.ACCOUNTS_WRITE):
        return principal.staff
    if not principal.holds(Relationship.ACCOUNT_PRIMARY) or principal.organization_id is None:
        raise RuntimeError("granted neither by accounts.write nor as the account's primary")
    organization = await Organization.get(id=principal.organization_id)
    return AccountPrimary(principal.user, organization, principal.meta)


async def _primary_may_use(actor: AccountPrimary, person: Person, path: FieldPath) -> None:
    """A primary brings in only a contact already in an account they are primary of (a
    child of their other household): any other contact of the address book is NOT_FOUND
    to them, like another organization's."""
    pk = person.existing_contact_id
    if pk is None:
        return
    theirs = await AccountContact.filter(
        contact_id=pk,
        account__organization_id=actor.organization_id,
        account__primary_contact__user_id=actor.user.id,
    ).exists()
    if not theirs:
        raise NotFound((*path, "use_existing_contact_id"))


def _scopes(link_kind: AccountContactKind, primary: bool):
    if primary:
        return HOLDER_SCOPES
    return MEMBER_SCOPES if link_kind is AccountContactKind.MEMBER else ()


def link_snapshot(link: AccountContact) -> dict[str, object]:
    return {
        "contact_id": link.contact_id,
        "kind": link.kind.value,
        "access_level": link.access_level.value,
        "relationship": link.relationship,
    }


async def _audit(actor: Actor, action: str, link: AccountContact, **values: Any) -> None:
    await audit.record(
        action,
        actor=actor.user,
        meta=actor.meta,
        organization_id=actor.organization_id,
        target=("AccountContact", link.id),
        **values,
    )


async def add(
    actor: Actor | AccountPrimary,
    account_id: int | None,
    person: Person,
    kind: AccountContactKind,
    access_level: AccessLevel | None,
    relationship: str,
    settings: Settings,
) -> AccountContact:
    """A member or other account contact, new or an existing contact (a child already in
    another household). With an access level other than NONE and an email, they get
    access as the holder does: their login linked, or an activation invitation."""
    path = ("input", "member")
    errors = ErrorCollector()
    relationship = clean_text(
        relationship, errors, ("input", "relationship"), max_length=RELATIONSHIP_MAX_LENGTH
    )
    level = access_level or (
        AccessLevel.NONE if kind is AccountContactKind.MEMBER else AccessLevel.ASSIGNED
    )
    if isinstance(actor, AccountPrimary):
        await _primary_may_use(actor, person, path)
    contact = await existing_contact(actor, person, path)
    checked = await check_person(
        person,
        actor.organization,
        errors,
        path,
        holder=False,
        locale=actor.meta.locale,
        contact=contact,
        scopes=_scopes(kind, primary=False),
    )
    errors.raise_if_any()
    async with unit_of_work():
        account = await locked_account(actor, account_id, ("input", "account_id"))
        if (
            contact is not None
            and await AccountContact.filter(account_id=account.id, contact_id=contact.id).exists()
        ):
            raise UserErrors.single(
                UserErrorCode.ALREADY_EXISTS,
                (*path, "use_existing_contact_id"),
                N_("This person is already in the account."),
            )
        member = await materialize(actor, checked)
        link = await AccountContact.create(
            account=account,
            contact=member,
            kind=kind,
            access_level=level,
            relationship=relationship,
        )
        await _audit(actor, "client_account.contact_add", link, after=link_snapshot(link))
        if level is not AccessLevel.NONE:
            await activation.give_access(actor, account, link, member, settings)
    link.contact = member
    return link


async def locked_link(actor: Actor | AccountPrimary, link_id: int | None, field: FieldPath):
    """The account contact and its account (locked), in the actor's organization."""
    link = None
    if link_id is not None:
        link = await AccountContact.filter(
            id=link_id, account__organization_id=actor.organization_id
        ).first()
    if link is None:
        raise NotFound(field)
    account = await locked_account(actor, link.account_id, field)
    link = await AccountContact.filter(id=link.id).select_for_update().first()
    if link is None:
        raise NotFound(field)
    link.contact = await Contact.filter(id=link.contact_id).select_for_update().first()
    return account, link


async def _check_login_email(contact: Contact, new_email: Any, errors: ErrorCollector) -> None:
    if contact.user_id is None or new_email == contact.email:
        return
    user = await User.get_or_none(id=contact.user_id)
    if user is not None and user.email == contact.email:
        errors.add(
            UserErrorCode.LOGIN_EMAIL_LOCKED,
            ("input", "email"),
            N_(
                "This is the email this person signs in with: only they can change it, in "
                "their own settings."
            ),
        )


async def update(
    actor: Actor | AccountPrimary, link_id: int | None, changes: MemberChanges, settings: Settings
) -> AccountContact:
    """Changes this organization's copy of the person (never their login's email), their
    access level and relationship, and their answers; the required questions of their
    scope must end up answered."""
    path = ("input",)
    async with unit_of_work():
        account, link = await locked_link(actor, link_id, ("input", "account_contact_id"))
        contact = link.contact
        primary = contact.id == account.primary_contact_id
        errors = ErrorCollector()
        values = clean_person_values(changes.values, actor.organization, errors, path)
        if "email" in values:
            await _check_login_email(contact, values["email"], errors)
        if (
            primary
            and "birth_date" in values
            and not is_adult(values["birth_date"], actor.organization)
        ):
            under_age(errors, ("input", "birth_date"))
        relationship = None
        if changes.relationship is not None:
            relationship = clean_text(
                changes.relationship,
                errors,
                ("input", "relationship"),
                max_length=RELATIONSHIP_MAX_LENGTH,
            )
        fields = await scoped_fields(actor.organization_id, _scopes(link.kind, primary))
        stored = await stored_answers(contact.id, fields)
        answers = check_answers(fields, changes.answers, stored, errors, path, actor.meta.locale)
        if primary and changes.access_level not in (None, AccessLevel.FULL):
            errors.add(
                UserErrorCode.INVALID,
                ("input", "access_level"),
                N_("The primary contact always has full access."),
            )
        errors.raise_if_any()
        if values:
            link.contact = contact = await contact_book.update(actor, contact.id, values)
        await save_answers(contact.id, answers)
        before = link_snapshot(link)
        if changes.access_level is not None:
            link.access_level = changes.access_level
        if relationship is not None:
            link.relationship = relationship
        changed_before, changed_after = audit.changes(before, link_snapshot(link))
        if changed_after:
            await link.save(update_fields=["access_level", "relationship", "updated_at"])
            await _audit(
                actor,
                "client_account.contact_update",
                link,
                before=changed_before,
                after=changed_after,
            )
        if before["access_level"] == AccessLevel.NONE.value and (
            link.access_level is not AccessLevel.NONE
        ):
            await activation.give_access(actor, account, link, contact, settings)
    return link


async def remove(actor: Actor | AccountPrimary, link_id: int | None) -> tuple[int, ClientAccount]:
    """Takes the contact out of the account (it stays in the address book); its pending
    activation link dies. Never the primary."""
    async with unit_of_work():
        account, link = await locked_link(actor, link_id, ("input", "account_contact_id"))
        if link.contact_id == account.primary_contact_id:
            raise UserErrors.single(
                UserErrorCode.PRIMARY_REQUIRED,
                ("input", "account_contact_id"),
                N_(
                    "An account always has its primary contact: make someone else primary "
                    "before removing this one."
                ),
            )
        if link.invitation_id is not None:
            await link.fetch_related("invitation")
            invitation = link.invitation
            if invitation.state is InvitationState.PENDING:
                await retire_token(invitation)
                invitation.state = InvitationState.REVOKED
                invitation.revoked_at = now()
                await invitation.save(update_fields=["state", "revoked_at", "updated_at"])
        removed = link.id
        await link.delete()
        await _audit(actor, "client_account.contact_remove", link, before=link_snapshot(link))
    return removed, account
