"""Managing client accounts (accounts.write): creating a household, its members and other
account contacts (also the account's primary, from the client side), moving the primary;
and the holder's activation link (public)."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from models.accounts import AccessLevel, AccountContactKind
from resolvers.accounts import accounts, activation, members
from resolvers.accounts import relationships as _ties  # noqa: F401  (registers the tie)
from resolvers.accounts.people import Person
from resolvers.common.errors import UserErrorCode, UserErrors
from resolvers.common.permissions import Permission, Relationship
from resolvers.custom_fields.answers import Answer
from schema import ids
from schema.accounts.types import (
    AccessLevelEnum,
    AccountContactKindEnum,
    AccountContactType,
    ClientAccountType,
)
from schema.custom_field_answers import CustomFieldAnswerInput
from schema.errors import user_errors
from schema.identity import LocaleEnum, UserType
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id, scoped_id_or_none, scoped_ids


@strawberry.input(
    description="A person of the account: an existing contact of the "
    "organization (`useExistingContactId`), or a new one."
)
class AccountPersonInput:
    use_existing_contact_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Use this contact (offered by a CONTACT_EXISTS error, or a child "
        "already in another household); the fields below then only add a birth date.",
    )
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    email: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Checked in order: a valid address; not already a contact here; a "
        "Carnet login with it is linked, else an activation link is mailed.",
    )
    phone: str | None = strawberry.UNSET
    birth_date: date | None = strawberry.field(
        default=strawberry.UNSET, description="Required for the holder, an adult of 18 or more."
    )
    locale: LocaleEnum | None = strawberry.UNSET
    answers: list[CustomFieldAnswerInput] = strawberry.field(
        default_factory=list,
        description="Answers to the organization's ACCOUNT (holder) and MEMBER questions.",
    )


@strawberry.input
class ClientAccountCreateInput:
    organization_id: strawberry.ID
    holder: AccountPersonInput
    members: list[AccountPersonInput] = strawberry.field(
        default_factory=list, description="People of the household, of any age."
    )
    name: str | None = strawberry.field(
        default=None, description="The holder's last name when not given."
    )


@strawberry.input
class ClientAccountMemberAddInput:
    account_id: strawberry.ID
    member: AccountPersonInput
    kind: AccountContactKindEnum = AccountContactKind.MEMBER
    access_level: AccessLevelEnum | None = strawberry.field(
        default=None, description="NONE for a MEMBER, ASSIGNED for an OTHER when not given."
    )
    relationship: str = ""


@strawberry.input(description="Only the fields given change.")
class ClientAccountMemberUpdateInput:
    account_contact_id: strawberry.ID
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    email: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Never the email a user signs in with (LOGIN_EMAIL_LOCKED).",
    )
    phone: str | None = strawberry.UNSET
    birth_date: date | None = strawberry.UNSET
    locale: LocaleEnum | None = strawberry.UNSET
    access_level: AccessLevelEnum | None = None
    relationship: str | None = None
    answers: list[CustomFieldAnswerInput] = strawberry.field(default_factory=list)


@strawberry.input
class ClientAccountMemberRemoveInput:
    account_contact_id: strawberry.ID


@strawberry.input
class ClientAccountActivationResendInput:
    account_contact_id: strawberry.ID


@strawberry.input
class ClientAccountPrimaryChangeInput:
    account_id: strawberry.ID
    account_contact_id: strawberry.ID = strawberry.field(
        description="A contact of the account, an adult, who becomes its primary."
    )


@strawberry.type
class ClientAccountCreatePayload(Payload):
    account: ClientAccountType | None = None
    existing_contact_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="With a CONTACT_EXISTS error: the contact to use instead "
        "(`useExistingContactId`).",
    )


@strawberry.type
class ClientAccountPayload(Payload):
    account: ClientAccountType | None = None


@strawberry.type
class AccountContactPayload(Payload):
    account_contact: AccountContactType | None = None


@strawberry.type
class AccountContactRemovePayload(Payload):
    removed_account_contact_id: strawberry.ID | None = None
    account: ClientAccountType | None = None


@strawberry.input
class ClientAccountActivateInput:
    token: str
    password: str | None = strawberry.field(
        default=None, description="Needed when the person has no Carnet login yet."
    )


@strawberry.type
class ClientAccountActivatePayload(Payload):
    user: UserType | None = None
    access_token: str | None = None
    refresh_token: str | None = None


PERSON_FIELDS = ("first_name", "last_name", "email", "phone", "birth_date", "locale")


def _given(input_: Any) -> dict[str, Any]:
    found = {}
    for name in PERSON_FIELDS:
        value = getattr(input_, name)
        if value is not strawberry.UNSET:
            found[name] = value.value if hasattr(value, "value") else value
    return found


async def _answers(info, given: list[CustomFieldAnswerInput], path: tuple) -> list[Answer]:
    field_ids = await scoped_ids(
        info, [a.field_id for a in given], "CustomField", (*path, "answers"), then=("fieldId",)
    )
    return [Answer(pk, a.value) for pk, a in zip(field_ids, given, strict=True)]


async def _person(info, given: AccountPersonInput, path: tuple) -> Person:
    existing = await scoped_id_or_none(
        info, given.use_existing_contact_id, "Contact", (*path, "useExistingContactId")
    )
    return Person(existing, _given(given), await _answers(info, given.answers, path))


@strawberry.type
class AccountsMutation:
    @strawberry.mutation(
        **describe(
            "Creates a household: the holder becomes its PRIMARY (an adult of 18 or more). "
            "With an email: a valid address, not already a contact here (CONTACT_EXISTS "
            "names it), then a Carnet login with it is linked and told, or an activation "
            "link is mailed. Without, the account cannot sign in.",
            requires(Permission.ACCOUNTS_WRITE, scope="input.organizationId"),
        )
    )
    async def client_account_create(
        self, info: strawberry.Info, input: ClientAccountCreateInput
    ) -> ClientAccountCreatePayload:
        holder = await _person(info, input.holder, ("input", "holder"))
        people = [
            await _person(info, m, ("input", "members", i)) for i, m in enumerate(input.members)
        ]
        data = accounts.AccountCreation(holder, people, input.name)
        try:
            created = await accounts.create(info.context.actor(info), data, info.context.settings)
        except UserErrors as refused:
            twin = next(
                (
                    e.params["contact_id"]
                    for e in refused.errors
                    if e.code is UserErrorCode.CONTACT_EXISTS
                ),
                None,
            )
            return ClientAccountCreatePayload(
                errors=user_errors(refused.errors, info.context.locale),
                existing_contact_id=ids.encode("Contact", twin) if twin else None,
            )
        return ClientAccountCreatePayload(account=created.account)

    @strawberry.mutation(
        **describe(
            "Adds a member of the household (any age) or another account contact, new or "
            "an existing contact; with access and an email they get access as the holder. "
            "Staff, or the account's primary from the client side (who may only bring in "
            "an existing contact of a household they are primary of).",
            requires(
                Permission.ACCOUNTS_WRITE,
                relationship=Relationship.ACCOUNT_PRIMARY,
                scope="input.accountId",
            ),
        )
    )
    async def client_account_member_add(
        self, info: strawberry.Info, input: ClientAccountMemberAddInput
    ) -> AccountContactPayload:
        account_id = await scoped_id(
            info, input.account_id, "ClientAccount", ("input", "accountId")
        )
        person = await _person(info, input.member, ("input", "member"))
        link = await members.add(
            await members.manager(info.context.principal(info)),
            account_id,
            person,
            AccountContactKind(input.kind),
            AccessLevel(input.access_level) if input.access_level else None,
            input.relationship,
            info.context.settings,
        )
        return AccountContactPayload(account_contact=link)

    @strawberry.mutation(
        **describe(
            "Changes this organization's copy of an account contact (never the email they "
            "sign in with), their access level, relationship and answers; staff, or the "
            "account's primary from the client side.",
            requires(
                Permission.ACCOUNTS_WRITE,
                relationship=Relationship.ACCOUNT_PRIMARY,
                scope="input.accountContactId",
            ),
        )
    )
    async def client_account_member_update(
        self, info: strawberry.Info, input: ClientAccountMemberUpdateInput
    ) -> AccountContactPayload:
        pk = await scoped_id(
            info, input.account_contact_id, "AccountContact", ("input", "accountContactId")
        )
        changes = members.MemberChanges(
            values=_given(input),
            access_level=AccessLevel(input.access_level) if input.access_level else None,
            relationship=input.relationship,
            answers=await _answers(info, input.answers, ("input",)),
        )
        who = await members.manager(info.context.principal(info))
        link = await members.update(who, pk, changes, info.context.settings)
        return AccountContactPayload(account_contact=link)

    @strawberry.mutation(
        **describe(
            "Takes a contact out of the account (it stays in the address book); the "
            "primary is refused (PRIMARY_REQUIRED); staff, or the account's primary from "
            "the client side.",
            requires(
                Permission.ACCOUNTS_WRITE,
                relationship=Relationship.ACCOUNT_PRIMARY,
                scope="input.accountContactId",
            ),
        )
    )
    async def client_account_member_remove(
        self, info: strawberry.Info, input: ClientAccountMemberRemoveInput
    ) -> AccountContactRemovePayload:
        pk = await scoped_id(
            info, input.account_contact_id, "AccountContact", ("input", "accountContactId")
        )
        who = await members.manager(info.context.principal(info))
        removed, account = await members.remove(who, pk)
        return AccountContactRemovePayload(
            removed_account_contact_id=ids.encode("AccountContact", removed), account=account
        )

    @strawberry.mutation(
        **describe(
            "Makes another contact of the account (an adult) its primary, atomically; the "
            "former primary stays in the account.",
            requires(Permission.ACCOUNTS_WRITE, scope="input.accountId"),
        )
    )
    async def client_account_primary_change(
        self, info: strawberry.Info, input: ClientAccountPrimaryChangeInput
    ) -> ClientAccountPayload:
        account_id = await scoped_id(
            info, input.account_id, "ClientAccount", ("input", "accountId")
        )
        link_id = await scoped_id(
            info, input.account_contact_id, "AccountContact", ("input", "accountContactId")
        )
        account = await accounts.primary_change(info.context.actor(info), account_id, link_id)
        return ClientAccountPayload(account=account)

    @strawberry.mutation(
        **describe(
            "Mails a new activation link to an account contact whose activation is pending "
            "or expired; the previous link stops working.",
            requires(Permission.ACCOUNTS_WRITE),
        )
    )
    async def client_account_activation_resend(
        self, info: strawberry.Info, input: ClientAccountActivationResendInput
    ) -> AccountContactPayload:
        pk = await scoped_id(
            info, input.account_contact_id, "AccountContact", ("input", "accountContactId")
        )
        link = await activation.resend(info.context.actor(info), pk, info.context.settings)
        return AccountContactPayload(account_contact=link)

    @strawberry.mutation(
        **describe(
            "Follows an account activation link: proves the address, sets the password "
            "(for a person with no verified login yet), links the account contact, signs in.",
            requires(relationship=Relationship.PUBLIC),
        )
    )
    async def client_account_activate(
        self, info: strawberry.Info, input: ClientAccountActivateInput
    ) -> ClientAccountActivatePayload:
        done = await activation.activate(
            input.token, input.password, info.context.meta, info.context.settings
        )
        return ClientAccountActivatePayload(
            user=done.tokens.session.user,
            access_token=done.tokens.access_token,
            refresh_token=done.tokens.refresh_token,
        )
