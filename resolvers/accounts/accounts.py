"""Client accounts (households) as staff manage them: creating one with its holder and
members, moving the primary, reading and listing them.

Staff edits change this organization's contacts only; a login's email is never touched.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from tortoise.expressions import Q, Subquery

from carnet.i18n import N_
from carnet.settings import Settings
from models.accounts import AccessLevel, AccountContact, AccountContactKind, ClientAccount
from models.contacts import Contact
from models.staff import Invitation
from resolvers.accounts import activation
from resolvers.accounts.people import CheckedPerson, Person, check_person, is_adult, save_answers
from resolvers.accounts.people import under_age as _under_age
from resolvers.common import audit
from resolvers.common.actor import Actor
from resolvers.common.errors import ErrorCollector, FieldPath, NotFound, UserErrorCode
from resolvers.common.locks import locked_row
from resolvers.common.pagination import Page, paginate
from resolvers.common.tasks import unit_of_work
from resolvers.common.validation import clean_text
from resolvers.contacts import contacts as contact_book
from resolvers.contacts.records import contact_in, display_name, fold

NAME_MAX_LENGTH = 200
MAX_MEMBERS_PER_CALL = 50
MAX_SEARCH_TERMS = 5


@dataclass
class AccountCreation:
    holder: Person
    members: list[Person] = field(default_factory=list)
    name: str | None = None


@dataclass
class CreatedAccount:
    account: ClientAccount
    invitation: Invitation | None


async def existing_contact(actor: Actor, person: Person, path: FieldPath) -> Contact | None:
    if person.existing_contact_id is None:
        return None
    return await contact_in(actor, person.existing_contact_id, (*path, "use_existing_contact_id"))


async def materialize(actor: Actor, checked: CheckedPerson) -> Contact:
    """The checked person as a contact of the organization: created, or the existing one
    (its birth date set if given); then their answers saved."""
    if checked.contact is None:
        contact = await contact_book.create(actor, checked.values)
    elif checked.values:
        contact = await contact_book.update(actor, checked.contact.id, checked.values)
    else:
        contact = checked.contact
    if checked.answers:
        await save_answers(contact.id, checked.answers)
        await audit.record(
            "contact.custom_fields_save",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("Contact", contact.id),
            after={str(k): v for k, v in checked.answers.items()},
        )
    return contact


def _refuse_repeats(people: list[tuple[Person, FieldPath]], errors: ErrorCollector) -> None:
    seen: set[int] = set()
    for person, path in people:
        pk = person.existing_contact_id
        if pk is not None and pk in seen:
            errors.add(
                UserErrorCode.INVALID,
                (*path, "use_existing_contact_id"),
                N_("This person is already in the account."),
            )
        if pk is not None:
            seen.add(pk)


def snapshot(account: ClientAccount) -> dict[str, object]:
    return {"name": account.name, "primary_contact_id": account.primary_contact_id}


async def create(actor: Actor, data: AccountCreation, settings: Settings) -> CreatedAccount:
    """The holder (an adult) becomes the PRIMARY; with an email they get access: their
    login linked, or an activation invitation mailed by a job. Nothing is written on error."""
    errors = ErrorCollector()
    organization, locale = actor.organization, actor.meta.locale
    name = None
    if data.name is not None:
        name = clean_text(data.name, errors, ("input", "name"), max_length=NAME_MAX_LENGTH)
    if len(data.members) > MAX_MEMBERS_PER_CALL:
        errors.add(
            UserErrorCode.INVALID,
            ("input", "members"),
            N_("At most {max} members at a time."),
            max=MAX_MEMBERS_PER_CALL,
        )
        errors.raise_if_any()
    paths = [(data.holder, ("input", "holder"))]
    paths += [(m, ("input", "members", i)) for i, m in enumerate(data.members)]
    _refuse_repeats(paths, errors)
    checked: list[CheckedPerson] = []
    for index, (person, path) in enumerate(paths):
        contact = await existing_contact(actor, person, path)
        checked.append(
            await check_person(
                person,
                organization,
                errors,
                path,
                holder=index == 0,
                locale=locale,
                contact=contact,
            )
        )
    errors.raise_if_any()
    async with unit_of_work():
        people = [await materialize(actor, c) for c in checked]
        holder = people[0]
        name = name or _default_name(holder)
        account = await ClientAccount.create(
            organization_id=actor.organization_id,
            name=name,
            sort_name=fold(name)[:NAME_MAX_LENGTH],
            primary_contact=holder,
            created_by=actor.user,
        )
        holder_link = await AccountContact.create(
            account=account,
            contact=holder,
            kind=AccountContactKind.MEMBER,
            access_level=AccessLevel.FULL,
        )
        for member in people[1:]:
            await AccountContact.create(
                account=account, contact=member, kind=AccountContactKind.MEMBER
            )
        await audit.record(
            "client_account.create",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("ClientAccount", account.id),
            after={**snapshot(account), "member_contact_ids": [p.id for p in people[1:]]},
        )
        invitation = await activation.give_access(actor, account, holder_link, holder, settings)
    return CreatedAccount(account, invitation)


def _default_name(holder: Contact) -> str:
    return holder.last_name or display_name(holder) or "—"


async def locked_account(actor: Actor, account_id: int | None, field: FieldPath) -> ClientAccount:
    return await locked_row(ClientAccount, actor, account_id, field)


async def link_in(account: ClientAccount, link_id: int | None, field: FieldPath) -> AccountContact:
    link = None
    if link_id is not None:
        link = await AccountContact.filter(id=link_id, account_id=account.id).first()
    if link is None:
        raise NotFound(field)
    await link.fetch_related("contact")
    return link


async def primary_change(
    actor: Actor, account_id: int | None, link_id: int | None
) -> ClientAccount:
    """Makes another contact of the account its primary, in one update: the account is
    never without one. The former primary stays in the account with full access."""
    async with unit_of_work():
        account = await locked_account(actor, account_id, ("input", "account_id"))
        link = await link_in(account, link_id, ("input", "account_contact_id"))
        if link.contact_id == account.primary_contact_id:
            return account
        if not is_adult(link.contact.birth_date, actor.organization):
            errors = ErrorCollector()
            _under_age(errors, ("input", "account_contact_id"))
            errors.raise_if_any()
        before = snapshot(account)
        account.primary_contact_id = link.contact_id
        await account.save(update_fields=["primary_contact_id", "updated_at"])
        if link.access_level is not AccessLevel.FULL:
            link.access_level = AccessLevel.FULL
            await link.save(update_fields=["access_level", "updated_at"])
        await audit.record(
            "client_account.primary_change",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("ClientAccount", account.id),
            before=before,
            after=snapshot(account),
        )
    return account


async def account(actor: Actor, account_id: int | None) -> ClientAccount:
    found = None
    if account_id is not None:
        found = await ClientAccount.get_or_none(
            id=account_id, organization_id=actor.organization_id
        ).select_related("primary_contact")
    if found is None:
        raise NotFound(("id",))
    return found


async def accounts(actor: Actor, search: str | None, **page_args) -> Page:
    """By name; `search` words each match the account's name or one of its contacts'
    names, email or phone."""
    qs = ClientAccount.filter(organization_id=actor.organization_id)
    for term in fold(search or "").split()[:MAX_SEARCH_TERMS]:
        matching = AccountContact.filter(
            account__organization_id=actor.organization_id,
            contact__search_text__contains=term,
        ).values("account_id")
        qs = qs.filter(Q(sort_name__contains=term) | Q(id__in=Subquery(matching)))
    return await paginate(qs.select_related("primary_contact"), order=("sort_name",), **page_args)


async def contacts_of(account_ids: list[int]) -> list[list[AccountContact]]:
    """Each account's contacts with their contact, the household's members first, by name."""
    rows = await AccountContact.filter(account_id__in=account_ids).select_related(
        "contact", "account"
    )
    found: dict[int, list[AccountContact]] = defaultdict(list)
    for row in rows:
        found[row.account_id].append(row)

    def order(row: AccountContact):
        primary = row.contact_id == row.account.primary_contact_id
        return (
            not primary,
            row.kind is not AccountContactKind.MEMBER,
            row.contact.sort_name,
            row.id,
        )

    return [sorted(found[pk], key=order) for pk in account_ids]
