"""Asking for a CSV contact import: every check that can be made on the file itself runs
here, before anything is written (encoding, delimiter, header row, column mapping, size);
then the import is recorded and its job deferred. Reading an import's progress and row
errors lives here too; the rows themselves are handled by `import_job`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from carnet.i18n import N_
from carnet.settings import current_settings
from carnet.storage import current_storage, new_key
from models.contacts import ConsentChannel, ConsentStatus
from models.custom_fields import CustomField
from models.transfers import ContactImport, ContactImportRowError, OnExisting
from resolvers.common import audit
from resolvers.common.actor import Actor
from resolvers.common.errors import ErrorCollector, FieldPath, NotFound, UserErrorCode
from resolvers.common.pagination import Page, paginate
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.contacts import consent as consent_rules
from resolvers.transfers.csv_columns import ContactColumn, column_for_header, header_key
from resolvers.transfers.csv_records import CsvRecord, csv_records

JOB = "import_contacts"
CONSENT_SOURCE = "import"
DELIMITERS = (",", ";", "\t")
FILENAME_MAX_LENGTH = 255
# Any one of these makes a row identifiable; a file needs at least one of them mapped.
IDENTIFYING = (
    ContactColumn.FIRST_NAME,
    ContactColumn.LAST_NAME,
    ContactColumn.ORGANIZATION_NAME,
    ContactColumn.EMAIL,
    ContactColumn.PHONE,
)
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
FILE = ("input", "file")
FILE_KIND = "contact-imports"  # the files' folder in storage


class CsvEncoding(StrEnum):
    UTF_8 = "UTF_8"
    WINDOWS_1252 = "WINDOWS_1252"  # Excel's "CSV" on Windows in English and French
    LATIN_1 = "LATIN_1"


_CODECS = {
    CsvEncoding.UTF_8: "utf-8",
    CsvEncoding.WINDOWS_1252: "cp1252",
    CsvEncoding.LATIN_1: "latin-1",
}


class UploadedFile(Protocol):
    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


@dataclass
class ColumnChoice:
    """A column of the file and what it fills: a contact field, or a custom field (its
    pk; 0 for an id that names no custom field). Exactly one of the two."""

    column: str  # the CSV header, as in the file
    field: ContactColumn | None = None
    custom_field_id: int | None = None


@dataclass
class Mapping:
    columns: list[dict[str, Any]]  # {"column", "index", "field"}: contact fields
    custom_fields: list[dict[str, Any]]  # {"column", "index", "field_id", "key"}


@dataclass
class ConsentDeclaration:
    """Consent the organization says it holds for every row of the file, on one channel."""

    channel: ConsentChannel
    status: ConsentStatus
    proof: str = ""
    implied_basis: consent_rules.ImpliedBasis | None = None
    implied_at: datetime | None = None


@dataclass
class ParsedFile:
    text: str
    delimiter: str
    headers: list[str]
    total_rows: int


def csv_rows(text: str, delimiter: str) -> Iterator[CsvRecord]:
    """The file's records, header first; a quoted cell may span several lines."""
    return csv_records(text, delimiter)


