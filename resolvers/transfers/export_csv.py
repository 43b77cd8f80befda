"""Writing an export's CSV: the matching contacts in keyset batches, one row each.

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
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from time import monotonic
from typing import Any, TextIO

from tortoise.expressions import Subquery

from models.colours import Colour
from models.contacts import ConsentStatus, Contact
from models.custom_fields import CustomField, CustomFieldAnswer
from models.groups import GroupMember
from resolvers.common.actor import Actor
from resolvers.common.pagination import after_condition
from resolvers.common.time import now
from resolvers.contacts.consent import effective_status
from resolvers.contacts.search import ContactFilter, matching
from resolvers.transfers.csv_columns import COLUMNS, GROUP_SEPARATOR, ContactColumn

BATCH_SIZE = 1000
# Name order, as the list; each batch starts where the last ended with a row comparison,
# which the live-contacts name index (migration 0010) seeks to.
_ORDER = [("sort_name", False), ("id", False)]
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


@dataclass
class Written:
    count: int  # rows written by this call
    resume_after: list[Any] | None  # where the next call starts; None when every row is out


async def write_contacts(
    actor: Actor,
    filters: ContactFilter,
    locale: str,
    out: TextIO,
    batch_size: int = BATCH_SIZE,
    *,
    after: list[Any] | None = None,
    deadline: float | None = None,
    within: Subquery | None = None,
) -> Written:
    """Writes the matching contacts by name, in batches: the header first unless resuming
    `after` a row, then batches until every row is out or `deadline` (monotonic) passed.
    `within`: a subquery of contact ids the rows are further restricted to (a static
    segment's members)."""
    writer = csv.writer(out, lineterminator="\r\n")
    fields = await custom_field_columns(actor.organization_id)
    field_ids = [f.id for f in fields]
    colours = dict(
        await Colour.filter(organization_id=actor.organization_id).values_list("id", "name")
    )
    if after is None:
        writer.writerow(header_row(fields, locale))
    contacts = await matching(actor, filters)
    if within is not None:
        contacts = contacts.filter(id__in=within)
    count = 0
    while True:
        batch = contacts
        if after is not None:
            batch = batch.filter(after_condition(Contact, _ORDER, after))
        rows = await batch.order_by("sort_name", "id").limit(batch_size).values(*_VALUES)
        if not rows:
            return Written(count, None)
        ids = [row["id"] for row in rows]
        groups = await _groups_of(ids)
        answers = await _answers_of(ids, field_ids)
        for row in rows:
            cells = list(_contact_cells(row, colours, groups.get(row["id"], [])))
            cells += [cell_text(answers.get((row["id"], f.id))) for f in fields]
            writer.writerow([safe_cell(c) for c in cells])
        count += len(rows)
        if len(rows) < batch_size:
            return Written(count, None)
        after = [rows[-1]["sort_name"], rows[-1]["id"]]
        if deadline is not None and monotonic() > deadline:
            return Written(count, after)
