"""Custom-field answers: checking a section's or form's answers against their questions,
saving them, and reading a contact's answers in batches.

A required question is enforced only when its own section or form is saved, here;
contactUpdate, colours, groups and every other write ignore it.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from carnet.i18n import N_
from models.contacts import Contact
from models.custom_fields import CustomField, CustomFieldAnswer, CustomFieldType
from resolvers.common.actor import Actor
from resolvers.common.errors import ErrorCollector, UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.validation import without_control_characters
from resolvers.contacts.records import fold, locked_contact
from resolvers.custom_fields.forms import audit_event, form_in, localized, section_in

TEXT_MAX_LENGTH = 2000
MAX_ANSWERS_PER_SAVE = 200


@dataclass(frozen=True)
class Answer:
    field_id: int | None  # None: an id that is not a CustomField's
    value: Any


class AnswerRefused(Exception):
    """A value that is not a valid answer to its question (imports and filters too)."""

    def __init__(self, message: str, **params: Any):
        self.message = message
        self.params = params


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        raise AnswerRefused(N_("Enter text."))
    # Several lines are fine; other control characters (NUL breaks PostgreSQL) are not.
    text = without_control_characters(value, keep_lines=True).strip()
    if len(text) > TEXT_MAX_LENGTH:
        raise AnswerRefused(N_("Use at most {max} characters."), max=TEXT_MAX_LENGTH)
    return text or None


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AnswerRefused(N_("Enter a number."))
    return value


def _date(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise AnswerRefused(N_("Enter a date as YYYY-MM-DD."))
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise AnswerRefused(N_("Enter a date as YYYY-MM-DD.")) from None


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise AnswerRefused(N_("Enter true or false."))
    return value


def _choice(field: CustomField, value: Any) -> str | None:
    if value == "":
        return None
    if not isinstance(value, str) or value not in {c["value"] for c in field.choices}:
        raise AnswerRefused(N_("Pick one of the question's choices."))
    return value


def _choice_list(field: CustomField, value: Any) -> list[str] | None:
    if not isinstance(value, list):
        raise AnswerRefused(N_("Pick a list of the question's choices."))
    picked = [_choice(field, item) for item in value]
    return list(dict.fromkeys(p for p in picked if p is not None)) or None


def clean_value(field: CustomField, value: Any) -> Any:
    """The value to store for the field's type; None for no answer; AnswerRefused if invalid."""
    if value is None:
        return None
    match field.type:
        case CustomFieldType.TEXT:
            return _text(value)
        case CustomFieldType.NUMBER:
            return _number(value)
        case CustomFieldType.DATE:
            return _date(value)
        case CustomFieldType.BOOLEAN:
            return _boolean(value)
        case CustomFieldType.SINGLE_CHOICE:
            return _choice(field, value)
        case _:
            return _choice_list(field, value)


async def _scope_fields(actor: Actor, section_id: int | None, form_id: int | None):
    """The questions of the section or form being saved, archived ones included."""
    if (section_id is None) == (form_id is None):
        raise UserErrors.single(
            UserErrorCode.INVALID, ("input",), N_("Give either a section or a form.")
        )
    if section_id is not None:
        section = await section_in(actor, section_id, ("input", "section_id"))
        qs = CustomField.filter(section_id=section.id)
    else:
        form = await form_in(actor, form_id, ("input", "form_id"))
        qs = CustomField.filter(section__form_id=form.id)
    return await qs.order_by("section__position", "section_id", "position", "id")


