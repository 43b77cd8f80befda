"""A contact's answers to custom-field questions: the `CustomFieldAnswer` type and
`contactCustomFieldsSave` (contacts.write).

The Contact type's `customFields` lives in schema/contacts.py and returns the
`CustomFieldAnswer`s defined here; both refer to each other's types lazily.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from resolvers.common.permissions import Permission
from resolvers.custom_fields import answers
from schema.custom_fields import CustomFieldNode
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id, scoped_id_or_none, scoped_ids

ContactRef = Annotated["ContactType", strawberry.lazy("schema.contacts")]  # noqa: F821


@strawberry.type(name="CustomFieldAnswer", description="A contact's answer to one question.")
class CustomFieldAnswerType:
    value: JSON = strawberry.field(
        description="Text, a number, an ISO date, a boolean, a choice's value or a list of them."
    )
    updated_at: datetime

    @strawberry.field
    def field(self) -> CustomFieldNode:
        return self.field  # fetched with the answer


@strawberry.input
class CustomFieldAnswerInput:
    field_id: strawberry.ID
    value: JSON | None = strawberry.field(
        description="Null, empty text or an empty list removes the answer."
    )


@strawberry.input(description="Give exactly one of sectionId and formId.")
class ContactCustomFieldsSaveInput:
    contact_id: strawberry.ID
    section_id: strawberry.ID | None = None
    form_id: strawberry.ID | None = None
    answers: list[CustomFieldAnswerInput] = strawberry.field(
        description="Questions of that section or form; those left out keep their answer."
    )


@strawberry.type
class ContactCustomFieldsSavePayload(Payload):
    contact: ContactRef | None = None


@strawberry.type
class CustomFieldAnswersMutation:
    @strawberry.mutation(
        **describe(
            "Saves a contact's answers to one section or form: every answer is checked "
            "against its question, and every required question of that section or form "
            "must end up answered; on any error nothing is saved.",
            requires(Permission.CONTACTS_WRITE, scope="input.contactId"),
        )
    )
    async def contact_custom_fields_save(
        self, info: strawberry.Info, input: ContactCustomFieldsSaveInput
    ) -> ContactCustomFieldsSavePayload:
        contact_id = await scoped_id(info, input.contact_id, "Contact", ("input", "contactId"))
        section_id = await scoped_id_or_none(
            info, input.section_id, "CustomSection", ("input", "sectionId")
        )
        form_id = await scoped_id_or_none(info, input.form_id, "CustomForm", ("input", "formId"))
        field_ids = await scoped_ids(
            info,
            [a.field_id for a in input.answers],
            "CustomField",
            ("input", "answers"),
            then=("fieldId",),
        )
        given = [
            answers.Answer(field_id, a.value)
            for field_id, a in zip(field_ids, input.answers, strict=True)
        ]
        contact = await answers.save_answers(
            info.context.actor(info), contact_id, section_id, form_id, given
        )
        return ContactCustomFieldsSavePayload(contact=contact)
