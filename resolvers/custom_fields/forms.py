"""Custom fields: the organization's forms and their sections (organization.manage), the
helpers their questions share, and the batch loader of a form's sections.

Questions live in resolvers/custom_fields/fields.py, answers in answers.py.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from tortoise.functions import Max

from carnet.i18n import N_
from models.custom_fields import CustomFieldAnswer, CustomForm, CustomSection
from resolvers.common import audit
from resolvers.common.actor import Actor
from resolvers.common.errors import ErrorCollector, FieldPath, NotFound, UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.validation import clean_text

NAME_MAX_LENGTH = 200
_TARGET_TYPES = {"custom_form": "CustomForm", "custom_section": "CustomSection"}


def localized(record: Any, attribute: str, locale: str) -> str:
    """`name` or `label` in the reader's language."""
    return getattr(record, f"{attribute}_fr" if locale == "fr" else f"{attribute}_en")


def bilingual_names(name_en: str | None, name_fr: str | None, errors: ErrorCollector, prefix: str):
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


async def next_position(qs) -> int:
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


def refuse_if_answered(answered: bool) -> None:
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
    names = bilingual_names(name_en, name_fr, errors, "name")
    errors.raise_if_any()
    async with unit_of_work():
        mine = CustomForm.filter(organization_id=actor.organization_id)
        position = position if position is not None else await next_position(mine)
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
    names = bilingual_names(name_en, name_fr, errors, "name")
    errors.raise_if_any()
    async with unit_of_work():
        form = await form_in(actor, form_id, ("input", "id"), lock=True)
        return await _rename(actor, form, "custom_form", names, position)


async def form_delete(actor: Actor, form_id: int | None) -> int:
    """Deletes a form with its sections and questions, if nobody answered them."""
    async with unit_of_work():
        form = await form_in(actor, form_id, ("input", "id"), lock=True)
        refuse_if_answered(await CustomFieldAnswer.filter(field__section__form_id=form.id).exists())
        deleted = form.id
        await form.delete()
        await audit_event(
            actor, "custom_form.delete", ("CustomForm", deleted), before=_form_snapshot(form)
        )
    return deleted


async def section_create(actor, form_id, name_en, name_fr, position) -> CustomSection:
    errors = ErrorCollector()
    names = bilingual_names(name_en, name_fr, errors, "name")
    errors.raise_if_any()
    async with unit_of_work():
        form = await form_in(actor, form_id, ("input", "form_id"), lock=True)
        siblings = CustomSection.filter(form_id=form.id)
        position = position if position is not None else await next_position(siblings)
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
    names = bilingual_names(name_en, name_fr, errors, "name")
    errors.raise_if_any()
    async with unit_of_work():
        section = await section_in(actor, section_id, ("input", "id"), lock=True)
        return await _rename(actor, section, "custom_section", names, position)


async def section_delete(actor: Actor, section_id: int | None) -> int:
    async with unit_of_work():
        section = await section_in(actor, section_id, ("input", "id"), lock=True)
        refuse_if_answered(await CustomFieldAnswer.filter(field__section_id=section.id).exists())
        deleted = section.id
        await section.delete()
        await audit_event(
            actor,
            "custom_section.delete",
            ("CustomSection", deleted),
            before=_form_snapshot(section),
        )
    return deleted


# Batch loaders (keys are ids the caller may already see)


async def sections_of(form_ids: list[int]) -> list[list[CustomSection]]:
    found: dict[int, list[CustomSection]] = defaultdict(list)
    for row in await CustomSection.filter(form_id__in=form_ids).order_by("position", "id"):
        found[row.form_id].append(row)
    return [found[pk] for pk in form_ids]
