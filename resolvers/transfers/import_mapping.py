"""Mapping an import file's columns to contact fields and custom fields: explicitly, as
the client chose, or automatically from the header row (a file exported from Carnet maps
itself). A file must map at least one column that identifies a row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from carnet.i18n import N_
from models.custom_fields import CustomField
from resolvers.common.errors import ErrorCollector, FieldPath, UserErrorCode
from resolvers.transfers.csv_columns import ContactColumn, column_for_header, header_key
from resolvers.transfers.import_file import FILE

# Any one of these makes a row identifiable; a file needs at least one of them mapped.
IDENTIFYING = (
    ContactColumn.FIRST_NAME,
    ContactColumn.LAST_NAME,
    ContactColumn.ORGANIZATION_NAME,
    ContactColumn.EMAIL,
    ContactColumn.PHONE,
)


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
