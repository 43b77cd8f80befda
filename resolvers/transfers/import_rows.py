"""Reading one CSV row of an import: its cells, validated with the rules contactCreate
applies (`contacts.clean_values`), each problem named by the file's column header.

Pure functions: no query here. The job (`import_job`) gives the palette and the consent
the organization declared, and writes what comes out. Custom-field cells are read as
the question's answer with the rules contactCustomFieldsSave applies (`clean_value`), after
turning the text into the type's value (a number, a boolean word, a list split on "|").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from carnet.i18n import N_
from models.contacts import ConsentChannel, ConsentStatus, ContactKind
from models.custom_fields import CustomField, CustomFieldType
from models.identity import Locale
from models.organizations import Organization
from resolvers.common.errors import ErrorCollector, UserErrorCode
from resolvers.common.validation import clean_text
from resolvers.contacts.contacts import clean_values
from resolvers.contacts.records import fold
from resolvers.custom_fields.answers import AnswerRefused, clean_value
from resolvers.groups.groups import NAME_MAX_LENGTH as GROUP_NAME_MAX_LENGTH
from resolvers.transfers.csv_columns import BY_COLUMN, GROUP_SEPARATOR, ContactColumn, header_key
from resolvers.transfers.csv_records import CsvRecord

_WORDS = {
    ContactColumn.KIND: {
        ContactKind.PERSON: ("person", "personne", "individual", "individu"),
        ContactKind.ORGANIZATION: (
            "organization",
            "organisation",
            "organisme",
            "company",
            "entreprise",
        ),
    },
    ContactColumn.LOCALE: {
        Locale.EN: ("en", "english", "anglais"),
        Locale.FR: ("fr", "french", "francais"),
    },
    ContactColumn.DO_NOT_CONTACT: {
        True: ("true", "yes", "oui", "vrai", "1", "x"),
        False: ("false", "no", "non", "faux", "0"),
    },
}
_CONSENT_WORDS = {
    ConsentStatus.EXPRESS: ("express", "expres", "expresse"),
    ConsentStatus.IMPLIED: ("implied", "implicite", "tacite"),
    ConsentStatus.WITHDRAWN: ("withdrawn", "retire", "unsubscribed", "desabonne"),
    ConsentStatus.NOT_ASKED: ("notasked", "nondemande", "none", "aucun"),
}
_CONSENT_COLUMNS = {
    ContactColumn.EMAIL_CONSENT: ConsentChannel.EMAIL,
    ContactColumn.SMS_CONSENT: ConsentChannel.SMS,
}
# What a spreadsheet would run as a formula; exports escape it with a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T].*)?")
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d{1,15}")  # longer ones are read as floats


@dataclass
class RowProblem:
    column: str  # the CSV header, "" for the row as a whole
    code: UserErrorCode
    message: str  # an English msgid
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportRow:
    number: int  # 1 = the first data row
    values: dict[str, Any] = field(default_factory=dict)  # Contact fields, clean
    colour_id: int | None = None
    groups: list[str] = field(default_factory=list)
    consent: dict[ConsentChannel, ConsentStatus] = field(default_factory=dict)
    answers: dict[int, Any] = field(default_factory=dict)  # custom field pk -> clean value
    problems: list[RowProblem] = field(default_factory=list)
    blank: bool = False


def _word(value: str, column: ContactColumn) -> Any:
    key = header_key(value)
    for meaning, words in _WORDS[column].items():
        if key in words or key == str(getattr(meaning, "value", "")).lower():
            return meaning
    return None


def consent_status(value: str) -> ConsentStatus | None:
    key = header_key(value)
    for status, words in _CONSENT_WORDS.items():
        if key in words or key == header_key(status.value):
            return status
    return None


def _birth_date(value: str) -> date | None:
    match = _DATE.fullmatch(value)
    if match is None:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _typed(column: ContactColumn, value: str) -> tuple[Any, str | None]:
    """The cell as the contact field's type, or an error message."""
    if column is ContactColumn.BIRTH_DATE:
        parsed = _birth_date(value)
        return parsed, None if parsed else N_("Use the date format YYYY-MM-DD, e.g. 1990-05-17.")
    if column in _WORDS:
        meaning = _word(value, column)
        messages = {
            ContactColumn.KIND: N_("Use PERSON or ORGANIZATION."),
            ContactColumn.LOCALE: N_("Use EN or FR."),
            ContactColumn.DO_NOT_CONTACT: N_("Use yes or no."),
        }
        return meaning, None if meaning is not None else messages[column]
    return value, None


