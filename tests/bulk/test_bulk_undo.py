"""bulkOperationUndo: a new operation putting back what an update, colour, group or archive
operation changed, skipping (CHANGED_SINCE) records changed after it."""

from models.audit import AuditEvent
from models.bulk import BulkOperation
from models.colours import Colour
from models.contacts import ConsentRecord, ConsentStatus, Contact
from models.custom_fields import CustomFieldAnswer
from models.groups import Group, GroupMember
from models.staff import Role
from resolvers.common.permissions import ROLE_PERMISSIONS, Permission
from resolvers.common.time import now
from schema import ids
from tests.bulk.actions_support import (
    ARCHIVE,
    OPERATION,
    UNDO,
    UPDATE,
    finished,
    ids_target,
    results_by_record,
    started,
    undo,
)
from tests.custom_fields_authz_examples import a_fresh_field
from tests.support.contacts import gid, new_contact

COLOUR_SET = """mutation($input: ContactsBulkColourSetInput!) {
  contactsBulkColourSet(input: $input) { operation { id } errors { code field } } }"""
GROUP_ADD = """mutation($input: ContactsBulkGroupInput!) {
  contactsBulkGroupAdd(input: $input) { operation { id } errors { code field } } }"""
GROUP_REMOVE = GROUP_ADD.replace("GroupAdd", "GroupRemove")


def action_input(world, *contacts, **more):
    return {"input": {"organizationId": world.org_gid, "target": ids_target(*contacts), **more}}


async def run(agent, settings, mutation, field, variables):
    return await finished(agent, settings, await started(agent, mutation, field, variables))


async def test_undo_of_an_update_restores_each_value_and_skips_those_changed_since(
    api, world, settings
):
    agent = api.as_(world.agent)
    field = await a_fresh_field(world)
    anne = await new_contact(world.organization, "Anne Roy")
    bob = await new_contact(world.organization, "Bob Roy")
    carl = await new_contact(world.organization, "Carl Roy")
    await Contact.filter(id=anne.id).update(notes="Old note", email_consent="EXPRESS")
    await CustomFieldAnswer.create(contact=anne, field=field, content={"value": "before"})
    changes = {
        "locale": "FR",
        "notesAppend": "Bulk note",
        "customFieldAnswer": {"fieldId": ids.encode("CustomField", field.id), "value": "after"},
        "withdrawConsent": "EMAIL",
    }
    original = await run(agent, settings, UPDATE, "contactsBulkUpdate", action_input(
        world, anne, bob, carl, changes=changes))
    assert original["succeeded"] == 3
    await Contact.filter(id=bob.id).update(locale="en")  # changed by hand since

    undone = await undo(agent, settings, original["id"])
    assert (undone["kind"], undone["state"]) == ("UNDO", "COMPLETED")
    assert undone["undoOf"] == {"id": original["id"]}
    assert (undone["total"], undone["succeeded"], undone["skipped"]) == (3, 2, 1)
    skipped = results_by_record(undone)[gid(bob)]
    assert (skipped["status"], skipped["reasonCode"]) == ("SKIPPED", "CHANGED_SINCE")

    anne, bob, carl = [await Contact.get(id=c.id) for c in (anne, bob, carl)]
    assert (anne.locale, anne.notes, carl.locale, carl.notes) == ("en", "Old note", "en", "")
    assert (anne.email_consent, carl.email_consent) == ("EXPRESS", "NOT_ASKED")
    assert (bob.notes, bob.email_consent) == ("Bulk note", "WITHDRAWN")  # left as it is
    answers = await CustomFieldAnswer.filter(field=field).values_list("contact_id", "content")
    assert sorted(answers) == sorted([(anne.id, {"value": "before"}),
                                      (bob.id, {"value": "after"})])
    # Consent put back is in the history, with the undo as its source.
    latest = await ConsentRecord.filter(contact_id=anne.id).order_by("-id").first()
    assert latest.status is ConsentStatus.EXPRESS and latest.source.startswith("undo of")
    reread = await agent.execute(UNDO.replace("bulkOperationUndo(input: {id: $id})",
                                              "x: bulkOperationUndo(input: {id: $id})"),
                                 {"id": original["id"]})
    assert [e["code"] for e in reread.payload("x")["errors"]] == ["ALREADY_UNDONE"]
    assert await AuditEvent.filter(action="bulk_operation.undo").count() == 1


async def test_a_withdrawal_the_person_made_since_is_never_undone(api, world, settings):
    agent = api.as_(world.agent)
    anne = await new_contact(world.organization, "Anne Roy")
    await Contact.filter(id=anne.id).update(email_consent="EXPRESS")
    original = await run(agent, settings, UPDATE, "contactsBulkUpdate", action_input(
        world, anne, changes={"withdrawConsent": "EMAIL"}))
    # The person unsubscribes too: the contact row looks the same, the history does not.
    await ConsentRecord.create(contact=anne, channel="EMAIL", status="WITHDRAWN",
                               source="unsubscribe link")
    undone = await undo(agent, settings, original["id"])
    assert results_by_record(undone)[gid(anne)]["reasonCode"] == "CHANGED_SINCE"
    assert (await Contact.get(id=anne.id)).email_consent is ConsentStatus.WITHDRAWN


