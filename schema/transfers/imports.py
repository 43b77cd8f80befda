"""CSV contact imports: the upload (GraphQL multipart request), progress and row errors.

Everything here needs contacts.import_export. The file travels as an `Upload` variable
(https://github.com/jaydenseric/graphql-multipart-request-spec); the import then runs in
a job, read back through `contactImport` / `contactImports`.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.file_uploads import Upload

from carnet.i18n import translate
from models.transfers import ContactImport, OnExisting, TransferStatus
from resolvers.common.permissions import Permission
from resolvers.contacts.consent import ImpliedBasis
from resolvers.transfers import import_file, import_mapping, imports
from resolvers.transfers.csv_columns import ContactColumn
from schema import ids
from schema.bulk import BulkOperationType
from schema.contact_consent import ConsentChannelEnum, ConsentStatusEnum, ImpliedBasisEnum
from schema.errors import UserErrorCodeEnum
from schema.identity import UserType
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id, scoped_ids_or_none
from schema.types import Connection, Node, model_node, related

ContactColumnEnum = strawberry.enum(
    ContactColumn,
    name="ContactColumn",
    description="A contact field a CSV column can fill (imports) or hold (exports).",
)
CsvEncodingEnum = strawberry.enum(
    import_file.CsvEncoding,
    name="CsvEncoding",
    description="How the file's text is encoded. Excel's plain \"CSV\" on Windows is "
    'WINDOWS_1252; "CSV UTF-8" is UTF_8 (its byte-order mark is accepted).',
)
OnExistingEnum = strawberry.enum(
    OnExisting,
    name="ImportOnExisting",
    description="What to do with a row matching a contact already there (by email, then "
    "phone). Blank cells never clear anything.",
)
TransferStatusEnum = strawberry.enum(
    TransferStatus,
    name="ContactTransferStatus",
    description="PENDING: waiting for the worker; RUNNING; DONE; FAILED (see `failure`).",
)


@strawberry.type(description="Which contact field a column of the file fills.")
class ContactImportColumn:
    column: str = strawberry.field(description="The header, as in the file.")
    field: ContactColumnEnum


@strawberry.type(description="Which custom field a column of the file answers.")
class ContactImportCustomFieldColumn:
    column: str = strawberry.field(description="The header, as in the file.")
    field_id: strawberry.ID = strawberry.field(description="The custom field (question).")
    key: str = strawberry.field(description="The custom field's key.")


@strawberry.type(description="A problem with one row of an imported file; the row was skipped.")
class ContactImportRowError:
    row: int = strawberry.field(
        description="1 is the first row after the header (line 2 of the file)."
    )
    column: str = strawberry.field(description='The column\'s header; "" for the whole row.')
    code: UserErrorCodeEnum
    message: str = strawberry.field(description="In the reader's language.")


@model_node("ContactImport", ContactImport, Permission.CONTACTS_IMPORT_EXPORT)
class ContactImportType(Node):
    status: TransferStatusEnum
    filename: str
    on_existing: OnExistingEnum
    total_rows: int = strawberry.field(description="Data rows in the file, header aside.")
    processed_rows: int
    created_count: int
    updated_count: int
    skipped_count: int = strawberry.field(
        description="Blank rows, SKIP matches, and rows that changed nothing."
    )
    error_count: int = strawberry.field(description="Rows not imported because of errors.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @strawberry.field(description="Why the import stopped, when FAILED.")
    def failure(self, info: strawberry.Info) -> str | None:
        return translate(self.failure, info.context.locale) if self.failure else None

    @strawberry.field(description="The staff member who asked for it.")
    async def created_by(self) -> UserType | None:
        return await related(self, "created_by")

    @strawberry.field(
        **describe(
            "The bulk operation running it, one chunk of rows at a time (its records are "
            "the row numbers): follow it with `bulkOperationProgress`, stop it with "
            "`bulkOperationCancel`. Null for imports run before imports used the engine.",
            requires(Permission.CONTACTS_IMPORT_EXPORT, also=Permission.BULK_RUN),
        )
    )
    async def operation(self) -> BulkOperationType | None:
        return await related(self, "operation")

    @strawberry.field(description="How the file's columns were read.")
    def columns(self) -> list[ContactImportColumn]:
        return [
            ContactImportColumn(column=column, field=field)
            for column, field in imports.mapped_columns(self)
        ]

    @strawberry.field(description="The columns answering custom fields (questions).")
    def custom_field_columns(self) -> list[ContactImportCustomFieldColumn]:
        return [
            ContactImportCustomFieldColumn(
                column=c["column"], field_id=ids.encode("CustomField", c["field_id"]), key=c["key"]
            )
            for c in imports.mapped_custom_fields(self)
        ]

    @strawberry.field(description="Headers of the file that fill nothing.")
    def ignored_columns(self) -> list[str]:
        return imports.ignored_columns(self)

    @strawberry.field(description="The problems found so far, in file order.")
    async def row_errors(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[ContactImportRowError]:
        page = await imports.row_errors(self, first=first, after=after)
        locale = info.context.locale
        page.items = [
            ContactImportRowError(
                row=error.row,
                column=error.column,
                code=error.code,
                message=translate(error.message, locale, **(error.params or {})),
            )
            for error in page.items
        ]
        return Connection.of(page)


@strawberry.input(
    description="A column of the file and what it fills: give either `field` or `customFieldId`."
)
class ContactImportColumnInput:
    column: str = strawberry.field(description="A header of the file.")
    field: ContactColumnEnum | None = strawberry.field(
        default=None, description="The contact field the column fills."
    )
    custom_field_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The custom field (question) the column answers; not an archived one.",
    )


@strawberry.input(description="Consent the organization holds for every row, on one channel.")
class ContactImportConsentInput:
    channel: ConsentChannelEnum
    status: ConsentStatusEnum = strawberry.field(description="EXPRESS, IMPLIED or WITHDRAWN.")
    proof: str = strawberry.field(
        default="", description="How it was obtained: the form's wording, the event…"
    )
    implied_basis: ImpliedBasisEnum | None = strawberry.field(
        default=None, description="Required for IMPLIED."
    )
    implied_at: datetime | None = strawberry.field(
        default=None,
        description="When the purchases or inquiries happened (IMPLIED); now if not given.",
    )


@strawberry.input
class ContactsImportInput:
    organization_id: strawberry.ID
    file: Upload = strawberry.field(description="The CSV file, as a multipart upload.")
    mapping: list[ContactImportColumnInput] | None = strawberry.field(
        default=None,
        description="Which column fills which field; without it, headers Carnet knows "
        "(those of its own exports, in English or French, and the keys of the custom fields "
        "not archived) map themselves.",
    )
    encoding: CsvEncodingEnum = import_file.CsvEncoding.UTF_8
    consent: list[ContactImportConsentInput] = strawberry.field(
        default_factory=list,
        description="Consent the organization declares for the rows; a row's own consent "
        "column wins. An import never resubscribes a contact who withdrew.",
    )
    on_existing: OnExistingEnum = OnExisting.FILL_BLANKS


@strawberry.type
class ContactsImportPayload(Payload):
    contact_import: ContactImportType | None = None


@strawberry.type
class ContactImportsQuery:
    @strawberry.field(
        **describe("One contact import.", requires(Permission.CONTACTS_IMPORT_EXPORT))
    )
    async def contact_import(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> ContactImportType | None:
        pk = await scoped_id(info, id, "ContactImport", ("id",))
        return await imports.contact_import(info.context.actor(info), pk)

    @strawberry.field(
        **describe(
            "The organization's contact imports, newest first.",
            requires(Permission.CONTACTS_IMPORT_EXPORT),
        )
    )
    async def contact_imports(
        self,
        info: strawberry.Info,
        organization_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ContactImportType]:
        page = await imports.contact_imports(info.context.actor(info), first=first, after=after)
        return Connection.of(page)


@strawberry.type
class ContactImportsMutation:
    @strawberry.mutation(
        **describe(
            "Imports contacts from a CSV file (a multipart upload). The file is checked at "
            "once — nothing is written if anything is wrong — then imported by a job; follow "
            "it with `contactImport`.",
            requires(Permission.CONTACTS_IMPORT_EXPORT, scope="input.organizationId"),
        )
    )
    async def contacts_import(
        self, info: strawberry.Info, input: ContactsImportInput
    ) -> ContactsImportPayload:
        mapping = None
        if input.mapping is not None:
            # A question of another organization is refused by the import's own checks of
            # the mapping, reported with the mapping's other problems (0 names none).
            field_ids = await scoped_ids_or_none(
                info,
                [m.custom_field_id for m in input.mapping if m.custom_field_id is not None],
                "CustomField",
            )
            mapping = [
                import_mapping.ColumnChoice(
                    m.column, m.field, None if m.custom_field_id is None else field_ids.pop(0) or 0
                )
                for m in input.mapping
            ]
        consent = [
            imports.ConsentDeclaration(
                channel=c.channel,
                status=c.status,
                proof=c.proof,
                implied_basis=ImpliedBasis(c.implied_basis) if c.implied_basis else None,
                implied_at=c.implied_at,
            )
            for c in input.consent
        ]
        contact_import = await imports.request_import(
            info.context.actor(info),
            input.file,
            mapping=mapping,
            encoding=input.encoding,
            consent=consent,
            on_existing=input.on_existing,
            settings=info.context.settings,
        )
        return ContactsImportPayload(contact_import=contact_import)
