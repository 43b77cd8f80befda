"""The client side: what a signed-in user sees of the accounts they belong to, in every
organization, and nothing else of those organizations.

The primary and FULL account contacts see the whole household; an ASSIGNED contact sees
the account and themselves (the items assigned to them come with access groups); NONE
contacts and members without access see nothing. A child of two households is seen by
each primary in that primary's account only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from carnet.i18n import N_
from models.accounts import (
    AccessGroup,
    AccessLevel,
    AccountContact,
    AccountDocument,
    ClientAccount,
)
from models.contacts import ConsentChannel, ConsentStatus, Contact
from models.identity import User
from models.organizations import Organization
from resolvers.accounts import items, visibility
from resolvers.accounts.people import is_adult
from resolvers.common.actor import RequestMeta
from resolvers.common.errors import ErrorCollector, UserErrorCode
from resolvers.common.permissions import Relationship
from resolvers.common.relationships import register
from resolvers.common.tasks import unit_of_work
from resolvers.contacts import consent
from resolvers.contacts.records import display_name


@dataclass(frozen=True)
class MyAccount:
    link: AccountContact  # the caller's own place in the account
    account: ClientAccount
    primary: bool

    @property
    def sees_household(self) -> bool:
        return self.primary or self.link.access_level is AccessLevel.FULL


def _may_sign_in(link: AccountContact, account: ClientAccount) -> bool:
    return link.contact_id == account.primary_contact_id or (
        link.access_level is not AccessLevel.NONE
    )


async def my_accounts(user: User) -> list[MyAccount]:
    links = await AccountContact.filter(contact__user_id=user.id).select_related(
        "account__organization", "contact"
    )
    mine = [
        MyAccount(link, link.account, link.contact_id == link.account.primary_contact_id)
        for link in links
        if _may_sign_in(link, link.account)
    ]
    return sorted(
        mine, key=lambda m: (m.account.organization.name.casefold(), m.account.sort_name, m.link.id)
    )


async def people_of(mine: list[MyAccount]) -> list[list[AccountContact]]:
    """For each of the caller's accounts, the account contacts they may see."""
    whole = [m.account.id for m in mine if m.sees_household]
    found: dict[int, list[AccountContact]] = defaultdict(list)
    if whole:
        rows = await AccountContact.filter(account_id__in=whole).select_related("contact")
        for row in rows:
            found[row.account_id].append(row)
    result = []
    for m in mine:
        people = found[m.account.id] if m.sees_household else [m.link]
        result.append(sorted(people, key=lambda r: (r.contact.sort_name, r.id)))
    return result


async def documents_of(mine: list[MyAccount]) -> list[list[AccountDocument]]:
    """For each of the caller's accounts, the documents they may see: all of them for the
    primary and FULL contacts, those assigned to them or their groups for the others."""
    household = [m.account.id for m in mine if m.sees_household]
    by_account = dict(zip(household, await items.documents_of(household), strict=True))
    assigned = [m.link for m in mine if not m.sees_household]
    by_link = dict(
        zip([link.id for link in assigned], await items.documents_assigned(assigned), strict=True)
    )
    return [by_account[m.account.id] if m.sees_household else by_link[m.link.id] for m in mine]


async def _is_primary(user: User, account: ClientAccount) -> bool:
    return await AccountContact.filter(
        account_id=account.id, contact_id=account.primary_contact_id, contact__user_id=user.id
    ).exists()


async def _is_account_contact(user: User, account: ClientAccount) -> bool:
    links = await AccountContact.filter(account_id=account.id, contact__user_id=user.id)
    return any(_may_sign_in(link, account) for link in links)


register(Relationship.ACCOUNT_PRIMARY, ClientAccount, _is_primary)
register(Relationship.ACCOUNT_CONTACT, ClientAccount, _is_account_contact)


async def _is_primary_of_link(user: User, link: AccountContact) -> bool:
    account = await ClientAccount.get(id=link.account_id)
    return await _is_primary(user, account)


register(Relationship.ACCOUNT_PRIMARY, AccountContact, _is_primary_of_link)


async def _is_primary_of_group(user: User, group: AccessGroup) -> bool:
    account = await ClientAccount.get(id=group.account_id)
    return await _is_primary(user, account)


register(Relationship.ACCOUNT_PRIMARY, AccessGroup, _is_primary_of_group)


async def _sees_document(user: User, document: AccountDocument) -> bool:
    return await visibility.sees(items.DOCUMENTS, user, document)


register(Relationship.ACCOUNT_CONTACT, AccountDocument, _sees_document)


GIVEN_BY_PRIMARY = "account primary"


async def minor_consent(
    user: User,
    meta: RequestMeta,
    link_id: int,
    channel: ConsentChannel,
    status: ConsentStatus,
    proof: str,
) -> Contact:
    """A primary gives (or withdraws) marketing consent for a minor of their account: the
    consent record says it came from the account's primary, and names them."""
    errors = ErrorCollector()
    if status not in (ConsentStatus.EXPRESS, ConsentStatus.WITHDRAWN):
        errors.add(
            UserErrorCode.INVALID, ("input", "status"), N_("Give express consent or withdraw it.")
        )
    async with unit_of_work():
        link = await AccountContact.get(id=link_id).select_related("account")
        contact = await Contact.filter(id=link.contact_id).select_for_update().first()
        organization = await Organization.get(id=link.account.organization_id)
        if is_adult(contact.birth_date, organization) or contact.birth_date is None:
            errors.add(
                UserErrorCode.INVALID,
                ("input", "account_contact_id"),
                N_(
                    "Only a minor's consent is given by the account's primary; an adult gives "
                    "their own."
                ),
            )
        primary = await Contact.get(id=link.account.primary_contact_id)
        change = consent.ConsentChange(
            channel,
            status,
            GIVEN_BY_PRIMARY,
            proof=f"{display_name(primary)} (primary of {link.account.name}): {proof}".strip(),
        )
        checked = consent.check(change, errors)
        errors.raise_if_any()
        await consent.apply(contact, checked, user, meta, recorded_by=user)
    return contact
