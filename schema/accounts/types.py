"""Client accounts (households): their types and queries (accounts.read); managing them
(accounts.write) is in schema/accounts/mutations.py. The holder is the account's PRIMARY
contact; members and other account contacts are `AccountContact`s with an access level.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import strawberry
from strawberry.dataloader import DataLoader

from models.accounts import AccessLevel, AccountContact, AccountContactKind, ClientAccount
from models.staff import InvitationState
from resolvers.accounts import accounts, activation
from resolvers.accounts import client as _client  # noqa: F401  (registers relationships)
from resolvers.accounts import relationships as _ties  # noqa: F401  (registers the tie)
from resolvers.common.permissions import Permission
from schema.permissions import describe, requires
from schema.scope import scoped_id
from schema.staff import InvitationStateEnum
from schema.types import Connection, Node, model_node, related

AccessGroupRef = Annotated["AccessGroupType", strawberry.lazy("schema.accounts.items")]  # noqa: F821
AccountDocumentRef = Annotated[
    "AccountDocumentType", strawberry.lazy("schema.accounts.items")  # noqa: F821
]

AccountFormRef = Annotated["AccountFormType", strawberry.lazy("schema.accounts.forms")]  # noqa: F821


def _late(module: str, name: str):
    """A resolver defined in schema.accounts.<module>, which imports this one."""
    import importlib

    return getattr(importlib.import_module(f"schema.accounts.{module}"), name)


async def _account_forms(root, info: strawberry.Info) -> list[AccountFormRef]:
    return await _late("forms", "account_forms")(root, info)


AccountTableRef = Annotated["AccountTableType", strawberry.lazy("schema.accounts.tables")]  # noqa: F821


async def _account_tables(root, info: strawberry.Info) -> list[AccountTableRef]:
    return await _late("tables", "account_tables")(root, info)


AccountRequestRef = Annotated[
    "AccountRequestType", strawberry.lazy("schema.accounts.requests")  # noqa: F821
]


async def _account_requests(root, info: strawberry.Info) -> list[AccountRequestRef]:
    return await _late("requests", "account_requests")(root, info)


ContactRef = Annotated["ContactType", strawberry.lazy("schema.contacts")]  # noqa: F821
MoneyRef = Annotated["Money", strawberry.lazy("schema.billing.types")]  # noqa: F821


class AccountRole(StrEnum):
    PRIMARY = "PRIMARY"
    MEMBER = "MEMBER"
    OTHER = "OTHER"


AccountRoleEnum = strawberry.enum(
    AccountRole,
    name="AccountRole",
    description="PRIMARY: the account holder, exactly one per account. MEMBER: a person of "
    "the household. OTHER: another account contact (a co-parent, an accountant).",
)
AccountContactKindEnum = strawberry.enum(
    AccountContactKind, name="AccountContactKind", description="MEMBER or OTHER."
)
AccessLevelEnum = strawberry.enum(
    AccessLevel,
    name="AccessLevel",
    description="FULL: what the primary sees, without managing contacts. ASSIGNED: only "
    "what is assigned to them or their access groups. NONE: listed, cannot sign in to it.",
)


def _loader(info: strawberry.Info, name: str, batch) -> DataLoader:
    return info.context.loader(f"accounts.{name}", lambda: DataLoader(batch))


async def _activation_states(link_ids: list[int]) -> list[InvitationState | None]:
    links = await AccountContact.filter(id__in=link_ids).select_related("contact")
    found = await activation.states(links)
    return [found.get(pk) for pk in link_ids]


@model_node("ClientAccount", ClientAccount, Permission.ACCOUNTS_READ)
class ClientAccountType(Node):
    name: str
    created_at: datetime
    updated_at: datetime

    @strawberry.field(
        description="The account holder: an adult, who receives communications, "
        "invoices and statements."
    )
    async def primary_contact(self) -> ContactRef:
        return await related(self, "primary_contact")

    @strawberry.field(
        description="Whether the holder can sign in (false when the account "
        "has no email: the organization manages it)."
    )
    async def can_log_in(self) -> bool:
        holder = await related(self, "primary_contact")
        return bool(holder.email)

    @strawberry.field(
        description="The primary first, then the household's members, then "
        "the other account contacts."
    )
    async def contacts(self, info: strawberry.Info) -> list[AccountContactType]:
        return await _loader(info, "contacts_of", accounts.contacts_of).load(self.id)

    @strawberry.field(description="The account's access groups, by name.")
    async def access_groups(self, info: strawberry.Info) -> list[AccessGroupRef]:
        from schema.accounts.items import access_groups

        return await access_groups(info, self.id)

    forms: list[AccountFormRef] = strawberry.field(
        resolver=_account_forms,
        description="All of the account's forms, newest first.",
    )

    tables: list[AccountTableRef] = strawberry.field(
        resolver=_account_tables, description="All of the account's tables, newest first."
    )

    requests: list[AccountRequestRef] = strawberry.field(
        resolver=_account_requests, description="All of the account's requests, newest first."
    )

    @strawberry.field(description="All of the account's documents, newest first.")
    async def documents(self, info: strawberry.Info) -> list[AccountDocumentRef]:
        from schema.accounts.items import documents

        return await documents(info, self.id)

    @strawberry.field(
        **describe(
            "What the account owes, from its ledger (zero when in credit).",
            requires(Permission.BILLING_READ),
        )
    )
    async def balance(self) -> MoneyRef:
        from schema.billing.payments import account_position

        return (await account_position(self))[0]

    @strawberry.field(
        **describe(
            "What the organization owes the account (credit notes beyond what was due).",
            requires(Permission.BILLING_READ),
        )
    )
    async def credit(self) -> MoneyRef:
        from schema.billing.payments import account_position

        return (await account_position(self))[1]


@model_node(
    "AccountContact",
    AccountContact,
    Permission.ACCOUNTS_READ,
    organization_path="account__organization_id",
)
class AccountContactType(Node):
    access_level: AccessLevelEnum
    relationship: str = strawberry.field(description="In the organization's words.")
    created_at: datetime

    @strawberry.field(description="PRIMARY exactly for the account's primary contact.")
    async def role(self) -> AccountRoleEnum:
        account = await related(self, "account")
        if self.contact_id == account.primary_contact_id:
            return AccountRole.PRIMARY
        return AccountRole(self.kind.value)

    @strawberry.field
    async def contact(self) -> ContactRef:
        return await related(self, "contact")

    @strawberry.field
    async def account(self) -> ClientAccountType:
        return await related(self, "account")

    @strawberry.field(description="Has an email and may sign in to the account.")
    async def can_log_in(self) -> bool:
        contact = await related(self, "contact")
        account = await related(self, "account")
        primary = self.contact_id == account.primary_contact_id
        return bool(contact.email) and (primary or self.access_level is not AccessLevel.NONE)

    @strawberry.field(
        description="ACCEPTED once linked to a login; else the state of the activation "
        "invitation mailed to them (PENDING, EXPIRED, REVOKED); null when never invited."
    )
    async def activation(self, info: strawberry.Info) -> InvitationStateEnum | None:
        return await _loader(info, "activation", _activation_states).load(self.id)


@strawberry.type
class AccountsQuery:
    @strawberry.field(
        **describe(
            "The organization's client accounts by name; `search` matches the account's "
            "name and its contacts' names, emails and phones.",
            requires(Permission.ACCOUNTS_READ),
        )
    )
    async def client_accounts(
        self,
        info: strawberry.Info,
        organization_id: strawberry.ID,
        search: str | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[ClientAccountType]:
        page = await accounts.accounts(
            info.context.actor(info), search, first=first, after=after, last=last, before=before
        )
        return Connection.of(page)

    @strawberry.field(**describe("One client account.", requires(Permission.ACCOUNTS_READ)))
    async def client_account(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> ClientAccountType | None:
        pk = await scoped_id(info, id, "ClientAccount", ("id",))
        return await accounts.account(info.context.actor(info), pk)
