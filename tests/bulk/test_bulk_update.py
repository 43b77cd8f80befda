"""contactsBulkUpdate: locale, a custom-field answer, notes appended and consent withdrawn,
on every contact of the target, through the API and a worker; changes checked once, before
anything starts."""

import pytest

from carnet.statements import count_statements
from models.audit import AuditEvent
from models.bulk import BulkOperation
from models.contacts import ConsentRecord, ConsentStatus, Contact
from models.custom_fields import CustomFieldAnswer, CustomFieldType
from models.staff import Role
from resolvers.common.permissions import ROLE_PERMISSIONS, Permission
from resolvers.contacts.contacts import NOTES_MAX_LENGTH
from schema import ids
from tests.bulk.actions_support import (
    ARCHIVE,
    RESTORE,
    UPDATE,
    finished,
    ids_target,
    results_by_record,
    started,
)
from tests.custom_fields_authz_examples import a_fresh_field
from tests.support.contacts import gid, new_contact


def update_input(world, target, **changes):
    return {"input": {"organizationId": world.org_gid, "target": target, "changes": changes}}


async def test_every_change_is_made_and_recorded_per_contact(api, world, settings):
    agent = api.as_(world.agent)
    field = await a_fresh_field(world, type=CustomFieldType.SINGLE_CHOICE,
                                choices=[{"value": "m", "label_en": "M", "label_fr": "M"},
                                         {"value": "l", "label_en": "L", "label_fr": "L"}])
    anne = await new_contact(world.organization, "Anne Roy")
    bob = await new_contact(world.organization, "Bob Roy")
    await Contact.filter(id=bob.id).update(notes="Allergic to nuts", email_consent="EXPRESS")
    await CustomFieldAnswer.create(contact=bob, field=field, content={"value": "m"})
    changes = {
        "locale": "FR",
        "customFieldAnswer": {"fieldId": ids.encode("CustomField", field.id), "value": "l"},
        "notesAppend": "Came to the open house",
        "withdrawConsent": "EMAIL",
    }
    operation_id = await started(
        agent, UPDATE, "contactsBulkUpdate", update_input(world, ids_target(anne, bob), **changes)
    )
    operation = await finished(agent, settings, operation_id)
    assert (operation["kind"], operation["state"]) == ("CONTACT_UPDATE", "COMPLETED")
    assert (operation["total"], operation["succeeded"], operation["skipped"]) == (2, 2, 0)
    assert operation["canUndo"] is True
    anne, bob = await Contact.get(id=anne.id), await Contact.get(id=bob.id)
    assert (anne.locale, bob.locale) == ("fr", "fr")
    assert anne.notes == "Came to the open house"
    assert bob.notes == "Allergic to nuts\nCame to the open house"
    answers = await CustomFieldAnswer.filter(field=field).order_by("contact_id")
    assert [(a.contact_id, a.value) for a in answers] == [(anne.id, "l"), (bob.id, "l")]
    assert (anne.email_consent, bob.email_consent) == (ConsentStatus.WITHDRAWN,) * 2
    # Each withdrawal is in the consent history with its source, like one made by hand.
    records = await ConsentRecord.filter(contact_id__in=[anne.id, bob.id])
    assert {r.status for r in records} == {ConsentStatus.WITHDRAWN}
    assert {r.source for r in records} == {f"bulk update #{ids.decode(operation_id)[1]}"}
    assert {r.recorded_by_id for r in records} == {world.agent.user.id}
    assert await AuditEvent.filter(action="contact.consent_set").count() == 2


async def test_a_contact_already_as_asked_is_skipped_unchanged(api, world, settings):
    agent = api.as_(world.agent)
    french = await new_contact(world.organization, "Élise Roy")
    await Contact.filter(id=french.id).update(locale="fr")
    english = await new_contact(world.organization, "Ed Roy")
    operation_id = await started(
        agent, UPDATE, "contactsBulkUpdate",
        update_input(world, ids_target(french, english), locale="FR"),
    )
    operation = await finished(agent, settings, operation_id)
    assert (operation["succeeded"], operation["skipped"]) == (1, 1)
    result = results_by_record(operation)[gid(french)]
    assert (result["status"], result["reasonCode"]) == ("SKIPPED", "UNCHANGED")
    assert results_by_record(operation)[gid(english)]["status"] == "SUCCEEDED"


async def test_notes_that_would_grow_too_long_fail_that_contact_only(api, world, settings):
    agent = api.as_(world.agent)
    full = await new_contact(world.organization, "Full Notes")
    await Contact.filter(id=full.id).update(notes="x" * (NOTES_MAX_LENGTH - 3))
    other = await new_contact(world.organization, "Some Notes")
    operation_id = await started(
        agent, UPDATE, "contactsBulkUpdate",
        update_input(world, ids_target(full, other), notesAppend="call back", locale="FR"),
    )
    operation = await finished(agent, settings, operation_id)
    assert (operation["succeeded"], operation["failed"]) == (1, 1)
    result = results_by_record(operation)[gid(full)]
    assert (result["status"], result["reasonCode"]) == ("FAILED", "NOTES_TOO_LONG")
    assert "10,000" in result["message"]
    full = await Contact.get(id=full.id)
    assert (full.notes, full.locale) == ("x" * (NOTES_MAX_LENGTH - 3), "en")  # all or nothing
    assert (await Contact.get(id=other.id)).notes == "call back"