async def _read(upload: UploadedFile | None, errors: ErrorCollector) -> bytes | None:
    if upload is None or not callable(getattr(upload, "read", None)):
        errors.add(UserErrorCode.REQUIRED, FILE, N_("Attach the CSV file to import."))
        return None
    limit = current_settings().import_max_bytes
    data = await upload.read(limit + 1)
    if len(data) > limit:
        errors.add(
            UserErrorCode.TOO_LONG,
            FILE,
            N_("The file is too large: at most {max} MB."),
            max=max(limit // (1024 * 1024), 1),
        )
        return None
    if not data.strip():
        errors.add(UserErrorCode.INVALID, FILE, N_("The file is empty."))
        return None
    return data


def _decode(data: bytes, encoding: CsvEncoding, errors: ErrorCollector) -> str | None:
    if data.startswith(_UTF16_BOMS):
        errors.add(
            UserErrorCode.INVALID,
            FILE,
            N_('This file is UTF-16 ("Unicode text"): save it as "CSV UTF-8" and try again.'),
        )
        return None
    if data.startswith(_UTF8_BOM):
        # Excel's "CSV UTF-8" starts with a byte-order mark: UTF-8 whatever was chosen.
        data, encoding = data[len(_UTF8_BOM) :], CsvEncoding.UTF_8
    if b"\x00" in data:
        errors.add(
            UserErrorCode.INVALID,
            FILE,
            N_("This is not a CSV file (a spreadsheet, perhaps?): save it as CSV first."),
        )
        return None
    try:
        return data.decode(_CODECS[encoding])
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        if encoding is CsvEncoding.UTF_8:
            message = N_(
                "Line {line} is not valid UTF-8. If the file was saved by Excel on Windows, "
                "import it again with the WINDOWS_1252 encoding."
            )
        else:
            message = N_("Line {line} cannot be read in this encoding: try UTF_8 or LATIN_1.")
        errors.add(UserErrorCode.INVALID, ("input", "encoding"), message, line=line)
        return None


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon (Excel in French) or tab: whichever the header line has most of."""
    first_line = text.splitlines()[0] if text else ""
    counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def parse_file(text: str, errors: ErrorCollector) -> ParsedFile | None:
    delimiter = sniff_delimiter(text)
    rows = csv_rows(text, delimiter)
    header = next(rows, CsvRecord(1, []))
    total = sum(1 for _ in rows)
    if header.problem:
        errors.add(UserErrorCode.INVALID, FILE, header.problem, **header.params)
        return None
    headers = [cell.strip() for cell in header.cells]
    if not any(headers):
        errors.add(
            UserErrorCode.INVALID, FILE, N_("The first line must name the columns (a header row).")
        )
        return None
    if total == 0:
        errors.add(UserErrorCode.INVALID, FILE, N_("The file has a header row but no contacts."))
        return None
    limit = current_settings().import_max_rows
    if total > limit:
        errors.add(
            UserErrorCode.TOO_LONG,
            FILE,
            N_("The file has {rows} rows: at most {max} can be imported at once."),
            rows=total,
            max=limit,
        )
        return None
    return ParsedFile(text, delimiter, headers, total)


def _find_header(headers: list[str], column: str) -> list[int]:
    exact = [index for index, header in enumerate(headers) if header == column.strip()]
    if exact:
        return exact
    key = header_key(column)
    return [index for index, header in enumerate(headers) if key and header_key(header) == key]


def _custom_column(header: str, index: int, question: CustomField) -> dict[str, Any]:
    return {"column": header, "index": index, "field_id": question.id, "key": question.key}


def _target(
    choice: ColumnChoice, questions: dict[int, CustomField], path: tuple, errors: ErrorCollector
) -> ContactColumn | CustomField | None:
    """What an explicit mapping entry fills, or None (its problem added)."""
    if (choice.field is None) == (choice.custom_field_id is None):
        errors.add(
            UserErrorCode.INVALID, (*path, "field"), N_("Give either field or customFieldId.")
        )
        return None
    if choice.field is not None:
        return choice.field
    question = questions.get(choice.custom_field_id or 0)
    if question is None:
        errors.add(
            UserErrorCode.NOT_FOUND,
            (*path, "custom_field_id"),
            N_("The organization has no such custom field."),
        )
        return None
    if question.archived_at is not None:
        errors.add(
            UserErrorCode.INVALID,
            (*path, "custom_field_id"),
            N_("The custom field “{key}” is archived: it cannot be imported."),
            key=question.key,
        )
        return None
    return question


def _explicit_mapping(
    headers: list[str],
    mapping: Sequence[ColumnChoice],
    questions: dict[int, CustomField],
    errors: ErrorCollector,
) -> Mapping:
    found_mapping = Mapping([], [])
    seen_targets: set[ContactColumn | int] = set()
    seen_indexes: set[int] = set()
    for position, choice in enumerate(mapping):
        path = ("input", "mapping", position)
        found = _find_header(headers, choice.column)
        if not found:
            errors.add(
                UserErrorCode.INVALID,
                (*path, "column"),
                N_("The file has no column named “{column}”."),
                column=choice.column[:100],
            )
        elif len(found) > 1:
            errors.add(
                UserErrorCode.INVALID,
                (*path, "column"),
                N_("Several columns of the file are named “{column}”: rename all but one."),
                column=choice.column[:100],
            )
        elif found[0] in seen_indexes:
            errors.add(
                UserErrorCode.INVALID,
                (*path, "column"),
                N_("The column “{column}” is mapped twice."),
                column=choice.column[:100],
            )
        if len(found) == 1:
            seen_indexes.add(found[0])
        target = _target(choice, questions, path, errors)
        if target is None:
            continue
        identity = target if isinstance(target, ContactColumn) else target.id
        if identity in seen_targets:
            errors.add(
                UserErrorCode.INVALID,
                (*path, "field" if isinstance(target, ContactColumn) else "custom_field_id"),
                N_("Only one column can fill {field}."),
                field=target.value if isinstance(target, ContactColumn) else target.key,
            )
        seen_targets.add(identity)
        if len(found) == 1:
            header = headers[found[0]]
            if isinstance(target, ContactColumn):
                found_mapping.columns.append(
                    {"column": header, "index": found[0], "field": target.value}
                )
            else:
                found_mapping.custom_fields.append(_custom_column(header, found[0], target))
    return found_mapping


def _automatic_mapping(
    headers: list[str], questions: dict[int, CustomField], errors: ErrorCollector
) -> Mapping:
    """Headers Carnet knows (its own export's, English or French) map themselves, and so
    do the keys of the custom fields still asked (an export's extra columns). A key that
    reads like a contact field's header fills that field, unless that field is taken."""
    by_key = {header_key(q.key): q for q in questions.values() if q.archived_at is None}
    found = Mapping([], [])
    first_header: dict[ContactColumn | int, str] = {}
    for index, header in enumerate(headers):
        field = column_for_header(header)
        question = by_key.get(header_key(header))
        target: ContactColumn | CustomField
        if field is not None and (field not in first_header or question is None):
            target = field
        elif question is not None:
            target = question
        else:
            continue
        identity = target if isinstance(target, ContactColumn) else target.id
        if identity in first_header:
            errors.add(
                UserErrorCode.INVALID,
                FILE,
                N_("The columns “{first}” and “{second}” both hold {field}: pass a mapping."),
                first=first_header[identity][:100],
                second=header[:100],
                field=target.value if isinstance(target, ContactColumn) else target.key,
            )
            continue
        first_header[identity] = header
        if isinstance(target, ContactColumn):
            found.columns.append({"column": header, "index": index, "field": target.value})
        else:
            found.custom_fields.append(_custom_column(header, index, target))
    return found


def resolve_mapping(
    headers: list[str],
    mapping: Sequence[ColumnChoice] | None,
    errors: ErrorCollector,
    questions: dict[int, CustomField] | None = None,
) -> Mapping:
    """`questions`: the organization's custom fields by pk, archived ones included."""
    questions = questions or {}
    before = len(errors.errors)
    if mapping is None:
        found = _automatic_mapping(headers, questions, errors)
        path: FieldPath = FILE
    else:
        found = _explicit_mapping(headers, mapping, questions, errors)
        path = ("input", "mapping")
    fields = {ContactColumn(c["field"]) for c in found.columns}
    if len(errors.errors) == before and not fields & set(IDENTIFYING):
        errors.add(
            UserErrorCode.REQUIRED,
            path,
            N_("Map at least one column to a name, an email or a phone number."),
        )
    return found


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
) -> ContactImport:
    """Checks the file and the options (all problems at once), then records the import and
    defers its job. Nothing is written when anything is wrong."""
    errors = ErrorCollector()
    declared = check_consent(consent, errors)
    data = await _read(upload, errors)
    parsed = None
    if data is not None:
        text = _decode(data, encoding, errors)
        parsed = parse_file(text, errors) if text is not None else None
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
    async with stored, unit_of_work() as uow:
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
        await uow.defer(JOB, contact_import.id)
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
