"""Moving contacts in and out in bulk: CSV imports and exports, run by jobs.

An import keeps the column mapping and the storage key of the uploaded file (decoded and
checked at upload, stored as UTF-8; carnet.storage); it runs on the bulk-operation engine:
its operation's items are the file's row numbers, each chunk of rows one job and one
transaction that also advances `processed_rows` and the counters. Rows that fail
validation are not imported; each problem is a `ContactImportRowError`.

An export keeps the filter it was asked for and the storage key of its CSV, which its job
writes in parts, one per round; the download link is a random token (only its hash is
stored) valid until `expires_at`.
"""

from enum import StrEnum

from tortoise import fields

from models.base import TimestampedModel


class TransferStatus(StrEnum):
    PENDING = "PENDING"  # waiting for the worker
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"  # the job gave up; `failure` says why


class OnExisting(StrEnum):
    """What an import does with a row that matches a contact already there (by email, then
    phone). Blank cells never clear anything."""

    FILL_BLANKS = "FILL_BLANKS"  # set only what the contact lacks
    OVERWRITE = "OVERWRITE"  # replace with the file's non-blank values
    SKIP = "SKIP"  # leave the contact untouched


class ContactImport(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="contact_imports", on_delete=fields.CASCADE
    )
    created_by = fields.ForeignKeyField(
        "models.User", related_name="contact_imports", null=True, on_delete=fields.SET_NULL
    )
    status = fields.CharEnumField(TransferStatus, max_length=8, default=TransferStatus.PENDING)
    filename = fields.CharField(max_length=255, default="")
    # The CSV in storage, as UTF-8 whatever the upload's encoding. Rows never hold files:
    # lists and reads of a row load no file.
    file_key = fields.CharField(max_length=255, null=True)
    mapping = fields.JSONField(default=dict)  # CSV column header -> contact field
    # Consent given for the imported rows, if the organization says it has it.
    consent = fields.JSONField(default=dict)
    on_existing = fields.CharEnumField(OnExisting, max_length=12, default=OnExisting.FILL_BLANKS)
    total_rows = fields.IntField(default=0)
    processed_rows = fields.IntField(default=0)  # rows handled so far (the resume point)
    created_count = fields.IntField(default=0)
    updated_count = fields.IntField(default=0)
    error_count = fields.IntField(default=0)  # rows skipped because of errors
    # Rows that changed nothing: blank, SKIP matches, or repeating what is already there.
    skipped_count = fields.IntField(default=0)
    failure = fields.TextField(default="")
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    # The bulk operation that runs it, one chunk of rows per job (its items are the row
    # numbers); null for imports run before imports ran on the engine.
    operation = fields.ForeignKeyField(
        "models.BulkOperation",
        related_name="contact_imports",
        null=True,
        on_delete=fields.SET_NULL,
    )

    class Meta:
        table = "contact_import"
        indexes = (("organization_id", "created_at"),)


class ContactImportRowError(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    contact_import = fields.ForeignKeyField(
        "models.ContactImport", related_name="row_errors", on_delete=fields.CASCADE
    )
    row = fields.IntField()  # 1 is the first data row after the header; file line = row + 1
    column = fields.CharField(max_length=255, default="")  # the CSV header, "" for the row
    code = fields.CharField(max_length=40)
    message = fields.TextField()  # English; translated when read
    params = fields.JSONField(default=dict)  # the message's placeholders ({max}, {value}…)

    class Meta:
        table = "contact_import_row_error"
        indexes = (("contact_import_id", "row", "id"),)


class ContactExport(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="contact_exports", on_delete=fields.CASCADE
    )
    created_by = fields.ForeignKeyField(
        "models.User", related_name="contact_exports", null=True, on_delete=fields.SET_NULL
    )
    status = fields.CharEnumField(TransferStatus, max_length=8, default=TransferStatus.PENDING)
    filters = fields.JSONField(default=dict)  # the contacts filter, as the API received it
    row_count = fields.IntField(default=0)
    # The CSV in storage, in parts: growing while RUNNING, whole once DONE. Null once the
    # file is deleted (after the retention) or when the export failed.
    file_key = fields.CharField(max_length=255, null=True)
    # Unused since exports run on the bulk-operation engine (was where the next round of
    # the job started). Rows written so far: `row_count`, moved by each chunk.
    resume_after = fields.JSONField(null=True)
    # The bulk operation that writes the file, one part per chunk (set when the build
    # starts; null before, and for exports built before exports ran on the engine).
    operation = fields.ForeignKeyField(
        "models.BulkOperation",
        related_name="contact_exports",
        null=True,
        on_delete=fields.SET_NULL,
    )
    download_token_hash = fields.CharField(max_length=64, null=True, unique=True)
    expires_at = fields.DatetimeField(null=True)
    # When the current link served the file: a link works once (null until then).
    link_used_at = fields.DatetimeField(null=True)
    failure = fields.TextField(default="")
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "contact_export"
        indexes = (("organization_id", "created_at"),)
