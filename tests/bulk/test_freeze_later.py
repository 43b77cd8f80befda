"""Starting an operation on a large target returns at once: the request creates the
operation (CREATED) and keeps the target's selection; the operation's first job
(`bulk_freeze`) freezes it, cuts it and queues the chunks, once however often it runs."""

from __future__ import annotations

from carnet import queue
from carnet.statements import count_statements
from models.audit import AuditEvent
from models.bulk import BulkOperation, BulkOperationChunk, BulkOperationItem
from models.contacts import Contact
from models.tasks import Task, TaskStatus
from resolvers.bulk import freezing
from resolvers.common.tasks import enqueue_task, give_up, job_id
from tests.bulk.support import CANCEL, COLOUR_SET, pk, read, run_chunks
from tests.bulk.test_colour_set import a_colour, colour_input
from tests.bulk.test_kill_and_resume import seed_contacts

IN_REQUEST_MAX = 5  # larger targets are frozen by a job


def small_settings(settings, monkeypatch) -> None:
    monkeypatch.setattr(settings, "bulk_freeze_in_request_max", IN_REQUEST_MAX)
    monkeypatch.setattr(settings, "bulk_chunk_size", 10)


async def colour_everyone(api, world, colour, name: str) -> dict:
    started = await api.as_(world.agent).execute(
        COLOUR_SET, colour_input(world, {"search": name}, colour)
    )
    return started.ok("contactsBulkColourSet")["operation"]


async def test_the_request_costs_the_same_statements_whatever_the_target_size(
    api, world, settings, monkeypatch
):
    small_settings(settings, monkeypatch)
    gold = await a_colour(world.organization)
    await seed_contacts(world.organization.id, 20, "Small")
    await seed_contacts(world.organization.id, 400, "Large")
    counts = {}
    operations = {}
    for name in ("Small", "Large"):
        with count_statements() as statements:
            operations[name] = await colour_everyone(api, world, gold, name)
        counts[name] = len(statements)
    assert counts["Small"] == counts["Large"], counts
    for operation in operations.values():
        # Nothing frozen yet: CREATED, no item, no chunk job, one freeze job.
        assert (operation["state"], operation["total"]) == ("CREATED", 0)
        assert not await BulkOperationItem.filter(operation_id=pk(operation["id"])).exists()
    assert await Task.filter(function="bulk_freeze").count() == 2
    assert not await Task.filter(function="bulk_chunk").exists()
    await run_chunks(settings)
    for name, size in (("Small", 20), ("Large", 400)):
        done = await read(api.as_(world.agent), operations[name]["id"])
        assert (done["state"], done["total"], done["processed"], done["succeeded"]) == (
            "COMPLETED",
            size,
            size,
            size,
        )
    assert await Contact.filter(organization=world.organization, colour=gold).count() == 420
    starts = await AuditEvent.filter(action="bulk_operation.start").order_by("id")
    assert [event.after["total"] for event in starts] == [None, None]


async def test_the_freeze_job_run_twice_freezes_once(api, world, settings, monkeypatch):
    small_settings(settings, monkeypatch)
    gold = await a_colour(world.organization)
    await seed_contacts(world.organization.id, 35, "Twice")
    operation = await colour_everyone(api, world, gold, "twice")
    operation_id = pk(operation["id"])
    await freezing.run_freeze(operation_id)
    await freezing.run_freeze(operation_id)
    # And its task queued again, as the sweeper would after a lost job.
    task = await Task.get(function="bulk_freeze")
    await enqueue_task(task)
    await run_chunks(settings)
    await Task.filter(id=task.id).update(status=TaskStatus.PENDING)
    await queue.forget_result(job_id(task))
    await enqueue_task(task)
    await run_chunks(settings)
    row = await BulkOperation.get(id=operation_id)
    assert (row.state, row.total, row.processed, row.succeeded) == ("COMPLETED", 35, 35, 35)
    assert row.target_query is None
    assert await BulkOperationItem.filter(operation_id=operation_id).count() == 35
    assert await BulkOperationChunk.filter(operation_id=operation_id).count() == 4
    tasks = await Task.filter(function="bulk_chunk").order_by("id")
    assert [t.args for t in tasks] == [[operation_id, n] for n in (1, 2, 3, 4)]


async def test_canceled_before_its_freeze_it_ends_with_nothing_frozen(
    api, world, settings, monkeypatch
):
    small_settings(settings, monkeypatch)
    gold = await a_colour(world.organization)
    await seed_contacts(world.organization.id, 12, "Cancel")
    operation = await colour_everyone(api, world, gold, "cancel")
    canceled = await api.as_(world.admin).execute(CANCEL, {"id": operation["id"]})
    assert canceled.ok("bulkOperationCancel")["operation"]["state"] == "CANCELED"
    await run_chunks(settings)
    done = await read(api.as_(world.admin), operation["id"])
    assert (done["state"], done["total"], done["processed"]) == ("CANCELED", 0, 0)
    assert done["finishedAt"]
    assert not await Contact.filter(colour=gold).exists()
    assert await AuditEvent.filter(action="bulk_operation.stop").count() == 1


async def test_a_target_emptied_before_its_freeze_completes_with_nothing(
    api, world, settings, monkeypatch
):
    small_settings(settings, monkeypatch)
    gold = await a_colour(world.organization)
    await seed_contacts(world.organization.id, 8, "Gone")
    operation = await colour_everyone(api, world, gold, "gone")
    await Contact.filter(organization=world.organization).delete()
    await run_chunks(settings)
    done = await read(api.as_(world.agent), operation["id"])
    assert (done["state"], done["total"], done["processed"]) == ("COMPLETED", 0, 0)


async def test_a_freeze_given_up_fails_the_operation(api, world, settings, monkeypatch):
    small_settings(settings, monkeypatch)
    gold = await a_colour(world.organization)
    await seed_contacts(world.organization.id, 8, "Broken")
    operation = await colour_everyone(api, world, gold, "broken")
    await give_up(await Task.get(function="bulk_freeze"), "boom")
    done = await read(api.as_(world.agent), operation["id"])
    assert (done["state"], done["total"]) == ("FAILED", 0)
    assert done["finishedAt"]
    assert (await BulkOperation.get(id=pk(operation["id"]))).target_query is None
    assert await AuditEvent.filter(action="bulk_operation.fail").count() == 1
