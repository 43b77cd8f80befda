"""Writing an export's CSV: its header, and the rows of a chunk's contacts (frozen, in name
order, by the export's bulk operation: resolvers.transfers.exports) in batches.

Memory stays flat whatever the address book's size: each batch is read as plain values
(no ORM objects), with one query for its groups and one for its custom-field answers, and
written out before the next is read. The statement count grows with the number of
batches, never with the number of rows.

Cells a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
return) get a leading apostrophe, as OWASP advises for CSV injection — except cells that
are a plain number (`+15145551234`, `-3`, `2.5`): no spreadsheet runs those as anything but
a number, and escaping them would break E.164 phones and negative answers on re-import.
The import strips that apostrophe again.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from datetime import date, datetime
from enum import Enum
from typing import Any, TextIO

from models.colours import Colour
from models.contacts import ConsentStatus, Contact
from models.custom_fields import CustomField, CustomFieldAnswer
from models.groups import GroupMember
from resolvers.common.time import now
from resolvers.contacts.consent import effective_status
from resolvers.transfers.csv_columns import COLUMNS, GROUP_SEPARATOR, ContactColumn

BATCH_SIZE = 1000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
# What each row needs from the contact table: the columns' fields plus the keyset and
# what colour, groups and consent are computed from.
_VALUES = tuple(
    dict.fromkeys(
        [
            "id",
            "sort_name",
            *(info.model_field for info in COLUMNS if info.model_field),
            "colour_id",
            "email_consent",
            "email_consent_expires_at",
            "sms_consent",
            "sms_consent_expires_at",
        ]
    )
)


def safe_cell(text: str) -> str:
    """The text with a leading apostrophe if a spreadsheet would read it as a formula."""
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def cell_text(value: Any) -> str:
    """A value as the import reads it back: ISO dates, true/false, choice lists with `|`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, list):
        return GROUP_SEPARATOR.join(cell_text(v) for v in value)
    return str(value)


async def custom_field_columns(organization_id: int) -> list[CustomField]:
    """The questions still asked, in form, section and question order."""
    found = await CustomField.filter(
        organization_id=organization_id, archived_at__isnull=True
    ).select_related("section__form")
    return sorted(
        found,
        key=lambda f: (
            f.section.form.position,
            f.section.form_id,
            f.section.position,
            f.section_id,
            f.position,
            f.id,
        ),
    )


def header_row(fields: list[CustomField], locale: str) -> list[str]:
    french = locale == "fr"
    headers = [info.header_fr if french else info.header for info in COLUMNS]
    return [safe_cell(h) for h in headers + [f.key for f in fields]]


def _contact_cells(contact: dict[str, Any], colours: dict[int, str], groups: list[str]):
    at = now()
    for info in COLUMNS:
        column = info.column
        if info.model_field is not None:
            value = contact[info.model_field]
            text = cell_text(value)
            yield text.upper() if column is ContactColumn.LOCALE else text
        elif column is ContactColumn.COLOUR:
            yield colours.get(contact["colour_id"], "")
        elif column is ContactColumn.GROUPS:
            yield GROUP_SEPARATOR.join(sorted(groups, key=str.casefold))
        else:
            prefix = "email" if column is ContactColumn.EMAIL_CONSENT else "sms"
            status = ConsentStatus(contact[f"{prefix}_consent"])
            yield effective_status(status, contact[f"{prefix}_consent_expires_at"], at).value


async def _groups_of(contact_ids: list[int]) -> dict[int, list[str]]:
    rows = await GroupMember.filter(contact_id__in=contact_ids).values_list(
        "contact_id", "group__name"
    )
    found: dict[int, list[str]] = defaultdict(list)
    for contact_id, name in rows:
        found[contact_id].append(name)
    return found


async def _answers_of(contact_ids: list[int], field_ids: list[int]) -> dict[tuple[int, int], Any]:
    if not field_ids:
        return {}
    rows = await CustomFieldAnswer.filter(
        contact_id__in=contact_ids, field_id__in=field_ids
    ).values_list("contact_id", "field_id", "content")
    return {(contact_id, field_id): content["value"] for contact_id, field_id, content in rows}


async def _write_rows(writer, rows: list[dict[str, Any]], colours, fields) -> None:
    ids = [row["id"] for row in rows]
    groups = await _groups_of(ids)
    answers = await _answers_of(ids, [f.id for f in fields])
    for row in rows:
        cells = list(_contact_cells(row, colours, groups.get(row["id"], [])))
        cells += [cell_text(answers.get((row["id"], f.id))) for f in fields]
        writer.writerow([safe_cell(c) for c in cells])


def write_header(fields: list[CustomField], locale: str, out: TextIO) -> None:
    csv.writer(out, lineterminator="\r\n").writerow(header_row(fields, locale))


async def fields_by_id(field_ids: list[int]) -> list[CustomField]:
    """The custom fields whose columns a file was started with, in that order (a field
    deleted since keeps its column, empty)."""
    found = {f.id: f for f in await CustomField.filter(id__in=field_ids)}
    return [found.get(pk) or CustomField(id=pk, key="") for pk in field_ids]


async def write_records(
    organization_id: int,
    contact_ids: list[int],
    fields: list[CustomField],
    out: TextIO,
    batch_size: int = BATCH_SIZE,
) -> list[int]:
    """Writes the rows of these contacts, as they are now, in the order given (one part of
    a file whose target was frozen in name order); the ids written (a contact deleted
    since has no row)."""
    writer = csv.writer(out, lineterminator="\r\n")
    colours = dict(
        await Colour.filter(organization_id=organization_id).values_list("id", "name")
    )
    written: list[int] = []
    for start in range(0, len(contact_ids), batch_size):
        wanted = contact_ids[start : start + batch_size]
        found = {
            row["id"]: row
            for row in await Contact.filter(
                organization_id=organization_id, id__in=wanted
            ).values(*_VALUES)
        }
        rows = [found[pk] for pk in wanted if pk in found]
        await _write_rows(writer, rows, colours, fields)
        written += [row["id"] for row in rows]
    return written