def parse_row(
    number: int,
    record: CsvRecord,
    columns: list[tuple[int, str, ContactColumn]],
    organization: Organization,
    palette: dict[str, int],
    implied_declared: set[ConsentChannel],
    custom: Sequence[tuple[int, str, CustomField]] = (),
) -> ImportRow:
    """`columns` are (index, header, field); `palette` maps folded colour names to ids;
    `implied_declared` the channels for which the organization declared IMPLIED consent
    (its basis and date then apply to a row's IMPLIED cell); `custom` the custom-field
    columns as (index, header, question). A record the file's reader could not take as a
    row of the header's shape is that one problem: none of its cells is read."""
    row = ImportRow(number)
    if record.problem:
        row.problems.append(
            RowProblem("", UserErrorCode.INVALID, record.problem, record.params)
        )
        return row
    cells = record.cells
    cell_of = {column: (_cell(cells, index), header) for index, header, column in columns}
    answer_cells = [(_cell(cells, index), header, question) for index, header, question in custom]
    if not any(value for value, _ in cell_of.values()) and not any(
        value for value, _, _ in answer_cells
    ):
        row.blank = True
        return row
    for value, header, question in answer_cells:
        if not value:
            continue  # no answer given: the stored one, if any, stays
        try:
            answer = custom_value(question, value)
        except AnswerRefused as refusal:
            row.problems.append(
                RowProblem(header, UserErrorCode.INVALID, refusal.message, refusal.params)
            )
            continue
        if answer is not None:
            row.answers[question.id] = answer
    raw: dict[str, Any] = {}
    header_of: dict[str, str] = {}
    for column, (value, header) in cell_of.items():
        if not value:
            continue  # a blank cell never clears anything
        info = BY_COLUMN[column]
        if info.model_field is not None:
            typed, problem = _typed(column, value)
            if problem:
                row.problems.append(RowProblem(header, UserErrorCode.INVALID, problem))
            else:
                raw[info.model_field] = typed
                header_of[info.model_field] = header
        elif column is ContactColumn.COLOUR:
            row.colour_id = palette.get(fold(value))
            if row.colour_id is None:
                row.problems.append(
                    RowProblem(
                        header,
                        UserErrorCode.NOT_FOUND,
                        N_("No colour named “{name}” in the palette."),
                        {"name": value[:100]},
                    )
                )
        elif column is ContactColumn.GROUPS:
            row.groups = _groups(value, header, row)
        else:
            _consent_cell(_CONSENT_COLUMNS[column], value, header, implied_declared, row)
    errors = ErrorCollector()
    row.values = clean_values(raw, organization, errors)
    for error in errors.errors:
        name = str(error.field[-1])
        row.problems.append(
            RowProblem(header_of.get(name, ""), error.code, error.message, error.params)
        )
    if not row.problems and not _identifiable(row.values):
        row.problems.append(
            RowProblem("", UserErrorCode.REQUIRED, N_("This row has no name, email or phone."))
        )
    return row


def _cell(cells: list[str], index: int) -> str:
    return _unescaped(cells[index]) if index < len(cells) else ""


def custom_value(question: CustomField, text: str) -> Any:
    """The cell as the question's answer (None for none), as an export writes it: ISO
    dates, true/false (or yes/no, oui/non, 1/0), choice values, several joined with "|",
    numbers (a decimal comma is fine). `AnswerRefused` when it is not a valid answer."""
    value: Any = text
    match question.type:
        case CustomFieldType.NUMBER:
            if _INTEGER.fullmatch(text):
                value = int(text)
            elif _NUMBER.fullmatch(text):
                value = float(text.replace(",", "."))
        case CustomFieldType.DATE:
            parsed = _birth_date(text)
            value = parsed.isoformat() if parsed else text
        case CustomFieldType.BOOLEAN:
            meaning = _word(text, ContactColumn.DO_NOT_CONTACT)
            value = text if meaning is None else meaning
        case CustomFieldType.MULTIPLE_CHOICE:
            value = [part.strip() for part in text.split(GROUP_SEPARATOR) if part.strip()]
    return clean_value(question, value)


def _unescaped(cell: str) -> str:
    """The cell without the apostrophe an export puts before formula-like text ("'=1+2")."""
    text = cell.strip()
    if text.startswith("'") and text[1:2] in FORMULA_STARTS:
        return text[1:]
    return text


def _identifiable(values: dict[str, Any]) -> bool:
    names = ("first_name", "last_name", "organization_name", "email", "phone")
    return any(values.get(name) for name in names)


def _groups(value: str, header: str, row: ImportRow) -> list[str]:
    names: dict[str, str] = {}
    for part in value.split(GROUP_SEPARATOR):
        errors = ErrorCollector()
        name = clean_text(part, errors, (), max_length=GROUP_NAME_MAX_LENGTH)
        for error in errors.errors:
            row.problems.append(RowProblem(header, error.code, error.message, error.params))
        if name and not errors.errors:
            names.setdefault(fold(name), name)
    return list(names.values())


def _consent_cell(
    channel: ConsentChannel,
    value: str,
    header: str,
    implied_declared: set[ConsentChannel],
    row: ImportRow,
) -> None:
    status = consent_status(value)
    if status is None:
        row.problems.append(
            RowProblem(
                header, UserErrorCode.INVALID, N_("Use EXPRESS, IMPLIED, WITHDRAWN or NOT_ASKED.")
            )
        )
    elif status is ConsentStatus.IMPLIED and channel not in implied_declared:
        row.problems.append(
            RowProblem(
                header,
                UserErrorCode.INVALID,
                N_("Implied consent needs its basis: declare IMPLIED consent for the import."),
            )
        )
    elif status is not ConsentStatus.NOT_ASKED:
        row.consent[channel] = status
