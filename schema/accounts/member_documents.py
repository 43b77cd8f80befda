"""Documents of one member (tax receipts): staff upload them (accounts.write) and read
them (accounts.read); the primaries of the member's accounts see them on the client side
and get download links (ACCOUNT_PRIMARY)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.file_uploads import Upload

from models.account_features import MemberDocument
from resolvers.accounts import member_documents
from resolvers.common.permissions import Permission, Relationship
from schema.accounts.items import AccountDocumentDownloadLinkPayload
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id
from schema.types import Node, model_node, related

ContactRef = Annotated["ContactType", strawberry.lazy("schema.contacts")]  # noqa: F821


@model_node("MemberDocument", MemberDocument, Permission.ACCOUNTS_READ)
class MemberDocumentType(Node):
    name: str
    content_type: str = strawberry.field(description="application/pdf, image/png or image/jpeg.")
    size: int = strawberry.field(description="In bytes.")
    created_at: datetime

    @strawberry.field(description="The member it belongs to.")
    async def member(self) -> ContactRef:
        return await related(self, "contact")


async def my_member_documents(root, info: strawberry.Info) -> list[MemberDocumentType]:
    async def batch(links):
        return await member_documents.of_households(list(links))

    loader = info.context.loader(
        "accounts.mine.member_documents",
        lambda: DataLoader(batch, cache_key_fn=lambda link: link.id),
    )
    return await loader.load(root.link)


@strawberry.input
class MemberDocumentUploadInput:
    account_contact_id: strawberry.ID = strawberry.field(description="The member.")
    file: Upload = strawberry.field(
        description="A PDF, PNG or JPEG file (checked by its content), as a multipart upload."
    )
    name: str | None = strawberry.field(default=None, description="The file's name when not given.")


@strawberry.input
class MemberDocumentDownloadLinkInput:
    document_id: strawberry.ID


@strawberry.type
class MemberDocumentPayload(Payload):
    document: MemberDocumentType | None = None


@strawberry.type
class MemberDocumentsQuery:
    @strawberry.field(
        **describe("A member's documents, newest first.", requires(Permission.ACCOUNTS_READ))
    )
    async def member_documents(
        self, info: strawberry.Info, account_contact_id: strawberry.ID
    ) -> list[MemberDocumentType]:
        pk = await scoped_id(info, account_contact_id, "AccountContact", ("accountContactId",))
        return await member_documents.of_member(info.context.actor(info), pk)


@strawberry.type
class MemberDocumentsMutation:
    @strawberry.mutation(
        **describe(
            "Uploads a document of one member (a tax receipt): seen by staff and by the "
            "primaries of every account the member belongs to.",
            requires(Permission.ACCOUNTS_WRITE),
        )
    )
    async def member_document_upload(
        self, info: strawberry.Info, input: MemberDocumentUploadInput
    ) -> MemberDocumentPayload:
        pk = await scoped_id(
            info, input.account_contact_id, "AccountContact", ("input", "accountContactId")
        )
        document = await member_documents.upload(
            info.context.actor(info),
            pk,
            input.file,
            input.name,
            info.context.settings.account_document_max_bytes,
        )
        return MemberDocumentPayload(document=document)

    @strawberry.mutation(
        **describe(
            "A short-lived, single-use download link to a member's document: staff, or a "
            "primary of an account the member belongs to.",
            requires(
                Permission.ACCOUNTS_READ,
                relationship=Relationship.ACCOUNT_PRIMARY,
                scope="input.documentId",
            ),
        )
    )
    async def member_document_download_link(
        self, info: strawberry.Info, input: MemberDocumentDownloadLinkInput
    ) -> AccountDocumentDownloadLinkPayload:
        pk = await scoped_id(info, input.document_id, "MemberDocument", ("input", "documentId"))
        link = await member_documents.issue_link(
            info.context.principal(info), pk, info.context.settings
        )
        return AccountDocumentDownloadLinkPayload(download_url=link.url, expires_at=link.expires_at)
