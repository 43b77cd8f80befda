"""Custom fields: the organization's forms, their sections and typed, bilingual questions
(organization.manage), with the batch loaders that read them.

Answers live in resolvers/custom_fields/answers.py.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.functions import Max

from carnet.i18n import N_
from models.custom_fields import (
    CustomField,
    CustomFieldAnswer,
    CustomFieldType,
    CustomForm,
    CustomSection,
)
from resolvers.common import audit
from resolvers.common.actor import Actor
from resolvers.common.errors import ErrorCollector, FieldPath, NotFound, UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.common.validation import clean_text

NAME_MAX_LENGTH = 200
KEY_MAX_LENGTH = 64
KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
TEXT_MAX_LENGTH = 2000
MAX_CHOICES = 100
MAX_ANSWERS_PER_SAVE = 200
_TARGET_TYPES = {"custom_form": "CustomForm", "custom_section": "CustomSection"}
CHOICE_TYPES = (CustomFieldType.SINGLE_CHOICE, CustomFieldType.MULTIPLE_CHOICE)


@dataclass(frozen=True)
class Choice:
    value: str
    label_en: str
    label_fr: str


def localized(record: Any, attribute: str, locale: str) -> str:
    """`name` or `label` in the reader's language."""
    return getattr(record, f"{attribute}_fr" if locale == "fr" else f"{attribute}_en")


def _names(name_en: str | None, name_fr: str | None, errors: ErrorCollector, prefix: str):
    """Both languages are required; None leaves one as it is (updates)."""
    cleaned = {}
    for lang, value in (("en", name_en), ("fr", name_fr)):
        if value is not None:
            cleaned[f"{prefix}_{lang}"] = clean_text(
                value,
                errors,
                ("input", f"{prefix}_{lang}"),
                max_length=NAME_MAX_LENGTH,
                required=True,
            )
    return cleaned


async def audit_event(actor: Actor, action: str, target: tuple[str, int], **values: Any) -> None:
    await audit.record(
        action,
        actor=actor.user,
        meta=actor.meta,
        organization_id=actor.organization_id,
        target=target,
        **values,
    )


async def _next_position(qs) -> int:
    row = await qs.annotate(top=Max("position")).first().values("top")
    return (row["top"] + 1) if row and row["top"] is not None else 0


async def form_in(actor: Actor, form_id: int | None, field: FieldPath, lock=False) -> CustomForm:
    qs = CustomForm.filter(id=form_id, organization_id=actor.organization_id)
    form = await (qs.select_for_update() if lock else qs).first() if form_id else None
    if form is None:
        raise NotFound(field)
    return form


async def section_in(
    actor: Actor, section_id: int | None, field: FieldPath, lock=False
) -> CustomSection:
    qs = CustomSection.filter(id=section_id, form__organization_id=actor.organization_id)
    section = await (qs.select_for_update() if lock else qs).first() if section_id else None
    if section is None:
        raise NotFound(field)
    return section


async def _field(actor: Actor, field_id: int | None, field: FieldPath) -> CustomField:
    qs = CustomField.filter(id=field_id, organization_id=actor.organization_id)
    found = await qs.select_for_update().first() if field_id else None
    if found is None:
        raise NotFound(field)
    return found


def _refuse_if_answered(answered: bool) -> None:
    if answered:
        raise UserErrors.single(
            UserErrorCode.INVALID,
            ("input", "id"),
            N_("Contacts have answered these questions: archive the questions instead."),
        )


# Forms and sections


async def forms(actor: Actor) -> list[CustomForm]:
    return await CustomForm.filter(organization_id=actor.organization_id).order_by("position", "id")


def _form_snapshot(record: CustomForm | CustomSection) -> dict[str, Any]:
    return {"name_en": record.name_en, "name_fr": record.name_fr, "position": record.position}


async def form_create(actor: Actor, name_en: str, name_fr: str, position: int | None):
    errors = ErrorCollector()
    names = _names(name_en, name_fr, errors, "name")
    errors.raise_if_any()
    async with unit_of_work():
        mine = CustomForm.filter(organization_id=actor.organization_id)
        position = position if position is not None else await _next_position(mine)
        form = await CustomForm.create(
            organization_id=actor.organization_id, position=position, **names
        )
        await audit_event(
            actor, "custom_form.create", ("CustomForm", form.id), after=_form_snapshot(form)
        )
    return form


