"""contactsBulkArchive / contactsBulkRestore through the API and a worker."""

from models.audit import AuditEvent
from models.bulk import BulkOperation
from models.contacts import Contact
from tests.bulk.actions_support import (
    ARCHIVE,
    RESTORE,
    finished,
    ids_target,
    results_by_record,
    started,
)
from tests.support.contacts import gid, new_contact


def target_input(world, *contacts):
    return {"input": {"organizationId": world.org_gid, "target": ids_target(*contacts)}}


async def test_archive_then_restore_skipping_those_already_so(api, world, settings):
    agent = api.as_(world.agent)
    anne = await new_contact(world.organization, "Anne Roy")
    gone = await new_contact(world.organization, "Bob Roy", archived=True)
    variables = target_input(world, anne, gone)
    archived = await finished(
        agent, settings, await started(agent, ARCHIVE, "contactsBulkArchive", variables)
    )
    assert (archived["kind"], archived["state"]) == ("CONTACT_ARCHIVE", "COMPLETED")
    assert (archived["succeeded"], archived["skipped"]) == (1, 1)
    skipped = results_by_record(archived)[gid(gone)]
    assert (skipped["status"], skipped["reasonCode"]) == ("SKIPPED", "ALREADY_ARCHIVED")
    assert await Contact.filter(id__in=[anne.id, gone.id], archived_at__isnull=True).count() == 0

    await Contact.filter(id=gone.id).update(archived_at=None)
    restored = await finished(
        agent, settings, await started(agent, RESTORE, "contactsBulkRestore", variables)
    )
    assert (restored["kind"], restored["succeeded"], restored["skipped"]) == (
        "CONTACT_RESTORE", 1, 1,
    )
    assert results_by_record(restored)[gid(gone)]["reasonCode"] == "NOT_ARCHIVED"
    assert await Contact.filter(id__in=[anne.id, gone.id], archived_at__isnull=True).count() == 2
    assert await AuditEvent.filter(action__startswith="bulk_operation.").count() >= 2


async def test_viewer_cannot_archive_and_nothing_is_written(api, world):
    anne = await new_contact(world.organization, "Anne Roy")
    result = await api.as_(world.viewer).execute(ARCHIVE, target_input(world, anne))
    assert result.error_codes == ["FORBIDDEN"]
    assert await BulkOperation.all().count() == 0
    assert await Contact.filter(id=anne.id, archived_at__isnull=True).exists()


async def test_another_organizations_contact_is_not_found(api, world):
    stranger = await new_contact(world.other_organization, "Zoé Roy")
    result = await api.as_(world.agent).execute(RESTORE, target_input(world, stranger))
    codes = [e["code"] for e in result.payload("contactsBulkRestore")["errors"]]
    assert codes == ["NOT_FOUND"]
    assert await BulkOperation.all().count() == 0


async def test_restore_everyone_matching_a_filter_of_archived_contacts(api, world, settings):
    agent = api.as_(world.agent)
    kept = await new_contact(world.organization, "Anne Tremblay", archived=True)
    other = await new_contact(world.organization, "Bob Roy", archived=True)
    variables = {"input": {"organizationId": world.org_gid, "target": {
        "search": "tremblay", "filter": {"archived": True}}}}
    restored = await finished(
        agent, settings, await started(agent, RESTORE, "contactsBulkRestore", variables)
    )
    assert (restored["total"], restored["succeeded"]) == (1, 1)
    assert await Contact.filter(id=kept.id, archived_at__isnull=True).exists()
    assert await Contact.filter(id=other.id, archived_at__isnull=False).exists()
