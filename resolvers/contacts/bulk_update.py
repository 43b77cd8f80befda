"""`contactsBulkUpdate`: the same changes to every contact of a bulk operation's target —
locale, one custom-field answer, text appended to the notes, consent withdrawn on a channel.

The changes are checked once, before the operation starts (`check_changes`); each chunk
then reads its contacts' current values (the items' `before`), writes set-based statements,
and records the new values (`after`), which undo compares before restoring. A consent
withdrawal goes through resolvers/contacts/consent.py one contact at a time, so every
withdrawal is a ConsentRecord with its source, like one recorded by hand.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from pypika_tortoise.terms import ValueWrapper
from tortoise.expressions import Case, Expression, F, ResolveContext, ResolveResult, Value, When

from carnet.i18n import N_
from models.contacts import ConsentChannel, ConsentRecord, ConsentStatus, Contact
from models.custom_fields import CustomField, CustomFieldAnswer
from models.identity import Locale, User
from resolvers.common.actor import Actor, RequestMeta
from resolvers.common.errors import ErrorCollector, NotFound, UserErrorCode, UserErrors
from resolvers.common.sql import Sql
from resolvers.common.time import now
from resolvers.contacts import consent
from resolvers.contacts.bulk_results import Outcome, changed, failed, skipped
from resolvers.contacts.contacts import NOTES_MAX_LENGTH, clean_notes
from resolvers.custom_fields.answers import AnswerRefused, clean_value, stored_answer

CHANGES = ("input", "changes")
NOTES_SEPARATOR = "\n"
CONSENT_SOURCE = "bulk update"  # what the consent history shows as the withdrawal's source


@dataclass(frozen=True)
class Changes:
    """What the caller asked for; None (or an unset answer) leaves that part alone."""

    locale: Locale | None = None
    answer_field_id: int | None = None
    answer_given: bool = False
    answer_value: Any = None
    notes_append: str | None = None
    withdraw_consent: ConsentChannel | None = None


async def check_changes(actor: Actor, changes: Changes) -> dict[str, Any]:
    """The operation's params: the changes validated and cleaned, JSON-ready. Raises
    UserErrors (nothing is started) for no change at all or an invalid value, NotFound on
    the field's path for a custom field that is not the organization's or is archived."""
    errors = ErrorCollector()
    params: dict[str, Any] = {}
    if changes.locale is not None:
        params["locale"] = Locale(changes.locale).value
    if changes.notes_append is not None:
        path = (*CHANGES, "notes_append")
        text = clean_notes(changes.notes_append, errors, path)
        if not text and not errors.errors:
            errors.add(UserErrorCode.REQUIRED, path, N_("Enter the text to append."))
        params["notes_append"] = text
    if changes.withdraw_consent is not None:
        params["withdraw_consent"] = ConsentChannel(changes.withdraw_consent).value
    if changes.answer_given:
        field = await _live_field(actor, changes.answer_field_id)
        try:
            value = clean_value(field, changes.answer_value)
        except AnswerRefused as refusal:
            errors.add(
                UserErrorCode.INVALID,
                (*CHANGES, "custom_field_answer", "value"),
                refusal.message,
                **refusal.params,
            )
            value = None
        params["answer"] = {"field_id": field.id, "value": value}
    errors.raise_if_any()
    if not params:
        raise UserErrors.single(
            UserErrorCode.REQUIRED, CHANGES, N_("Give at least one change to make.")
        )
    return params


async def _live_field(actor: Actor, field_id: int | None) -> CustomField:
    field = None
    if field_id is not None:
        field = await CustomField.get_or_none(
            id=field_id, organization_id=actor.organization_id, archived_at__isnull=True
        )
    if field is None:
        raise NotFound((*CHANGES, "custom_field_answer", "field_id"))
    return field


async def apply(
    organization_id: int,
    operation_id: int,
    user: User | None,
    meta: RequestMeta,
    params: dict[str, Any],
    contact_ids: list[int],
) -> dict[int, Outcome]:
    """One chunk: every listed contact changed, or skipped/failed with its reason."""
    contacts = {
        c.id: c
        for c in await Contact.filter(organization_id=organization_id, id__in=contact_ids)
        .select_for_update()
        .order_by("id")
    }
    results: dict[int, Outcome] = {}
    befores: dict[int, dict] = defaultdict(dict)
    afters: dict[int, dict] = defaultdict(dict)
    append = params.get("notes_append")
    for pk, contact in contacts.items():
        if append and len(_appended(contact.notes, append)) > NOTES_MAX_LENGTH:
            results[pk] = failed(
                "NOTES_TOO_LONG", N_("The notes would pass the 10,000 characters they may hold.")
            )
    writable = [c for pk, c in contacts.items() if pk not in results]
    moment = now()
    if "locale" in params:
        await _set_locale(writable, Locale(params["locale"]), moment, befores, afters)
    if append:
        await _append_notes(writable, append, moment, befores, afters)
    if "answer" in params:
        await _set_answer(organization_id, writable, params["answer"], befores, afters)
    if "withdraw_consent" in params:
        channel = ConsentChannel(params["withdraw_consent"])
        source = f"{CONSENT_SOURCE} #{operation_id}"
        await _withdraw(writable, channel, source, user, meta, befores, afters)
    for contact in writable:
        if afters.get(contact.id):
            results[contact.id] = changed(befores[contact.id], afters[contact.id])
        else:
            results[contact.id] = skipped("UNCHANGED", N_("Nothing to change."))
    return results


class Appended(Expression):
    """`column || text`: SQL's concatenation, which SQLite and PostgreSQL both spell so
    (SQLite has no CONCAT function)."""

    def __init__(self, column: str, text: str) -> None:
        self.column = column
        self.text = text

    def resolve(self, resolve_context: ResolveContext) -> ResolveResult:
        column = F(self.column).resolve(resolve_context).term
        return ResolveResult(term=Sql("({} || {})", column, ValueWrapper(self.text)))


def _appended(notes: str, text: str) -> str:
    return f"{notes}{NOTES_SEPARATOR}{text}" if notes else text


async def _set_locale(contacts, locale, moment, befores, afters) -> None:
    to_change = [c for c in contacts if c.locale != locale]
    for contact in to_change:
        befores[contact.id]["locale"] = Locale(contact.locale).value
        afters[contact.id]["locale"] = locale.value
    if to_change:
        await Contact.filter(id__in=[c.id for c in to_change]).update(
            locale=locale, updated_at=moment
        )


async def _append_notes(contacts, text, moment, befores, afters) -> None:
    for contact in contacts:
        befores[contact.id]["notes"] = contact.notes
        afters[contact.id]["notes"] = _appended(contact.notes, text)
    if contacts:
        # One statement for the chunk: the database appends to each row's own notes.
        await Contact.filter(id__in=[c.id for c in contacts]).update(
            notes=Case(
                When(notes="", then=Value(text)),
                default=Appended("notes", NOTES_SEPARATOR + text),
            ),
            updated_at=moment,
        )


async def _set_answer(organization_id, contacts, answer, befores, afters) -> None:
    field = await CustomField.get_or_none(
        id=answer["field_id"], organization_id=organization_id, archived_at__isnull=True
    )
    if field is None:  # archived or deleted since the operation started
        return
    value = answer["value"]
    rows = {
        row.contact_id: row
        for row in await CustomFieldAnswer.filter(
            field_id=field.id, contact_id__in=[c.id for c in contacts]
        )
    }
    to_update, to_create = [], []
    for contact in contacts:
        row = rows.get(contact.id)
        old = row.value if row else None
        if old == value:
            continue
        befores[contact.id]["answer"] = {"field_id": field.id, "value": old}
        afters[contact.id]["answer"] = {"field_id": field.id, "value": value}
        if row is None:
            to_create.append(contact.id)
        else:
            to_update.append(row.id)
    await write_answers(field, value, to_update, to_create)


async def write_answers(field: CustomField, value: Any, row_ids: list[int], new_for: list[int]):
    """Sets `value` on those answer rows (removes them for None) and adds it for those
    contacts; one statement each."""
    if row_ids:
        if value is None:
            await CustomFieldAnswer.filter(id__in=row_ids).delete()
        else:
            await CustomFieldAnswer.filter(id__in=row_ids).update(
                **stored_answer(field.type, value), updated_at=now()
            )
    if new_for and value is not None:
        await CustomFieldAnswer.bulk_create(
            [
                CustomFieldAnswer(
                    contact_id=pk, field_id=field.id, **stored_answer(field.type, value)
                )
                for pk in new_for
            ],
            batch_size=1000,
        )


async def _withdraw(contacts, channel, source, user, meta, befores, afters) -> None:
    for contact in contacts:
        status, expires_at = consent.recorded(contact, channel)
        if status is ConsentStatus.WITHDRAWN:
            continue
        checked = consent.CheckedChange(
            consent.ConsentChange(channel, ConsentStatus.WITHDRAWN, source), source, "", None
        )
        record = await consent.apply(contact, checked, user, meta, recorded_by=user)
        befores[contact.id]["consent"] = consent_state(channel, status, expires_at)
        afters[contact.id]["consent"] = {
            **consent_state(channel, ConsentStatus.WITHDRAWN, None),
            "record_id": record.id,
        }


def consent_state(channel: ConsentChannel, status: ConsentStatus, expires_at) -> dict[str, Any]:
    return {
        "channel": channel.value,
        "status": ConsentStatus(status).value,
        "expires_at": expires_at.isoformat() if expires_at else None,
    }


async def latest_consent_records(contact_ids: list[int], channel: ConsentChannel) -> dict[int, int]:
    """Each contact's newest consent record id on that channel."""
    rows = await ConsentRecord.filter(contact_id__in=contact_ids, channel=channel).values_list(
        "contact_id", "id"
    )
    latest: dict[int, int] = {}
    for contact_id, record_id in rows:
        latest[contact_id] = max(record_id, latest.get(contact_id, 0))
    return latest