async def _rename(actor: Actor, record, kind: str, names: dict, position: int | None):
    before = _form_snapshot(record)
    for name, value in names.items():
        setattr(record, name, value)
    if position is not None:
        record.position = position
    changed_before, changed_after = audit.changes(before, _form_snapshot(record))
    if changed_after:
        await record.save()
        await audit_event(
            actor,
            f"{kind}.update",
            (_TARGET_TYPES[kind], record.id),
            before=changed_before,
            after=changed_after,
        )
    return record


async def form_update(actor, form_id, name_en, name_fr, position) -> CustomForm:
    errors = ErrorCollector()
    names = _names(name_en, name_fr, errors, "name")
    errors.raise_if_any()
    async with unit_of_work():
        form = await form_in(actor, form_id, ("input", "id"), lock=True)
        return await _rename(actor, form, "custom_form", names, position)


async def form_delete(actor: Actor, form_id: int | None) -> int:
    """Deletes a form with its sections and questions, if nobody answered them."""
    async with unit_of_work():
        form = await form_in(actor, form_id, ("input", "id"), lock=True)
        _refuse_if_answered(
            await CustomFieldAnswer.filter(field__section__form_id=form.id).exists()
        )
        deleted = form.id
        await form.delete()
        await audit_event(
            actor, "custom_form.delete", ("CustomForm", deleted), before=_form_snapshot(form)
        )
    return deleted


async def section_create(actor, form_id, name_en, name_fr, position) -> CustomSection:
    errors = ErrorCollector()
    names = _names(name_en, name_fr, errors, "name")
    errors.raise_if_any()
    async with unit_of_work():
        form = await form_in(actor, form_id, ("input", "form_id"), lock=True)
        siblings = CustomSection.filter(form_id=form.id)
        position = position if position is not None else await _next_position(siblings)
        section = await CustomSection.create(form_id=form.id, position=position, **names)
        await audit_event(
            actor,
            "custom_section.create",
            ("CustomSection", section.id),
            after={**_form_snapshot(section), "form_id": form.id},
        )
    return section


async def section_update(actor, section_id, name_en, name_fr, position) -> CustomSection:
    errors = ErrorCollector()
    names = _names(name_en, name_fr, errors, "name")
    errors.raise_if_any()
    async with unit_of_work():
        section = await section_in(actor, section_id, ("input", "id"), lock=True)
        return await _rename(actor, section, "custom_section", names, position)


async def section_delete(actor: Actor, section_id: int | None) -> int:
    async with unit_of_work():
        section = await section_in(actor, section_id, ("input", "id"), lock=True)
        _refuse_if_answered(await CustomFieldAnswer.filter(field__section_id=section.id).exists())
        deleted = section.id
        await section.delete()
        await audit_event(
            actor,
            "custom_section.delete",
            ("CustomSection", deleted),
            before=_form_snapshot(section),
        )
    return deleted


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
) -> CustomField:
    errors = ErrorCollector()
    key = _clean_key(key, errors)
    names = _names(*labels, errors, "label")
    cleaned_choices = _clean_choices(type_, choices, errors)
    errors.raise_if_any()
    try:
        async with unit_of_work():
            section = await section_in(actor, section_id, ("input", "section_id"), lock=True)
            if await CustomField.filter(organization_id=actor.organization_id, key=key).exists():
                raise _key_taken()
            siblings = CustomField.filter(section_id=section.id)
            position = position if position is not None else await _next_position(siblings)
            field = await CustomField.create(
                organization_id=actor.organization_id,
                section_id=section.id,
                key=key,
                type=type_,
                choices=cleaned_choices,
                required=required,
                position=position,
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
    names = _names(changes.get("label_en"), changes.get("label_fr"), errors, "label")
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
        for name in ("required", "position"):
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


async def sections_of(form_ids: list[int]) -> list[list[CustomSection]]:
    found: dict[int, list[CustomSection]] = defaultdict(list)
    for row in await CustomSection.filter(form_id__in=form_ids).order_by("position", "id"):
        found[row.form_id].append(row)
    return [found[pk] for pk in form_ids]


async def fields_of(section_ids: list[int]) -> list[list[CustomField]]:
    """Each section's questions, archived ones included, by position."""
    found: dict[int, list[CustomField]] = defaultdict(list)
    for row in await CustomField.filter(section_id__in=section_ids).order_by("position", "id"):
        found[row.section_id].append(row)
    return [found[pk] for pk in section_ids]
