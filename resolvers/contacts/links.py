"""Contact ↔ User links: a contact "is a user" when linked to a platform login.

Linking is automatic when a User whose email is *verified* has the contact's email — when
that user interacts with the organization, when a user verifies an address
(`link_verified_user`), and, if the user is already tied to the organization (its staff,
resolvers.common.relationships), when the contact is created or its email changes. Staff
can also link and unlink explicitly. A link never changes the User's login email, and a
user is linked to at most one contact per organization. An explicit unlink is not undone
by later unrelated edits: only the events above link again.

Staff never learn through a contact whether an address or a user id has a login: adding
or editing a contact links no stranger (`isUser` stays false), and an explicit link to a
user who is neither tied here nor the owner of the contact's address, verified, answers
NOT_FOUND exactly as an unknown id.
"""

from __future__ import annotations

from carnet.i18n import N_
from models.contacts import Contact
from models.identity import User
from resolvers.common import audit
from resolvers.common.actor import Actor, RequestMeta
from resolvers.common.errors import NotFound, UserErrorCode, UserErrors
from resolvers.common.relationships import tied_to_organization
from resolvers.common.tasks import unit_of_work
from resolvers.contacts.records import locked_contact


async def verified_user(email: str | None) -> User | None:
    if not email:
        return None
    return await User.get_or_none(email=email, email_verified_at__isnull=False, is_active=True)


async def _linked_elsewhere(contact: Contact, user_id: int) -> bool:
    return (
        await Contact.filter(organization_id=contact.organization_id, user_id=user_id)
        .exclude(id=contact.id)
        .exists()
    )


async def _attach(
    contact: Contact, user: User, by: User | None, meta: RequestMeta, automatic: bool
) -> None:
    contact.user_id = user.id
    await contact.save(update_fields=["user_id", "updated_at"])
    await audit.record(
        "contact.user_link",
        actor=by,
        meta=meta,
        organization_id=contact.organization_id,
        target=("Contact", contact.id),
        after={"user_id": user.id, "automatic": automatic},
    )


async def _may_link(contact: Contact, user: User) -> bool:
    """Whether naming `user` on this contact tells staff nothing they may not know."""
    if user.email_verified and contact.email and user.email == contact.email:
        return True
    return user.id in await tied_to_organization(contact.organization_id, [user.id])


async def auto_link(
    contact: Contact, by: User | None, meta: RequestMeta, user: User | None = None
) -> bool:
    """Links the contact to the verified User with its email, if any and if neither is
    linked already here. `user` is the person interacting with the organization; without
    one, the User found by the email must be tied to the organization already. Runs inside
    the caller's transaction; True when it linked."""
    if contact.user_id is not None:
        return False
    if user is None:
        user = await verified_user(contact.email)
        tied = user is not None and await tied_to_organization(contact.organization_id, [user.id])
        if not tied:
            return False
    elif not (user.email_verified and user.is_active and user.email == contact.email):
        return False
    # The user's row serializes concurrent links of one user, so a user never ends up
    # linked to two contacts of one organization. FOR NO KEY UPDATE: it need not wait for
    # (nor block) the rows that merely refer to the user, e.g. the audit events of an
    # import's next chunk, written while this one commits (bulk/turns.py).
    await User.filter(id=user.id).select_for_update(no_key=True).first()
    if await _linked_elsewhere(contact, user.id):
        return False
    await _attach(contact, user, by, meta, automatic=True)
    return True


async def link(actor: Actor, contact_id: int | None, user_id: int | None) -> Contact:
    async with unit_of_work():
        contact = await locked_contact(actor, contact_id, ("input", "contact_id"))
        user = None
        if user_id is not None:
            active = User.filter(id=user_id, is_active=True)
            user = await active.select_for_update(no_key=True).first()
        if user is None or not await _may_link(contact, user):
            # A stranger's id answers as an unknown one: no user id, and no address
            # behind it, is ever confirmed to staff who have no business with it.
            raise NotFound(("input", "user_id"))
        if contact.user_id == user.id:
            return contact
        if not user.email_verified:
            # Nobody gains anything through an address they have not proven.
            raise UserErrors.single(
                UserErrorCode.EMAIL_NOT_VERIFIED,
                ("input", "user_id"),
                N_("This person has not verified their email address yet."),
            )
        if contact.user_id is not None:
            raise UserErrors.single(
                UserErrorCode.ALREADY_EXISTS,
                ("input", "contact_id"),
                N_("This contact is already linked to another user: unlink it first."),
            )
        if await _linked_elsewhere(contact, user.id):
            raise UserErrors.single(
                UserErrorCode.ALREADY_EXISTS,
                ("input", "user_id"),
                N_("This user is already linked to another contact here."),
            )
        await _attach(contact, user, actor.user, actor.meta, automatic=False)
    return contact


async def unlink(actor: Actor, contact_id: int | None) -> Contact:
    async with unit_of_work():
        contact = await locked_contact(actor, contact_id, ("input", "contact_id"))
        if contact.user_id is None:
            raise UserErrors.single(
                UserErrorCode.INVALID,
                ("input", "contact_id"),
                N_("This contact is not linked to a user."),
            )
        before = {"user_id": contact.user_id}
        contact.user_id = None
        await contact.save(update_fields=["user_id", "updated_at"])
        await audit.record(
            "contact.user_unlink",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("Contact", contact.id),
            before=before,
        )
    return contact


async def link_verified_user(user: User, meta: RequestMeta | None = None) -> int:
    """Links a user who has just verified their address to the unlinked contacts with that
    email, one per organization (the oldest). For the identity flows to call after
    verification, registration or an invitation's acceptance; returns how many it linked."""
    if not user.email_verified:
        return 0
    linked = 0
    async with unit_of_work():
        await User.filter(id=user.id).select_for_update(no_key=True).first()
        already = set(
            await Contact.filter(user_id=user.id).values_list("organization_id", flat=True)
        )
        candidates = await Contact.filter(email=user.email, user_id__isnull=True)
        # In each organization the oldest contact in the lists wins, archived ones last.
        for contact in sorted(candidates, key=lambda c: (c.archived_at is not None, c.id)):
            if contact.organization_id in already:
                continue
            await _attach(contact, user, user, meta or RequestMeta(), automatic=True)
            already.add(contact.organization_id)
            linked += 1
    return linked
