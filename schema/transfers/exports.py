"""Contact exports: `contactsExport` queues a CSV of a filter's contacts, `contactExport(s)`
follow it, `contactExportLink` mints the short-lived download link.

The link is shown only in `contactExportLink`'s payload (see resolvers.transfers.exports):
reads of an export never mint one.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from carnet.i18n import translate
from models.transfers import ContactExport
from resolvers.common.errors import BadUserInput, NotFound
from resolvers.common.permissions import Permission
from resolvers.transfers import export_downloads, exports
from schema.bulk import BulkOperationType
from schema.contact_filters import ContactFilterInput, contact_filter
from schema.identity import UserType
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id
from schema.transfers.imports import TransferStatusEnum
from schema.types import Connection, Node, model_node, related


@model_node("ContactExport", ContactExport, Permission.CONTACTS_IMPORT_EXPORT)
class ContactExportType(Node):
    status: TransferStatusEnum
    row_count: int = strawberry.field(description="Contacts in the file, once DONE.")
    created_at: datetime
    finished_at: datetime | None = strawberry.field(description="When it was DONE or FAILED.")

    @strawberry.field(description="Who asked for it; null if their login was deleted.")
    async def created_by(self) -> UserType | None:
        return await related(self, "created_by")

    @strawberry.field(
        **describe(
            "The bulk operation building the file, one part per chunk: follow it with "
            "`bulkOperationProgress`, stop it with `bulkOperationCancel`. Null until the "
            "build starts, and for exports built before exports used the engine.",
            requires(Permission.CONTACTS_IMPORT_EXPORT, also=Permission.BULK_RUN),
        )
    )
    async def operation(self) -> BulkOperationType | None:
        return await related(self, "operation")

    @strawberry.field(description="Why it FAILED, in the reader's language; empty otherwise.")
    def failure(self, info: strawberry.Info) -> str:
        return translate(self.failure, info.context.locale) if self.failure else ""

    @strawberry.field(
        description="When the file is deleted (a week after it is built, by default); null "
        "until DONE. Links stop working then."
    )
    def expires_at(self, info: strawberry.Info) -> datetime | None:
        return exports.file_expires_at(self, info.context.settings)

    @strawberry.field(
        description="DONE and the file still kept: `contactExportLink` gives a link to it."
    )
    def downloadable(self, info: strawberry.Info) -> bool:
        return exports.downloadable(self, info.context.settings)

    @strawberry.field(
        description="The download link, only in the payload of `contactExportLink`, which "
        "mints it: it is a secret valid a few minutes, kept only as a hash, so any other read "
        "of the export returns null. Download it with a plain GET (no sign-in needed)."
    )
    def download_url(self) -> str | None:
        link = getattr(self, "_minted_link", None)
        return link.url if link else None

    @strawberry.field(
        description="When the latest link minted stops working (a new link ends it sooner)."
    )
    def link_expires_at(self) -> datetime | None:
        return self.expires_at  # the model's column: the link's expiry, not the file's


@strawberry.input
class ContactsExportInput:
    organization_id: strawberry.ID
    search: str | None = strawberry.field(
        default=None, description="As the `contacts` query's search box."
    )
    filter: ContactFilterInput | None = strawberry.field(
        default=None,
        description="As the `contacts` query's filter; archived contacts only with "
        "`archived: true`.",
    )


@strawberry.input
class SegmentExportInput:
    segment_id: strawberry.ID = strawberry.field(
        description="A segment of the organization: a saved segment's contacts are those "
        "its search and filter select when the file is built, a static segment's its members."
    )


@strawberry.input
class ContactExportLinkInput:
    id: strawberry.ID = strawberry.field(description="A DONE export.")


@strawberry.type
class ContactsExportPayload(Payload):
    export: ContactExportType | None = None


@strawberry.type
class ContactExportLinkPayload(Payload):
    export: ContactExportType | None = strawberry.field(
        default=None, description="With `downloadUrl` set: the only place it is shown."
    )


@strawberry.type
class ContactExportsQuery:
    @strawberry.field(
        **describe("One contact export.", requires(Permission.CONTACTS_IMPORT_EXPORT))
    )
    async def contact_export(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> ContactExportType | None:
        pk = await scoped_id(info, id, "ContactExport", ("id",))
        return await exports.export_of(info.context.actor(info), pk)

    @strawberry.field(
        **describe(
            "The organization's contact exports, newest first.",
            requires(Permission.CONTACTS_IMPORT_EXPORT),
        )
    )
    async def contact_exports(
        self,
        info: strawberry.Info,
        organization_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ContactExportType]:
        page = await exports.exports(info.context.actor(info), first=first, after=after)
        return Connection.of(page)


@strawberry.type
class ContactExportsMutation:
    @strawberry.mutation(
        **describe(
            "Exports the contacts a filter selects (the same `search` and `filter` as the "
            "`contacts` query) as a CSV, built by a job: poll `contactExport` until DONE, then "
            "ask `contactExportLink` for the download link. UTF-8 with a byte-order mark, "
            "headers in your language, one column per custom field (its key); the file "
            "imports back as is.",
            requires(Permission.CONTACTS_IMPORT_EXPORT, scope="input.organizationId"),
        )
    )
    async def contacts_export(
        self, info: strawberry.Info, input: ContactsExportInput
    ) -> ContactsExportPayload:
        try:
            filters = contact_filter(input.search, input.filter)
        except NotFound as not_found:
            raise NotFound(("input", *not_found.field)) from None
        except BadUserInput as refused:  # a malformed id in the filter
            raise NotFound(("input", "filter")) from refused
        export = await exports.request_export(info.context.actor(info), filters)
        return ContactsExportPayload(export=export)

    @strawberry.mutation(
        **describe(
            "Exports a segment's contacts: the same CSV, built by the same job and downloaded "
            "through the same links as `contactsExport`'s. Also requires segments.read. A "
            "saved segment whose filter names something deleted since (see its `problems`) "
            "is refused with INVALID.",
            requires(Permission.CONTACTS_IMPORT_EXPORT, scope="input.segmentId"),
        )
    )
    async def segment_export(
        self, info: strawberry.Info, input: SegmentExportInput
    ) -> ContactsExportPayload:
        pk = await scoped_id(info, input.segment_id, "Segment", ("input", "segmentId"))
        export = await exports.request_segment_export(info.context.actor(info), pk)
        return ContactsExportPayload(export=export)

    @strawberry.mutation(
        **describe(
            "Mints a download link for a DONE export while its file is kept: valid a few "
            "minutes (CARNET_EXPORT_LINK_TTL_SECONDS), shown only in this payload, and the "
            "previous link stops working. Each download is audited.",
            requires(Permission.CONTACTS_IMPORT_EXPORT),
        )
    )
    async def contact_export_link(
        self, info: strawberry.Info, input: ContactExportLinkInput
    ) -> ContactExportLinkPayload:
        pk = await scoped_id(info, input.id, "ContactExport", ("input", "id"))
        export, link = await export_downloads.issue_link(
            info.context.actor(info), pk, info.context.settings
        )
        export._minted_link = link
        return ContactExportLinkPayload(export=export)