async def test_undo_of_archive_and_colour(api, world, settings):
    agent = api.as_(world.agent)
    anne = await new_contact(world.organization, "Anne Roy")
    bob = await new_contact(world.organization, "Bob Roy")
    red = await Colour.create(organization=world.organization, name="Red", hex="#ff0000")
    blue = await Colour.create(organization=world.organization, name="Blue", hex="#0000ff")
    await Contact.filter(id=anne.id).update(colour_id=blue.id)

    archived = await run(agent, settings, ARCHIVE, "contactsBulkArchive",
                         action_input(world, anne, bob))
    await Contact.filter(id=bob.id).update(archived_at=None)  # restored by hand since
    undone = await undo(agent, settings, archived["id"])
    assert (undone["succeeded"], undone["skipped"]) == (1, 1)
    assert await Contact.filter(id__in=[anne.id, bob.id], archived_at__isnull=True).count() == 2

    coloured = await run(agent, settings, COLOUR_SET, "contactsBulkColourSet", action_input(
        world, anne, bob, colourId=ids.encode("Colour", red.id)))
    undone = await undo(agent, settings, coloured["id"])
    assert undone["succeeded"] == 2
    colours = dict(await Contact.filter(id__in=[anne.id, bob.id]).values_list("id", "colour_id"))
    assert colours == {anne.id: blue.id, bob.id: None}
    assert (await agent.execute(OPERATION, {"id": coloured["id"]})).data["bulkOperation"][
        "undoneBy"
    ] == {"id": undone["id"]}


async def test_undo_of_group_add_and_remove(api, world, settings):
    agent = api.as_(world.agent)
    anne = await new_contact(world.organization, "Anne Roy")
    bob = await new_contact(world.organization, "Bob Roy")
    juniors = await Group.create(organization=world.organization, name="Juniors")
    await GroupMember.create(group=juniors, contact=bob)
    group_id = ids.encode("Group", juniors.id)
    added = await run(agent, settings, GROUP_ADD, "contactsBulkGroupAdd",
                      action_input(world, anne, bob, groupId=group_id))
    await undo(agent, settings, added["id"])
    members = await GroupMember.filter(group=juniors).values_list("contact_id", flat=True)
    assert members == [bob.id]  # only the membership the operation added is taken back
    removed = await run(agent, settings, GROUP_REMOVE, "contactsBulkGroupRemove",
                        action_input(world, bob, groupId=group_id))
    assert removed["succeeded"] == 1
    await undo(agent, settings, removed["id"])
    assert await GroupMember.filter(group=juniors, contact=bob).exists()


async def test_what_cannot_be_undone_is_refused_with_nothing_written(api, world, settings):
    agent = api.as_(world.agent)
    anne = await new_contact(world.organization, "Anne Roy")
    original = await run(agent, settings, ARCHIVE, "contactsBulkArchive",
                         action_input(world, anne))
    undone = await undo(agent, settings, original["id"])

    async def codes(operation_id, caller=agent):
        before = await BulkOperation.all().count()
        result = await caller.execute(UNDO, {"id": operation_id})
        assert await BulkOperation.all().count() == before
        return [e["code"] for e in result.payload("bulkOperationUndo")["errors"]]

    assert await codes(original["id"]) == ["ALREADY_UNDONE"]
    assert await codes(undone["id"]) == ["NOT_UNDOABLE"]
    running = await started(agent, ARCHIVE, "contactsBulkArchive", action_input(world, anne))
    assert await codes(running) == ["NOT_FINISHED"]
    foreign = await BulkOperation.get(id=ids.decode(original["id"])[1])
    foreign.pk = None
    foreign.organization_id = world.other_organization.id
    foreign.undone_by_id = None
    foreign.finished_at = now()
    await foreign.save()
    assert await codes(ids.encode("BulkOperation", foreign.id)) == ["NOT_FOUND"]
    result = await api.as_(world.viewer).execute(UNDO, {"id": original["id"]})
    assert result.error_codes == ["FORBIDDEN"]


async def test_undo_needs_the_permission_the_undone_action_needed(
    api, world, settings, monkeypatch
):
    agent = api.as_(world.agent)
    anne = await new_contact(world.organization, "Anne Roy")
    original = await run(agent, settings, ARCHIVE, "contactsBulkArchive",
                         action_input(world, anne))
    without = ROLE_PERMISSIONS[Role.AGENT] - {Permission.CONTACTS_WRITE}
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.AGENT, without)
    result = await agent.execute(UNDO, {"id": original["id"]})
    assert result.error_codes == ["FORBIDDEN"]
    assert await BulkOperation.all().count() == 1
    monkeypatch.undo()
    assert (await undo(agent, settings, original["id"]))["succeeded"] == 1
