"""What a signed-in user sees of their own client accounts (`me { accounts }`): the
account, their role and access in it, and the people of it they may see. Deliberately
not the staff-side types, which carry the organization's notes and consent records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from models.contacts import ConsentChannel, ConsentStatus
from resolvers.accounts import client
from resolvers.common.permissions import Relationship
from schema import ids
from schema.accounts.types import AccessLevelEnum, AccountRole, AccountRoleEnum
from schema.contact_consent import ConsentChannelEnum, ConsentStatusEnum
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id

InvoiceRef = Annotated["InvoiceType", strawberry.lazy("schema.billing.types")]  # noqa: F821
StatementRef = Annotated["StatementType", strawberry.lazy("schema.billing.types")]  # noqa: F821


def _role(mine: client.MyAccount, link) -> AccountRole:
    if link.contact_id == mine.account.primary_contact_id:
        return AccountRole.PRIMARY
    return AccountRole(link.kind.value)


@strawberry.type(description="A person of one of your client accounts.")
class MyAccountPerson:
    id: strawberry.ID = strawberry.field(description="The AccountContact's global id.")
    first_name: str
    last_name: str
    birth_date: date | None
    role: AccountRoleEnum


@strawberry.type(description="A document of one of your client accounts.")
class MyAccountDocument:
    id: strawberry.ID = strawberry.field(description="The AccountDocument's global id.")
    name: str
    content_type: str
    size: int
    created_at: datetime


def _document(d) -> MyAccountDocument:
    return MyAccountDocument(
        id=strawberry.ID(ids.encode("AccountDocument", d.id)),
        name=d.name,
        content_type=d.content_type,
        size=d.size,
        created_at=d.created_at,
    )


def _my(module: str, name: str):
    """A field of MyClientAccount resolved in schema.accounts.<module> (imported late)."""
    import importlib

    async def resolve(root, info: strawberry.Info):
        function = getattr(importlib.import_module(f"schema.accounts.{module}"), name)
        return await function(root, info)

    return resolve


AccountFormRef = Annotated["AccountFormType", strawberry.lazy("schema.accounts.forms")]  # noqa: F821


AccountTableRef = Annotated["AccountTableType", strawberry.lazy("schema.accounts.tables")]  # noqa: F821


AccountRequestRef = Annotated[
    "AccountRequestType", strawberry.lazy("schema.accounts.requests")  # noqa: F821
]


MyMembershipCardRef = Annotated[
    "MyMembershipCard", strawberry.lazy("schema.accounts.features")  # noqa: F821
]
MemberDocumentRef = Annotated[
    "MemberDocumentType", strawberry.lazy("schema.accounts.member_documents")  # noqa: F821
]


@strawberry.type(description="A client account you belong to, in any organization.")
class MyClientAccount:
    id: strawberry.ID = strawberry.field(description="The ClientAccount's global id.")
    name: str
    organization_id: strawberry.ID
    organization_name: str
    role: AccountRoleEnum = strawberry.field(description="Your role in the account.")
    access_level: AccessLevelEnum = strawberry.field(
        description="Your access (the primary's is always FULL)."
    )
    people: list[MyAccountPerson] = strawberry.field(
        description="The household for the primary and FULL contacts; yourself otherwise."
    )
    documents: list[MyAccountDocument] = strawberry.field(
        description="All of the account's documents for the primary and FULL contacts; "
        "those assigned to you or your access groups otherwise."
    )
    link: strawberry.Private[object] = None  # your AccountContact, with its account
    forms: list[AccountFormRef] = strawberry.field(
        resolver=_my("form_answers", "my_forms"),
        description="The account's forms for the primary and FULL contacts; those assigned "
        "to you or your access groups otherwise.",
    )
    tables: list[AccountTableRef] = strawberry.field(
        resolver=_my("tables", "my_tables"),
        description="The account's tables, seen by the same rule as forms.",
    )
    requests: list[AccountRequestRef] = strawberry.field(
        resolver=_my("requests", "my_requests"),
        description="What the organization asks of you, seen by the same rule as forms.",
    )
    member_documents: list[MemberDocumentRef] = strawberry.field(
        resolver=_my("member_documents", "my_member_documents"),
        description="For the primary: the documents of the account's members (tax "
        "receipts); empty for other contacts.",
    )
    membership_cards: list[MyMembershipCardRef] = strawberry.field(
        resolver=_my("features", "my_membership_cards"),
        description="The household's membership cards for the primary and FULL contacts, "
        "yours otherwise; empty unless the organization uses membership cards.",
    )

    @strawberry.field(
        description="The account's finalized invoices, newest first, with their payments "
        "and credit notes: for the account's primary only (FORBIDDEN otherwise)."
    )
    async def invoices(self) -> list[InvoiceRef] | None:
        from schema.billing.client import my_invoices

        return await my_invoices(self)

    @strawberry.field(
        description="The account's statement for [from, to), rebuilt from its ledger: for "
        "the account's primary only (FORBIDDEN otherwise)."
    )
    async def statement(
        self, from_: Annotated[datetime, strawberry.argument(name="from")], to: datetime
    ) -> StatementRef | None:
        from schema.billing.client import my_statement

        return await my_statement(self, from_, to)


async def my_accounts(user) -> list[MyClientAccount]:
    mine = await client.my_accounts(user)
    people = await client.people_of(mine)
    documents = await client.documents_of(mine)
    return [
        MyClientAccount(
            id=strawberry.ID(ids.encode("ClientAccount", m.account.id)),
            name=m.account.name,
            organization_id=strawberry.ID(ids.encode("Organization", m.account.organization_id)),
            organization_name=m.account.organization.name,
            role=_role(m, m.link),
            access_level="FULL" if m.primary else m.link.access_level,
            people=[
                MyAccountPerson(
                    id=strawberry.ID(ids.encode("AccountContact", p.id)),
                    first_name=p.contact.first_name,
                    last_name=p.contact.last_name,
                    birth_date=p.contact.birth_date,
                    role=_role(m, p),
                )
                for p in seen
            ],
            documents=[_document(d) for d in shown],
            link=m.link,
        )
        for m, seen, shown in zip(mine, people, documents, strict=True)
    ]


@strawberry.input
class MyAccountMemberConsentInput:
    account_contact_id: strawberry.ID = strawberry.field(
        description="A minor of an account you are the primary of."
    )
    channel: ConsentChannelEnum
    status: ConsentStatusEnum = strawberry.field(description="EXPRESS or WITHDRAWN.")
    proof: str = strawberry.field(default="", description="The wording you agreed to.")


@strawberry.type
class MyAccountMemberConsentPayload(Payload):
    person: MyAccountPerson | None = None


@strawberry.type
class AccountsClientMutation:
    @strawberry.mutation(
        **describe(
            "Gives or withdraws marketing consent for a minor of your account, as its "
            "primary; recorded as given by the account's primary.",
            requires(relationship=Relationship.ACCOUNT_PRIMARY, scope="input.accountContactId"),
        )
    )
    async def my_account_member_consent_set(
        self, info: strawberry.Info, input: MyAccountMemberConsentInput
    ) -> MyAccountMemberConsentPayload:
        pk = await scoped_id(
            info, input.account_contact_id, "AccountContact", ("input", "accountContactId")
        )
        principal = info.context.principal(info)
        contact = await client.minor_consent(
            principal.user,
            principal.meta,
            pk,
            ConsentChannel(input.channel),
            ConsentStatus(input.status),
            input.proof,
        )
        return MyAccountMemberConsentPayload(
            person=MyAccountPerson(
                id=input.account_contact_id,
                first_name=contact.first_name,
                last_name=contact.last_name,
                birth_date=contact.birth_date,
                role=AccountRole.MEMBER,
            )
        )
