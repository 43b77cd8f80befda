"""Access groups and documents of a client account (accounts.write to manage them): the
staff side. What a client sees of documents is in schema.accounts.client."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.file_uploads import Upload

from models.accounts import AccessGroup, AccountDocument, ClientAccount
from resolvers.accounts import items
from resolvers.common.permissions import Permission, Relationship
from schema import ids
from schema.accounts.types import ClientAccountType, _loader
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id, scoped_ids
from schema.types import Node, model_node


@model_node(
    "AccessGroup",
    AccessGroup,
    Permission.ACCOUNTS_READ,
    organization_path="account__organization_id",
)
class AccessGroupType(Node):
    name: str
    created_at: datetime

    @strawberry.field(description="The AccountContact ids of the group's members.")
    async def account_contact_ids(self, info: strawberry.Info) -> list[strawberry.ID]:
        found = await _loader(info, "group_members", items.group_members_of).load(self.id)
        return [strawberry.ID(ids.encode("AccountContact", pk)) for pk in found]


@model_node(
    "AccountDocument",
    AccountDocument,
    Permission.ACCOUNTS_READ,
    organization_path="account__organization_id",
)
class AccountDocumentType(Node):
    name: str
    content_type: str = strawberry.field(description="application/pdf, image/png or image/jpeg.")
    size: int = strawberry.field(description="In bytes.")
    created_at: datetime


async def access_groups(info: strawberry.Info, account_id: int) -> list[AccessGroupType]:
    return await _loader(info, "access_groups", items.groups_of).load(account_id)


async def documents(info: strawberry.Info, account_id: int) -> list[AccountDocumentType]:
    return await _loader(info, "documents", items.documents_of).load(account_id)


@strawberry.input
class AccountAccessGroupCreateInput:
    account_id: strawberry.ID
    name: str


@strawberry.input
class AccountAccessGroupUpdateInput:
    access_group_id: strawberry.ID
    name: str


@strawberry.input
class AccountAccessGroupDeleteInput:
    access_group_id: strawberry.ID


@strawberry.input
class AccountAccessGroupMembersSetInput:
    access_group_id: strawberry.ID
    account_contact_ids: list[strawberry.ID] = strawberry.field(
        description="The group's members afterwards: contacts of the same account."
    )


@strawberry.input
class AccountDocumentUploadInput:
    account_id: strawberry.ID
    file: Upload = strawberry.field(
        description="A PDF, PNG or JPEG file (checked by its content), as a multipart upload."
    )
    name: str | None = strawberry.field(default=None, description="The file's name when not given.")
    access_group_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    account_contact_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input
class AccountDocumentDownloadLinkInput:
    document_id: strawberry.ID


@strawberry.type
class AccountDocumentDownloadLinkPayload(Payload):
    download_url: str | None = strawberry.field(
        default=None,
        description="GET it (no session needed) before `expiresAt`: it serves the file once. "
        "Shown only here.",
    )
    expires_at: datetime | None = None


@strawberry.type
class AccessGroupPayload(Payload):
    access_group: AccessGroupType | None = None


@strawberry.type
class AccessGroupDeletePayload(Payload):
    deleted_access_group_id: strawberry.ID | None = None
    account: ClientAccountType | None = None


@strawberry.type
class AccountDocumentPayload(Payload):
    document: AccountDocumentType | None = None


def _who(info):
    """Staff with accounts.write, or the account's primary: the principal serves both
    (its user, request details and organization)."""
    return info.context.principal(info)


@strawberry.type
class AccountItemsMutation:
    @strawberry.mutation(
        **describe(
            "Creates a named group of the account's contacts, to assign documents to; "
            "staff, or the account's primary from the client side.",
            requires(
                Permission.ACCOUNTS_WRITE,
                relationship=Relationship.ACCOUNT_PRIMARY,
                scope="input.accountId",
            ),
        )
    )
    async def account_access_group_create(
        self, info: strawberry.Info, input: AccountAccessGroupCreateInput
    ) -> AccessGroupPayload:
        pk = await scoped_id(info, input.account_id, "ClientAccount", ("input", "accountId"))
        return AccessGroupPayload(access_group=await items.group_create(_who(info), pk, input.name))

    @strawberry.mutation(
        **describe(
            "Renames an access group.",
            requires(
                Permission.ACCOUNTS_WRITE,
                relationship=Relationship.ACCOUNT_PRIMARY,
                scope="input.accessGroupId",
            ),
        )
    )
    async def account_access_group_update(
        self, info: strawberry.Info, input: AccountAccessGroupUpdateInput
    ) -> AccessGroupPayload:
        pk = await scoped_id(info, input.access_group_id, "AccessGroup", ("input", "accessGroupId"))
        return AccessGroupPayload(access_group=await items.group_update(_who(info), pk, input.name))

    @strawberry.mutation(
        **describe(
            "Deletes an access group: its members and documents stay in the account.",
            requires(
                Permission.ACCOUNTS_WRITE,
                relationship=Relationship.ACCOUNT_PRIMARY,
                scope="input.accessGroupId",
            ),
        )
    )
    async def account_access_group_delete(
        self, info: strawberry.Info, input: AccountAccessGroupDeleteInput
    ) -> AccessGroupDeletePayload:
        pk = await scoped_id(info, input.access_group_id, "AccessGroup", ("input", "accessGroupId"))
        account_id = await items.group_delete(_who(info), pk)
        account = await ClientAccount.get(id=account_id)
        return AccessGroupDeletePayload(
            deleted_access_group_id=strawberry.ID(ids.encode("AccessGroup", pk)), account=account
        )

    @strawberry.mutation(
        **describe(
            "Sets who is in an access group (replacing its members).",
            requires(
                Permission.ACCOUNTS_WRITE,
                relationship=Relationship.ACCOUNT_PRIMARY,
                scope="input.accessGroupId",
            ),
        )
    )
    async def account_access_group_members_set(
        self, info: strawberry.Info, input: AccountAccessGroupMembersSetInput
    ) -> AccessGroupPayload:
        pk = await scoped_id(info, input.access_group_id, "AccessGroup", ("input", "accessGroupId"))
        links = await scoped_ids(
            info, input.account_contact_ids, "AccountContact", ("input", "accountContactIds")
        )
        group = await items.group_members_set(_who(info), pk, links)
        return AccessGroupPayload(access_group=group)

    @strawberry.mutation(
        **describe(
            "Uploads a document to the account (PDF, PNG or JPEG, checked by its content; "
            "at most the documents size setting), assigned to access groups and contacts; "
            "staff, or the account's primary from the client side.",
            requires(
                Permission.ACCOUNTS_WRITE,
                relationship=Relationship.ACCOUNT_PRIMARY,
                scope="input.accountId",
            ),
        )
    )
    async def account_document_upload(
        self, info: strawberry.Info, input: AccountDocumentUploadInput
    ) -> AccountDocumentPayload:
        pk = await scoped_id(info, input.account_id, "ClientAccount", ("input", "accountId"))
        groups = await scoped_ids(
            info, input.access_group_ids, "AccessGroup", ("input", "accessGroupIds")
        )
        links = await scoped_ids(
            info, input.account_contact_ids, "AccountContact", ("input", "accountContactIds")
        )
        document = await items.upload(
            _who(info),
            pk,
            input.file,
            input.name,
            groups,
            links,
            info.context.settings.account_document_max_bytes,
        )
        return AccountDocumentPayload(document=document)

    @strawberry.mutation(
        **describe(
            "A short-lived, single-use download link to a document: staff of its "
            "organization, the primary and FULL contacts of its account, and an ASSIGNED "
            "contact the document is assigned to (or to one of their groups).",
            requires(
                Permission.ACCOUNTS_READ,
                relationship=Relationship.ACCOUNT_CONTACT,
                scope="input.documentId",
            ),
        )
    )
    async def account_document_download_link(
        self, info: strawberry.Info, input: AccountDocumentDownloadLinkInput
    ) -> AccountDocumentDownloadLinkPayload:
        pk = await scoped_id(info, input.document_id, "AccountDocument", ("input", "documentId"))
        _, link = await items.issue_link(_who(info), pk, info.context.settings)
        return AccountDocumentDownloadLinkPayload(
            download_url=link.url, expires_at=link.expires_at
        )
