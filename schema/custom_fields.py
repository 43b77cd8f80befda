"""Custom fields: forms, sections and typed questions (organization.manage to define,
contacts.read to read). A contact's answers are in schema/custom_field_answers.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.dataloader import DataLoader

from models.custom_fields import (
    CustomField,
    CustomFieldScope,
    CustomFieldType,
    CustomForm,
    CustomSection,
)
from resolvers.common.permissions import Permission
from resolvers.custom_fields import fields, forms
from resolvers.custom_fields.fields import Choice
from resolvers.custom_fields.forms import localized
from schema import ids
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id
from schema.types import Node, model_node

ContactRef = Annotated["ContactType", strawberry.lazy("schema.contacts")]  # noqa: F821

CustomFieldTypeEnum = strawberry.enum(
    CustomFieldType, name="CustomFieldType", description="What kind of answer a question takes."
)
CustomFieldScopeEnum = strawberry.enum(
    CustomFieldScope,
    name="CustomFieldScope",
    description="Who a question is about: CONTACT (required when its section or form is "
    "saved), ACCOUNT (a client account's holder) or MEMBER (each member of a household), "
    "required when the account or member is saved.",
)


def _loader(info: strawberry.Info, name: str, batch) -> DataLoader:
    return info.context.loader(f"custom_fields.{name}", lambda: DataLoader(batch))


@strawberry.type(description="One of a choice question's options.")
class CustomFieldChoice:
    value: str = strawberry.field(description="What answers store.")
    label_en: str
    label_fr: str

    @strawberry.field(description="In the reader's language.")
    def label(self, info: strawberry.Info) -> str:
        return localized(self, "label", info.context.locale)


@model_node("CustomField", CustomField, Permission.CONTACTS_READ)
class CustomFieldNode(Node):
    key: str = strawberry.field(description="A stable slug, unique in the organization.")
    label_en: str
    label_fr: str
    type: CustomFieldTypeEnum
    required: bool = strawberry.field(description="Enforced when its section or form is saved.")
    scope: CustomFieldScopeEnum
    position: int
    archived_at: datetime | None = strawberry.field(
        description="Archived questions are no longer asked, shown or required."
    )

    @strawberry.field(description="In the reader's language.")
    def label(self, info: strawberry.Info) -> str:
        return localized(self, "label", info.context.locale)

    @strawberry.field(description="The options of a choice question; empty for the others.")
    def choices(self) -> list[CustomFieldChoice]:
        return [CustomFieldChoice(**choice) for choice in self.choices]


@model_node(
    "CustomSection",
    CustomSection,
    Permission.CONTACTS_READ,
    organization_path="form__organization_id",
)
class CustomSectionNode(Node):
    name_en: str
    name_fr: str
    position: int

    @strawberry.field(description="In the reader's language.")
    def name(self, info: strawberry.Info) -> str:
        return localized(self, "name", info.context.locale)

    @strawberry.field(description="The section's questions by position; archived ones on request.")
    async def fields(
        self, info: strawberry.Info, include_archived: bool = False
    ) -> list[CustomFieldNode]:
        found = await _loader(info, "fields_of", fields.fields_of).load(self.id)
        return [f for f in found if include_archived or f.archived_at is None]


@model_node("CustomForm", CustomForm, Permission.CONTACTS_READ)
class CustomFormNode(Node):
    name_en: str
    name_fr: str
    position: int

    @strawberry.field(description="In the reader's language.")
    def name(self, info: strawberry.Info) -> str:
        return localized(self, "name", info.context.locale)

    @strawberry.field(description="The form's sections by position.")
    async def sections(self, info: strawberry.Info) -> list[CustomSectionNode]:
        return await _loader(info, "sections_of", forms.sections_of).load(self.id)


@strawberry.input
class CustomFormCreateInput:
    organization_id: strawberry.ID
    name_en: str
    name_fr: str
    position: int | None = strawberry.field(default=None, description="Last when not given.")


@strawberry.input
class CustomFormUpdateInput:
    id: strawberry.ID
    name_en: str | None = None
    name_fr: str | None = None
    position: int | None = None


@strawberry.input
class CustomSectionCreateInput:
    form_id: strawberry.ID
    name_en: str
    name_fr: str
    position: int | None = strawberry.field(default=None, description="Last when not given.")


@strawberry.input
class CustomSectionUpdateInput:
    id: strawberry.ID
    name_en: str | None = None
    name_fr: str | None = None
    position: int | None = None


@strawberry.input
class CustomRecordInput:
    id: strawberry.ID


@strawberry.input
class CustomFieldChoiceInput:
    value: str
    label_en: str
    label_fr: str


@strawberry.input
class CustomFieldCreateInput:
    section_id: strawberry.ID
    key: str = strawberry.field(description="Lower-case letters, digits and _, e.g. shirt_size.")
    label_en: str
    label_fr: str
    type: CustomFieldTypeEnum
    choices: list[CustomFieldChoiceInput] | None = strawberry.field(
        default=None, description="Required for the choice types, refused for the others."
    )
    required: bool = False
    position: int | None = strawberry.field(default=None, description="Last when not given.")
    scope: CustomFieldScopeEnum = CustomFieldScope.CONTACT


@strawberry.input(description="Only the fields given change; the key never does.")
class CustomFieldUpdateInput:
    id: strawberry.ID
    label_en: str | None = None
    label_fr: str | None = None
    type: CustomFieldTypeEnum | None = strawberry.field(
        default=None, description="Refused once a contact answered the question."
    )
    choices: list[CustomFieldChoiceInput] | None = strawberry.field(
        default=None, description="The full new list; a choice in use cannot be removed."
    )
    required: bool | None = None
    position: int | None = None
    scope: CustomFieldScopeEnum | None = None


@strawberry.type
class CustomFormPayload(Payload):
    form: CustomFormNode | None = None


@strawberry.type
class CustomFormDeletePayload(Payload):
    deleted_form_id: strawberry.ID | None = None


@strawberry.type
class CustomSectionPayload(Payload):
    section: CustomSectionNode | None = None


@strawberry.type
class CustomSectionDeletePayload(Payload):
    deleted_section_id: strawberry.ID | None = None


@strawberry.type
class CustomFieldPayload(Payload):
    field: CustomFieldNode | None = None


def _choices(given: list[CustomFieldChoiceInput] | None) -> list[Choice] | None:
    if given is None:
        return None
    return [Choice(c.value, c.label_en, c.label_fr) for c in given]


@strawberry.type
class CustomFieldsQuery:
    @strawberry.field(
        **describe(
            "The organization's custom-field forms by position, with their sections and questions.",
            requires(Permission.CONTACTS_READ),
        )
    )
    async def custom_forms(
        self, info: strawberry.Info, organization_id: strawberry.ID
    ) -> list[CustomFormNode]:
        return await forms.forms(info.context.actor(info))


MANAGE = Permission.ORGANIZATION_MANAGE


@strawberry.type
class CustomFieldsMutation:
    @strawberry.mutation(**describe("Adds a custom-field form.", requires(MANAGE)))
    async def custom_form_create(
        self, info: strawberry.Info, input: CustomFormCreateInput
    ) -> CustomFormPayload:
        form = await forms.form_create(
            info.context.actor(info), input.name_en, input.name_fr, input.position
        )
        return CustomFormPayload(form=form)

    @strawberry.mutation(**describe("Renames or moves a form.", requires(MANAGE)))
    async def custom_form_update(
        self, info: strawberry.Info, input: CustomFormUpdateInput
    ) -> CustomFormPayload:
        pk = await scoped_id(info, input.id, "CustomForm", ("input", "id"))
        form = await forms.form_update(
            info.context.actor(info), pk, input.name_en, input.name_fr, input.position
        )
        return CustomFormPayload(form=form)

    @strawberry.mutation(
        **describe(
            "Deletes a form with its sections and questions, unless a contact answered one "
            "(archive the questions instead).",
            requires(MANAGE),
        )
    )
    async def custom_form_delete(
        self, info: strawberry.Info, input: CustomRecordInput
    ) -> CustomFormDeletePayload:
        pk = await scoped_id(info, input.id, "CustomForm", ("input", "id"))
        deleted = await forms.form_delete(info.context.actor(info), pk)
        return CustomFormDeletePayload(deleted_form_id=ids.encode("CustomForm", deleted))

    @strawberry.mutation(**describe("Adds a section to a form.", requires(MANAGE)))
    async def custom_section_create(
        self, info: strawberry.Info, input: CustomSectionCreateInput
    ) -> CustomSectionPayload:
        form_id = await scoped_id(info, input.form_id, "CustomForm", ("input", "formId"))
        section = await forms.section_create(
            info.context.actor(info), form_id, input.name_en, input.name_fr, input.position
        )
        return CustomSectionPayload(section=section)

    @strawberry.mutation(**describe("Renames or moves a section.", requires(MANAGE)))
    async def custom_section_update(
        self, info: strawberry.Info, input: CustomSectionUpdateInput
    ) -> CustomSectionPayload:
        pk = await scoped_id(info, input.id, "CustomSection", ("input", "id"))
        section = await forms.section_update(
            info.context.actor(info), pk, input.name_en, input.name_fr, input.position
        )
        return CustomSectionPayload(section=section)

    @strawberry.mutation(
        **describe(
            "Deletes a section with its questions, unless a contact answered one.",
            requires(MANAGE),
        )
    )
    async def custom_section_delete(
        self, info: strawberry.Info, input: CustomRecordInput
    ) -> CustomSectionDeletePayload:
        pk = await scoped_id(info, input.id, "CustomSection", ("input", "id"))
        deleted = await forms.section_delete(info.context.actor(info), pk)
        return CustomSectionDeletePayload(deleted_section_id=ids.encode("CustomSection", deleted))

    @strawberry.mutation(**describe("Adds a question to a section.", requires(MANAGE)))
    async def custom_field_create(
        self, info: strawberry.Info, input: CustomFieldCreateInput
    ) -> CustomFieldPayload:
        section_id = await scoped_id(
            info, input.section_id, "CustomSection", ("input", "sectionId")
        )
        field = await fields.field_create(
            info.context.actor(info),
            section_id,
            input.key,
            (input.label_en, input.label_fr),
            CustomFieldType(input.type),
            _choices(input.choices),
            input.required,
            input.position,
            scope=CustomFieldScope(input.scope),
        )
        return CustomFieldPayload(field=field)

    @strawberry.mutation(
        **describe(
            "Changes a question's labels, choices, requirement or position; its type only "
            "while nobody answered it.",
            requires(MANAGE),
        )
    )
    async def custom_field_update(
        self, info: strawberry.Info, input: CustomFieldUpdateInput
    ) -> CustomFieldPayload:
        pk = await scoped_id(info, input.id, "CustomField", ("input", "id"))
        changes = {
            "label_en": input.label_en,
            "label_fr": input.label_fr,
            "type": CustomFieldType(input.type) if input.type else None,
            "choices": _choices(input.choices),
            "required": input.required,
            "position": input.position,
            "scope": CustomFieldScope(input.scope) if input.scope else None,
        }
        field = await fields.field_update(info.context.actor(info), pk, changes)
        return CustomFieldPayload(field=field)

    @strawberry.mutation(
        **describe(
            "Stops asking a question; its answers are kept but no longer shown.",
            requires(MANAGE),
        )
    )
    async def custom_field_archive(
        self, info: strawberry.Info, input: CustomRecordInput
    ) -> CustomFieldPayload:
        pk = await scoped_id(info, input.id, "CustomField", ("input", "id"))
        field = await fields.field_archive(info.context.actor(info), pk)
        return CustomFieldPayload(field=field)