def _check_answers(actor: Actor, fields, answers: Sequence[Answer], stored: dict[int, Any]):
    """The cleaned value per question answered, after checking every answer's value and
    that every required question of the scope ends up answered."""
    by_id = {f.id: f for f in fields}
    errors = ErrorCollector()
    cleaned: dict[int, Any] = {}
    refused: set[int] = set()
    if len(answers) > MAX_ANSWERS_PER_SAVE:
        errors.add(
            UserErrorCode.INVALID,
            ("input", "answers"),
            N_("At most {max} answers at a time."),
            max=MAX_ANSWERS_PER_SAVE,
        )
        errors.raise_if_any()
    for index, answer in enumerate(answers):
        path = ("input", "answers", index)
        field = by_id.get(answer.field_id)
        if field is None or field.archived_at is not None:
            errors.add(
                UserErrorCode.NOT_FOUND,
                (*path, "field_id"),
                N_("This question is not in the section or form saved."),
            )
        elif field.id in cleaned or field.id in refused:
            errors.add(
                UserErrorCode.INVALID, (*path, "field_id"), N_("This question is answered twice.")
            )
        else:
            try:
                cleaned[field.id] = clean_value(field, answer.value)
            except AnswerRefused as refusal:
                refused.add(field.id)
                errors.add(
                    UserErrorCode.INVALID, (*path, "value"), refusal.message, **refusal.params
                )
    for field in fields:
        if not field.required or field.archived_at is not None or field.id in refused:
            continue
        final = cleaned[field.id] if field.id in cleaned else stored.get(field.id)
        if final is None:
            errors.add(
                UserErrorCode.REQUIRED,
                ("input", "answers"),
                N_("Answer the required question “{label}” ({key})."),
                label=localized(field, "label", actor.meta.locale),
                key=field.key,
            )
    errors.raise_if_any()
    return cleaned


async def save_answers(
    actor: Actor,
    contact_id: int | None,
    section_id: int | None,
    form_id: int | None,
    answers: Sequence[Answer],
) -> Contact:
    """Saves a section's or a form's answers for a contact: all of them, or on any error
    none. Questions left out keep their answer; a null (or empty) value removes it."""
    async with unit_of_work():
        contact = await locked_contact(actor, contact_id, ("input", "contact_id"))
        fields = await _scope_fields(actor, section_id, form_id)
        rows = await CustomFieldAnswer.filter(
            contact_id=contact.id, field_id__in=[f.id for f in fields]
        )
        stored = {row.field_id: row for row in rows}
        cleaned = _check_answers(actor, fields, answers, {k: r.value for k, r in stored.items()})
        keys = {f.id: f.key for f in fields}
        types = {f.id: f.type for f in fields}
        before, after = {}, {}
        for field_id, value in cleaned.items():
            row = stored.get(field_id)
            old = row.value if row else None
            if old == value:
                continue
            before[keys[field_id]], after[keys[field_id]] = old, value
            if value is None:
                await row.delete()
            elif row is None:
                await CustomFieldAnswer.create(
                    contact_id=contact.id,
                    field_id=field_id,
                    **stored_answer(types[field_id], value),
                )
            else:
                row.update_from_dict(stored_answer(types[field_id], value))
                await row.save(update_fields=["content", "search_text", "updated_at"])
        if after:
            await audit_event(
                actor,
                "contact.custom_fields_save",
                ("Contact", contact.id),
                before=before,
                after=after,
            )
    return contact


def stored_answer(field_type: CustomFieldType, value: Any) -> dict[str, Any]:
    """An answer's columns: the value, and for text its folded copy that filters compare."""
    text = field_type is CustomFieldType.TEXT and isinstance(value, str)
    return {"content": {"value": value}, "search_text": fold(value) if text else ""}


async def answers_of(contact_ids: list[int]) -> list[list[CustomFieldAnswer]]:
    """Each contact's answers to questions not archived, in form, section, question order."""
    rows = await CustomFieldAnswer.filter(
        contact_id__in=contact_ids, field__archived_at__isnull=True
    ).select_related("field__section__form")
    found: dict[int, list[CustomFieldAnswer]] = defaultdict(list)
    for row in rows:
        found[row.contact_id].append(row)

    def order(row: CustomFieldAnswer):
        field = row.field
        return (
            field.section.form.position,
            field.section.form_id,
            field.section.position,
            field.section_id,
            field.position,
            field.id,
        )

    return [sorted(found[pk], key=order) for pk in contact_ids]
