"""Asking for a CSV contact import: every check that can be made on the file itself runs
before anything is written — reading and decoding it (`import_file`), mapping its columns
(`import_mapping`), the consent declared — then the import is recorded with its bulk
operation (`import_job.launch`). Reading an import's progress and row errors lives here
too; the rows themselves are handled by `import_job`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from carnet.i18n import N_
from carnet.settings import Settings
from carnet.storage import current_storage, new_key
from models.contacts import ConsentChannel, ConsentStatus
from models.custom_fields import CustomField
from models.transfers import ContactImport, ContactImportRowError, OnExisting
from resolvers.common import audit
from resolvers.common.actor import Actor
from resolvers.common.errors import ErrorCollector, NotFound, UserErrorCode
from resolvers.common.pagination import Page, paginate
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.contacts import consent as consent_rules
from resolvers.transfers.csv_columns import ContactColumn
from resolvers.transfers.import_file import (
    CsvEncoding,
    UploadedFile,
    decode,
    parse_file,
    read_upload,
)
from resolvers.transfers.import_mapping import ColumnChoice, Mapping, resolve_mapping

CONSENT_SOURCE = "import"
FILENAME_MAX_LENGTH = 255
FILE_KIND = "contact-imports"  # the files' folder in storage


@dataclass
class ConsentDeclaration:
    """Consent the organization says it holds for every row of the file, on one channel."""

    channel: ConsentChannel
    status: ConsentStatus
    proof: str = ""
    implied_basis: consent_rules.ImpliedBasis | None = None
    implied_at: datetime | None = None


def check_consent(
    declarations: Sequence[ConsentDeclaration], errors: ErrorCollector
) -> dict[str, dict[str, Any]]:
    """The declarations as the job reads them, by channel; IMPLIED dated now if not given."""
    checked: dict[str, dict[str, Any]] = {}
    for index, declaration in enumerate(declarations):
        path = ("input", "consent", index)
        if declaration.status is ConsentStatus.NOT_ASKED:
            errors.add(
                UserErrorCode.INVALID,
                (*path, "status"),
                N_("Declare EXPRESS, IMPLIED or WITHDRAWN consent, or leave the channel out."),
            )
            continue
        if declaration.channel.value in checked:
            errors.add(
                UserErrorCode.INVALID,
                (*path, "channel"),
                N_("Declare each channel once."),
            )
            continue
        change = consent_rules.ConsentChange(
            channel=declaration.channel,
            status=declaration.status,
            source=CONSENT_SOURCE,
            proof=declaration.proof,
            implied_basis=declaration.implied_basis,
            implied_at=declaration.implied_at,
        )
        result = consent_rules.check(change, errors, path)
        implied_at = (declaration.implied_at or now()) if declaration.implied_basis else None
        checked[declaration.channel.value] = {
            "status": declaration.status.value,
            "proof": result.proof,
            "implied_basis": declaration.implied_basis.value if declaration.implied_basis else None,
            "implied_at": implied_at.isoformat() if implied_at else None,
        }
    return checked


def clean_filename(name: str | None) -> str:
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable()).strip()[:FILENAME_MAX_LENGTH]


async def request_import(
    actor: Actor,
    upload: UploadedFile | None,
    *,
    mapping: Sequence[ColumnChoice] | None,
    encoding: CsvEncoding,
    consent: Sequence[ConsentDeclaration],
    on_existing: OnExisting,
    settings: Settings,
) -> ContactImport:
    """Checks the file and the options (all problems at once), then records the import and
    queues its bulk operation. Nothing is written when anything is wrong."""
    from resolvers.transfers import import_job  # it imports this module's constants

    errors = ErrorCollector()
    declared = check_consent(consent, errors)
    data = await read_upload(upload, errors, settings.import_max_bytes)
    parsed = None
    if data is not None:
        text = decode(data, encoding, errors)
        parsed = parse_file(text, errors, settings.import_max_rows) if text is not None else None
    found = Mapping([], [])
    if parsed:
        questions = {
            q.id: q for q in await CustomField.filter(organization_id=actor.organization_id)
        }
        found = resolve_mapping(parsed.headers, mapping, errors, questions)
    errors.raise_if_any()
    assert parsed is not None
    columns = found.columns
    ignored = sorted(
        set(range(len(parsed.headers)))
        - {c["index"] for c in columns}
        - {c["index"] for c in found.custom_fields},
    )
    layout = {
        "delimiter": parsed.delimiter,
        "columns": columns,
        "custom_fields": found.custom_fields,
        "ignored": [parsed.headers[i] for i in ignored if parsed.headers[i]],
    }
    file_key = new_key(actor.organization_id, FILE_KIND, "csv")
    # Stored before the row is written, deleted again if the row is not: a row never
    # names a missing file.
    stored = current_storage().stored(file_key, parsed.text.encode("utf-8"))
    async with stored, unit_of_work():
        contact_import = await ContactImport.create(
            organization_id=actor.organization_id,
            created_by=actor.user,
            filename=clean_filename(getattr(upload, "filename", "")),
            file_key=file_key,
            mapping=layout,
            consent=declared,
            on_existing=on_existing,
            total_rows=parsed.total_rows,
        )
        await audit.record(
            "contact.import",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("ContactImport", contact_import.id),
            after={
                "filename": contact_import.filename,
                "total_rows": parsed.total_rows,
                "columns": {c["column"]: c["field"] for c in columns},
                "custom_fields": {c["column"]: c["key"] for c in found.custom_fields},
                "on_existing": on_existing.value,
                "consent": declared,
            },
        )
        await import_job.launch(actor, contact_import)
    return contact_import


def mapped_columns(contact_import: ContactImport) -> list[tuple[str, ContactColumn]]:
    return [
        (c["column"], ContactColumn(c["field"]))
        for c in (contact_import.mapping or {}).get("columns", [])
    ]


def mapped_custom_fields(contact_import: ContactImport) -> list[dict[str, Any]]:
    """The custom-field columns: {"column", "index", "field_id", "key"} each."""
    return list((contact_import.mapping or {}).get("custom_fields", []))


def ignored_columns(contact_import: ContactImport) -> list[str]:
    return list((contact_import.mapping or {}).get("ignored", []))


async def contact_import(actor: Actor, import_id: int | None) -> ContactImport:
    found = None
    if import_id is not None:
        found = (
            await ContactImport.filter(id=import_id, organization_id=actor.organization_id)
            .select_related("created_by")
            .first()
        )
    if found is None:
        raise NotFound(("id",))
    return found


async def contact_imports(actor: Actor, **page_args) -> Page:
    """The organization's imports, newest first."""
    qs = ContactImport.filter(organization_id=actor.organization_id).select_related("created_by")
    return await paginate(qs, order=("-id",), **page_args)


async def row_errors(contact_import: ContactImport, **page_args) -> Page:
    """The problems found, in file order."""
    qs = ContactImportRowError.filter(contact_import_id=contact_import.id)
    return await paginate(qs, order=("row", "id"), **page_args)