async def test_removing_an_answer_with_null(api, world, settings):
    agent = api.as_(world.agent)
    field = await a_fresh_field(world)
    anne = await new_contact(world.organization, "Anne Roy")
    await CustomFieldAnswer.create(contact=anne, field=field, content={"value": "old"})
    answer = {"fieldId": ids.encode("CustomField", field.id), "value": None}
    operation_id = await started(
        agent, UPDATE, "contactsBulkUpdate",
        update_input(world, ids_target(anne), customFieldAnswer=answer),
    )
    assert (await finished(agent, settings, operation_id))["succeeded"] == 1
    assert not await CustomFieldAnswer.filter(field=field).exists()


async def refused(agent, world, target, **changes):
    result = await agent.execute(UPDATE, update_input(world, target, **changes))
    payload = result.payload("contactsBulkUpdate")
    assert payload["operation"] is None
    assert await BulkOperation.all().count() == 0  # nothing written
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def test_changes_are_checked_before_anything_starts(api, world):
    agent = api.as_(world.agent)
    anne = await new_contact(world.organization, "Anne Roy")
    target = ids_target(anne)
    assert await refused(agent, world, target) == [("REQUIRED", ["input", "changes"])]
    number = await a_fresh_field(world, type=CustomFieldType.NUMBER)
    field_path = ["input", "changes", "customFieldAnswer"]
    bad_value = {"fieldId": ids.encode("CustomField", number.id), "value": "ten"}
    assert await refused(agent, world, target, customFieldAnswer=bad_value) == [
        ("INVALID", [*field_path, "value"])
    ]
    archived = await a_fresh_field(world)
    await type(archived).filter(id=archived.id).update(archived_at=anne.created_at)
    for field_id in (
        ids.encode("CustomField", archived.id),
        ids.encode("CustomField", 10**9),
        ids.encode("Contact", anne.id),
    ):
        answer = {"fieldId": field_id, "value": "x"}
        assert await refused(agent, world, target, customFieldAnswer=answer) == [
            ("NOT_FOUND", [*field_path, "fieldId"])
        ]
    assert await refused(agent, world, target, notesAppend="  ") == [
        ("REQUIRED", ["input", "changes", "notesAppend"])
    ]
    assert await Contact.filter(id=anne.id, locale="en", notes="").exists()


async def test_another_organizations_field_or_contact_is_not_found(api, world):
    agent = api.as_(world.agent)
    anne = await new_contact(world.organization, "Anne Roy")
    stranger = await new_contact(world.other_organization, "Zoé Roy")
    foreign = await a_fresh_field(world)
    await type(foreign).filter(id=foreign.id).update(organization_id=world.other_organization.id)
    answer = {"fieldId": ids.encode("CustomField", foreign.id), "value": "x"}
    assert await refused(agent, world, ids_target(anne), customFieldAnswer=answer) == [
        ("NOT_FOUND", ["input", "changes", "customFieldAnswer", "fieldId"])
    ]
    codes = await refused(agent, world, ids_target(anne, stranger), locale="FR")
    assert codes and {code for code, _ in codes} == {"NOT_FOUND"}


@pytest.mark.parametrize("missing", [Permission.BULK_RUN, Permission.CONTACTS_WRITE])
@pytest.mark.parametrize("mutation", [UPDATE, ARCHIVE, RESTORE])
async def test_bulk_run_without_contacts_write_or_the_reverse_is_forbidden(
    api, world, monkeypatch, missing, mutation
):
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.AGENT, ROLE_PERMISSIONS[Role.AGENT] - {missing})
    anne = await new_contact(world.organization, "Anne Roy")
    variables = update_input(world, ids_target(anne), locale="FR")
    if mutation is not UPDATE:
        del variables["input"]["changes"]
    for member in (world.agent, world.viewer, world.billing_admin):
        result = await api.as_(member).execute(mutation, variables)
        assert result.error_codes == ["FORBIDDEN"]
    assert await BulkOperation.all().count() == 0


async def test_a_chunk_runs_as_many_statements_for_30_contacts_as_for_3(api, world, settings):
    agent = api.as_(world.agent)
    field = await a_fresh_field(world)
    answer = {"fieldId": ids.encode("CustomField", field.id), "value": "yes"}
    counts = []
    for size in (3, 30):
        contacts = [await new_contact(world.organization) for _ in range(size)]
        for contact in contacts[::2]:  # some with an answer to replace, some without
            await CustomFieldAnswer.create(contact=contact, field=field, content={"value": "no"})
        operation_id = await started(agent, UPDATE, "contactsBulkUpdate", update_input(
            world, ids_target(*contacts), locale="FR", notesAppend="Seen", customFieldAnswer=answer
        ))
        with count_statements() as statements:
            operation = await finished(agent, settings, operation_id)
        assert operation["succeeded"] == size
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
