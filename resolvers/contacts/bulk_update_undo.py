"""Undoing a `contactsBulkUpdate`: each contact still showing every value the operation
wrote gets its `before` values back; a contact changed since in any of them is left alone
(CHANGED_SINCE), whole — never half restored.

A withdrawn consent counts as unchanged only while the operation's own ConsentRecord is
still the contact's latest on that channel: a withdrawal the person made since (an
unsubscribe link) looks the same on the contact row, and must never be undone. Consent put
back goes through resolvers/contacts/consent.py, so the history shows it with its source.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any

from models.contacts import ConsentChannel, ConsentStatus, Contact
from models.custom_fields import CustomField, CustomFieldAnswer
from models.identity import Locale, User
from resolvers.common.actor import RequestMeta
from resolvers.common.time import now
from resolvers.contacts import consent
from resolvers.contacts.bulk_results import Outcome, changed, changed_since
from resolvers.contacts.bulk_update import latest_consent_records, write_answers

UNDO_SOURCE = "undo of bulk update"


async def undo(
    organization_id: int,
    undo_operation_id: int,
    user: User | None,
    meta: RequestMeta,
    recorded: dict[int, tuple[dict, dict]],
) -> dict[int, Outcome]:
    pks = list(recorded)
    contacts = {
        c.id: c
        for c in await Contact.filter(organization_id=organization_id, id__in=pks)
        .select_for_update()
        .order_by("id")
    }
    current = await _current_values(organization_id, contacts, recorded)
    results: dict[int, Outcome] = {}
    restorable: dict[int, dict] = {}
    for pk, (before, after) in recorded.items():
        if pk not in contacts:
            continue
        if any(current[pk].get(key) != _comparable(key, after[key]) for key in after):
            results[pk] = changed_since()
        else:
            restorable[pk] = before
            results[pk] = changed(after, before)
    moment = now()
    await _restore_column(restorable, "locale", lambda v: Locale(v), moment)
    await _restore_column(restorable, "notes", lambda v: v, moment)
    await _restore_answers(organization_id, restorable)
    source = f"{UNDO_SOURCE} #{undo_operation_id}"
    for pk, before in restorable.items():
        if "consent" in before:
            await _restore_consent(contacts[pk], before["consent"], source, user, meta)
    return results


def _comparable(key: str, value: Any) -> Any:
    if key == "answer":
        return json.dumps(value["value"], sort_keys=True)
    if key == "consent":
        return value["record_id"]
    return value


async def _current_values(organization_id, contacts, recorded) -> dict[int, dict[str, Any]]:
    """Per contact, what the operation's `after` is compared with, key by key."""
    afters = [after for _, after in recorded.values()]
    values: dict[int, dict[str, Any]] = {
        pk: {"locale": Locale(c.locale).value, "notes": c.notes} for pk, c in contacts.items()
    }
    answer = next((a["answer"] for a in afters if "answer" in a), None)
    if answer is not None:
        rows = dict(
            await CustomFieldAnswer.filter(
                field_id=answer["field_id"], contact_id__in=list(contacts)
            ).values_list("contact_id", "content")
        )
        for pk in contacts:
            content = rows.get(pk)
            values[pk]["answer"] = json.dumps(content["value"] if content else None, sort_keys=True)
    withdrawn = next((a["consent"] for a in afters if "consent" in a), None)
    if withdrawn is not None:
        channel = ConsentChannel(withdrawn["channel"])
        latest = await latest_consent_records(list(contacts), channel)
        for pk in contacts:
            values[pk]["consent"] = latest.get(pk)
    return values


async def _restore_column(restorable, column, parse, moment) -> None:
    by_value: dict[Any, list[int]] = defaultdict(list)
    for pk, before in restorable.items():
        if column in before:
            by_value[before[column]].append(pk)
    for value, pks in by_value.items():
        await Contact.filter(id__in=pks).update(**{column: parse(value), "updated_at": moment})


async def _restore_answers(organization_id, restorable) -> None:
    answers = {pk: before["answer"] for pk, before in restorable.items() if "answer" in before}
    if not answers:
        return
    field_id = next(iter(answers.values()))["field_id"]
    field = await CustomField.get_or_none(id=field_id, organization_id=organization_id)
    if field is None:
        return
    rows = dict(
        await CustomFieldAnswer.filter(field_id=field.id, contact_id__in=list(answers)).values_list(
            "contact_id", "id"
        )
    )
    by_value: dict[str, list[int]] = defaultdict(list)
    for pk, answer in answers.items():
        by_value[json.dumps(answer["value"], sort_keys=True)].append(pk)
    for value, pks in by_value.items():
        await write_answers(
            field,
            json.loads(value),
            [rows[pk] for pk in pks if pk in rows],
            [pk for pk in pks if pk not in rows],
        )


async def _restore_consent(contact, state, source, user, meta) -> None:
    expires_at = datetime.fromisoformat(state["expires_at"]) if state["expires_at"] else None
    status = ConsentStatus(state["status"])
    checked = consent.CheckedChange(
        consent.ConsentChange(ConsentChannel(state["channel"]), status, source),
        source,
        "",
        expires_at,
    )
    await consent.apply(contact, checked, user, meta, recorded_by=user)
