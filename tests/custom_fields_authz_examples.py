"""Authorization-matrix examples for custom fields (see tests/support/authz.py).

Each call builds its own form, section and question, so allowed calls never collide.
"""

from __future__ import annotations

from itertools import count

from models.custom_fields import CustomField, CustomFieldType, CustomForm, CustomSection
from schema import ids
from tests.support.authz import example
from tests.support.contacts import new_contact

_serial = count()
ERRORS = "errors { code field }"


async def a_fresh_form(world, caller=None) -> CustomForm:
    n = next(_serial)
    return await CustomForm.create(
        organization=world.organization, name_en=f"Form {n}", name_fr=f"Formulaire {n}"
    )


async def a_fresh_section(world, caller=None) -> CustomSection:
    n = next(_serial)
    form = await a_fresh_form(world)
    return await CustomSection.create(form=form, name_en=f"Section {n}", name_fr=f"Section {n}")


async def a_fresh_field(world, caller=None, **fields) -> CustomField:
    section = await a_fresh_section(world)
    values = {
        "key": f"question_{next(_serial)}",
        "label_en": "Shirt size",
        "label_fr": "Taille de chandail",
        "type": CustomFieldType.TEXT,
        **fields,
    }
    return await CustomField.create(organization=world.organization, section=section, **values)


async def organization_id(world, caller):
    return {"organizationId": world.org_gid}


async def form_id(world, caller):
    return {"id": ids.encode("CustomForm", (await a_fresh_form(world)).id)}


async def section_id(world, caller):
    return {"id": ids.encode("CustomSection", (await a_fresh_section(world)).id)}


async def field_id(world, caller):
    return {"id": ids.encode("CustomField", (await a_fresh_field(world)).id)}


async def new_question(world, caller):
    section = await a_fresh_section(world)
    return {
        "sectionId": ids.encode("CustomSection", section.id),
        "key": f"question_{next(_serial)}",
    }


async def an_answer(world, caller):
    field = await a_fresh_field(world)
    contact = await new_contact(world.organization)
    return {
        "contactId": ids.encode("Contact", contact.id),
        "sectionId": ids.encode("CustomSection", field.section_id),
        "fieldId": ids.encode("CustomField", field.id),
    }


example(
    "Query.customForms",
    "query($organizationId: ID!) { customForms(organizationId: $organizationId) "
    "{ id name sections { id name fields { id key label type } } } }",
    organization_id,
)
example(
    "Mutation.customFormCreate",
    "mutation($organizationId: ID!) { customFormCreate(input: {organizationId: "
    '$organizationId, nameEn: "Registration", nameFr: "Inscription"}) '
    f"{{ form {{ id }} {ERRORS} }} }}",
    organization_id,
)
example(
    "Mutation.customFormUpdate",
    'mutation($id: ID!) { customFormUpdate(input: {id: $id, nameEn: "Renamed"}) '
    f"{{ form {{ id nameEn }} {ERRORS} }} }}",
    form_id,
)
example(
    "Mutation.customFormDelete",
    f"mutation($id: ID!) {{ customFormDelete(input: {{id: $id}}) {{ deletedFormId {ERRORS} }} }}",
    form_id,
)
example(
    "Mutation.customSectionCreate",
    'mutation($id: ID!) { customSectionCreate(input: {formId: $id, nameEn: "Health", '
    f'nameFr: "Santé"}}) {{ section {{ id }} {ERRORS} }} }}',
    form_id,
)
example(
    "Mutation.customSectionUpdate",
    'mutation($id: ID!) { customSectionUpdate(input: {id: $id, nameFr: "Santé"}) '
    f"{{ section {{ id }} {ERRORS} }} }}",
    section_id,
)
example(
    "Mutation.customSectionDelete",
    "mutation($id: ID!) { customSectionDelete(input: {id: $id}) "
    f"{{ deletedSectionId {ERRORS} }} }}",
    section_id,
)
example(
    "Mutation.customFieldCreate",
    "mutation($sectionId: ID!, $key: String!) { customFieldCreate(input: {sectionId: "
    '$sectionId, key: $key, labelEn: "Allergies", labelFr: "Allergies", type: TEXT}) '
    f"{{ field {{ id key }} {ERRORS} }} }}",
    new_question,
)
example(
    "Mutation.customFieldUpdate",
    "mutation($id: ID!) { customFieldUpdate(input: {id: $id, required: true}) "
    f"{{ field {{ id required }} {ERRORS} }} }}",
    field_id,
)
example(
    "Mutation.customFieldArchive",
    "mutation($id: ID!) { customFieldArchive(input: {id: $id}) "
    f"{{ field {{ id archivedAt }} {ERRORS} }} }}",
    field_id,
)
example(
    "Mutation.contactCustomFieldsSave",
    "mutation($contactId: ID!, $sectionId: ID!, $fieldId: ID!) { contactCustomFieldsSave("
    "input: {contactId: $contactId, sectionId: $sectionId, answers: "
    '[{fieldId: $fieldId, value: "M"}]}) '
    f"{{ contact {{ id customFields {{ value }} }} {ERRORS} }} }}",
    an_answer,
)
