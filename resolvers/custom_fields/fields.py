"""Custom fields: the typed, bilingual questions of a form's sections (organization.manage),
with the batch loader that reads them.

Forms and sections live in resolvers/custom_fields/forms.py, answers in answers.py.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError

from carnet.i18n import N_
from models.custom_fields import (
    CustomField,
    CustomFieldAnswer,
    CustomFieldScope,
    CustomFieldType,
)
from resolvers.common import audit
from resolvers.common.actor import Actor
from resolvers.common.errors import ErrorCollector, FieldPath, NotFound, UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.common.validation import clean_text
from resolvers.custom_fields.forms import (
    NAME_MAX_LENGTH,
    audit_event,
    bilingual_names,
    next_position,
    section_in,
)

KEY_MAX_LENGTH = 64
KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
MAX_CHOICES = 100
CHOICE_TYPES = (CustomFieldType.SINGLE_CHOICE, CustomFieldType.MULTIPLE_CHOICE)


@dataclass(frozen=True)
class Choice:
    value: str
    label_en: str
    label_fr: str


async def _field(actor: Actor, field_id: int | None, field: FieldPath) -> CustomField:
    qs = CustomField.filter(id=field_id, organization_id=actor.organization_id)
    found = await qs.select_for_update().first() if field_id else None
    if found is None:
        raise NotFound(field)
    return found


# Questions


def _clean_key(value: str, errors: ErrorCollector) -> str:
    key = (value or "").strip()
    if not KEY_PATTERN.fullmatch(key) or len(key) > KEY_MAX_LENGTH:
        errors.add(
            UserErrorCode.INVALID,
            ("input", "key"),
            N_(
                "Use lower-case letters, digits and underscores, starting with a letter "
                "(at most {max} characters)."
            ),
            max=KEY_MAX_LENGTH,
        )
    return key


def _clean_choices(
    type_: CustomFieldType, choices: Sequence[Choice] | None, errors: ErrorCollector
) -> list[dict[str, str]]:
    field = ("input", "choices")
    choices = list(choices or [])
    if type_ not in CHOICE_TYPES:
        if choices:
            errors.add(UserErrorCode.INVALID, field, N_("Only choice questions have choices."))
        return []
    if not choices:
        errors.add(UserErrorCode.REQUIRED, field, N_("Give at least one choice."))
    elif len(choices) > MAX_CHOICES:
        errors.add(UserErrorCode.INVALID, field, N_("At most {max} choices."), max=MAX_CHOICES)
    cleaned, seen = [], set()
    for index, choice in enumerate(choices[:MAX_CHOICES]):
        row = {
            name: clean_text(
                getattr(choice, name),
                errors,
                (*field, index, name),
                max_length=NAME_MAX_LENGTH,
                required=True,
            )
            for name in ("value", "label_en", "label_fr")
        }
        if row["value"] in seen:
            errors.add(
                UserErrorCode.ALREADY_EXISTS,
                (*field, index, "value"),
                N_("Each choice needs its own value."),
            )
        seen.add(row["value"])
        cleaned.append(row)
    return cleaned


def field_snapshot(field: CustomField) -> dict[str, Any]:
    return {
        "key": field.key,
        "label_en": field.label_en,
        "label_fr": field.label_fr,
        "type": field.type.value,
        "choices": field.choices,
        "required": field.required,
        "position": field.position,
        "scope": field.scope.value,
    }


def _key_taken() -> UserErrors:
    return UserErrors.single(
        UserErrorCode.ALREADY_EXISTS, ("input", "key"), N_("Another question already has this key.")
    )


async def field_create(
    actor: Actor,
    section_id: int | None,
    key: str,
    labels: tuple[str, str],
    type_: CustomFieldType,
    choices: Sequence[Choice] | None,
    required: bool,
    position: int | None,
    scope: CustomFieldScope = CustomFieldScope.CONTACT,
) -> CustomField:
    errors = ErrorCollector()
    key = _clean_key(key, errors)
    names = bilingual_names(*labels, errors, "label")
    cleaned_choices = _clean_choices(type_, choices, errors)
    errors.raise_if_any()
    try:
        async with unit_of_work():
            section = await section_in(actor, section_id, ("input", "section_id"), lock=True)
            if await CustomField.filter(organization_id=actor.organization_id, key=key).exists():
                raise _key_taken()
            siblings = CustomField.filter(section_id=section.id)
            position = position if position is not None else await next_position(siblings)
            field = await CustomField.create(
                organization_id=actor.organization_id,
                section_id=section.id,
                key=key,
                type=type_,
                choices=cleaned_choices,
                required=required,
                position=position,
                scope=scope,
                **names,
            )
            await audit_event(
                actor, "custom_field.create", ("CustomField", field.id), after=field_snapshot(field)
            )
    except IntegrityError:  # the same key created concurrently
        raise _key_taken() from None
    return field


async def _choices_in_use(field: CustomField, removed: set[str]) -> list[str]:
    used: set[str] = set()
    for answer in await CustomFieldAnswer.filter(field_id=field.id).only("id", "content"):
        value = answer.value
        used.update(value if isinstance(value, list) else [value])
    return sorted(removed & used)


async def field_update(actor: Actor, field_id: int | None, changes: dict[str, Any]) -> CustomField:
    """Changes labels, required, position, type and choices; the key stays. The type is
    fixed once anyone answered, and a choice someone picked cannot be removed."""
    errors = ErrorCollector()
    names = bilingual_names(changes.get("label_en"), changes.get("label_fr"), errors, "label")
    errors.raise_if_any()
    async with unit_of_work():
        field = await _field(actor, field_id, ("input", "id"))
        before = field_snapshot(field)
        type_ = CustomFieldType(changes.get("type") or field.type)
        answered = await CustomFieldAnswer.filter(field_id=field.id).exists()
        if type_ is not field.type and answered:
            errors.add(
                UserErrorCode.INVALID,
                ("input", "type"),
                N_("Contacts have answered this question: its type can no longer change."),
            )
        if changes.get("choices") is not None or type_ is not field.type:
            given = changes.get("choices")
            if given is None:
                given = [Choice(**c) for c in field.choices] if type_ in CHOICE_TYPES else []
            choices = _clean_choices(type_, given, errors)
            removed = {c["value"] for c in field.choices} - {c["value"] for c in choices}
            if answered and removed and not errors.errors:
                for value in await _choices_in_use(field, removed):
                    errors.add(
                        UserErrorCode.INVALID,
                        ("input", "choices"),
                        N_("Contacts chose “{value}”: keep that choice."),
                        value=value,
                    )
            field.choices = choices
        errors.raise_if_any()
        field.type = type_
        for name, value in names.items():
            setattr(field, name, value)
        for name in ("required", "position", "scope"):
            if changes.get(name) is not None:
                setattr(field, name, changes[name])
        changed_before, changed_after = audit.changes(before, field_snapshot(field))
        if changed_after:
            await field.save()
            await audit_event(
                actor,
                "custom_field.update",
                ("CustomField", field.id),
                before=changed_before,
                after=changed_after,
            )
    return field


async def field_archive(actor: Actor, field_id: int | None) -> CustomField:
    """No longer asked, shown or required; the answers are kept."""
    async with unit_of_work():
        field = await _field(actor, field_id, ("input", "id"))
        if field.archived_at is None:
            field.archived_at = now()
            await field.save(update_fields=["archived_at", "updated_at"])
            await audit_event(
                actor, "custom_field.archive", ("CustomField", field.id), after={"key": field.key}
            )
    return field


# Batch loaders (keys are ids the caller may already see)


async def fields_of(section_ids: list[int]) -> list[list[CustomField]]:
    """Each section's questions, archived ones included, by position."""
    found: dict[int, list[CustomField]] = defaultdict(list)
    for row in await CustomField.filter(section_id__in=section_ids).order_by("position", "id"):
        found[row.section_id].append(row)
    return [found[pk] for pk in section_ids]
