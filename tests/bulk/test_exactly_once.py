"""A chunk's effect happens exactly once: chunk jobs run twice, a canceled operation stops
at its next chunk, and the statements a chunk costs do not grow with its size."""

from carnet import queue
from carnet.statements import count_statements
from models.audit import AuditEvent
from models.bulk import BulkChunkState, BulkItemStatus, BulkOperationChunk, BulkOperationItem
from models.contacts import Contact
from models.tasks import Task, TaskStatus
from resolvers.bulk import chunks
from resolvers.common.tasks import enqueue_task, job_id
from tests.bulk.support import CANCEL, COLOUR_SET, operation_row, pk, read, run_chunks
from tests.bulk.test_colour_set import a_colour, colour_input
from tests.support.contacts import new_contact


async def start_on_everyone(api, world, colour, count: int) -> str:
    for index in range(count):
        await new_contact(world.organization, f"Person P{index:03}")
    started = await api.as_(world.agent).execute(
        COLOUR_SET, colour_input(world, {"search": "person"}, colour)
    )
    return started.ok("contactsBulkColourSet")["operation"]["id"]


async def test_every_chunk_job_run_twice_has_the_effect_of_one_run(
    api, world, settings, monkeypatch
):
    monkeypatch.setattr(settings, "bulk_chunk_size", 3)
    gold = await a_colour(world.organization)
    operation_id = await start_on_everyone(api, world, gold, 10)
    first_tasks = await Task.filter(function="bulk_chunk").order_by("id")
    assert [t.args for t in first_tasks] == [[pk(operation_id), n] for n in (1, 2, 3, 4)]
    # A second job for every chunk, queued beside the first: both run.
    for task in first_tasks:
        await enqueue_task(await Task.create(function="bulk_chunk", args=task.args))
    await run_chunks(settings)
    # And every task run again, as if its job had died before recording it was done.
    for task in await Task.filter(function="bulk_chunk"):
        assert task.status is TaskStatus.DONE
        await Task.filter(id=task.id).update(status=TaskStatus.PENDING)
        await queue.forget_result(job_id(task))
        await enqueue_task(task)
    await run_chunks(settings)
    assert await Task.filter(function="bulk_chunk", status=TaskStatus.DONE).count() == 8
    done = await read(api.as_(world.agent), operation_id)
    assert (done["state"], done["total"], done["processed"], done["succeeded"]) == (
        "COMPLETED",
        10,
        10,
        10,
    )
    assert (done["skipped"], done["failed"]) == (0, 0)
    items = await BulkOperationItem.filter(operation_id=pk(operation_id))
    assert {(i.status, i.before["colour_id"], i.after["colour_id"]) for i in items} == {
        (BulkItemStatus.SUCCEEDED, None, gold.id)
    }
    assert await Contact.filter(colour_id=gold.id).count() == 10
    assert await AuditEvent.filter(action="bulk_operation.complete").count() == 1


async def test_cancel_stops_at_the_next_chunk_and_skips_the_rest(api, world, settings, monkeypatch):
    monkeypatch.setattr(settings, "bulk_chunk_size", 4)
    gold = await a_colour(world.organization)
    operation_id = await start_on_everyone(api, world, gold, 10)
    await chunks.run_chunk(pk(operation_id), 1)  # the first chunk ran before the cancel
    admin = api.as_(world.admin)
    canceled = await admin.execute(CANCEL, {"id": operation_id})
    operation = canceled.ok("bulkOperationCancel")["operation"]
    assert (operation["state"], operation["canceledAt"] is not None) == ("CANCELED", True)
    await run_chunks(settings)
    done = await read(admin, operation_id)
    assert (done["state"], done["processed"], done["succeeded"], done["skipped"]) == (
        "CANCELED",
        10,
        4,
        6,
    )
    assert done["finishedAt"]
    assert await Contact.filter(colour_id=gold.id).count() == 4
    skipped = await read(admin, operation_id, status="SKIPPED", first=2)
    assert skipped["results"]["totalCount"] == 6
    assert skipped["results"]["pageInfo"]["hasNextPage"] is True
    assert {e["node"]["reasonCode"] for e in skipped["results"]["edges"]} == {"CANCELED"}
    rest = await read(
        admin, operation_id, status="SKIPPED", after=skipped["results"]["pageInfo"]["endCursor"]
    )
    assert len(rest["results"]["edges"]) == 4
    assert await BulkOperationChunk.filter(state=BulkChunkState.DONE).count() == 3
    again = await admin.execute(CANCEL, {"id": operation_id})
    [error] = again.data["bulkOperationCancel"]["errors"]
    assert (error["code"], error["field"]) == ("ALREADY_FINISHED", ["input", "id"])
    french = await admin.execute(CANCEL, {"id": operation_id}, **{"accept-language": "fr"})
    assert "terminée" in french.data["bulkOperationCancel"]["errors"][0]["message"]
    events = await AuditEvent.filter(action__startswith="bulk_operation").order_by("id")
    assert [e.action for e in events] == [
        "bulk_operation.start",
        "bulk_operation.cancel",
        "bulk_operation.stop",
    ]
    assert events[1].actor_id == world.admin.user.id
    assert (events[2].after["succeeded"], events[2].after["skipped"]) == (4, 6)


async def test_a_completed_operation_cannot_be_canceled(api, world, settings):
    operation_id = await start_on_everyone(api, world, None, 2)
    await run_chunks(settings)
    refused = await api.as_(world.agent).execute(CANCEL, {"id": operation_id})
    assert refused.payload_codes("bulkOperationCancel") == ["ALREADY_FINISHED"]
    assert (await operation_row(operation_id)).state == "COMPLETED"


async def test_the_statements_of_a_chunk_do_not_grow_with_its_size(
    api, world, settings, monkeypatch
):
    gold = await a_colour(world.organization)
    silver = await a_colour(world.organization, "Silver")
    for index in range(60):
        await new_contact(world.organization, f"Person P{index:03}")
    # Half of them start with a colour, so before-values differ within a chunk.
    half = (
        await Contact.filter(organization=world.organization).limit(30).values_list("id", flat=True)
    )
    await Contact.filter(id__in=half).update(colour_id=silver.id)
    counts = {}
    for size in (5, 50):
        monkeypatch.setattr(settings, "bulk_chunk_size", size)
        started = await api.as_(world.agent).execute(
            COLOUR_SET, colour_input(world, {"search": "person"}, gold if size == 5 else silver)
        )
        operation_id = started.ok("contactsBulkColourSet")["operation"]["id"]
        with count_statements() as statements:
            await chunks.run_chunk(pk(operation_id), 1)
        counts[size] = len(statements)
        items = await BulkOperationItem.filter(
            operation_id=pk(operation_id), status__not=BulkItemStatus.PENDING
        ).count()
        assert items == size
    assert counts[5] == counts[50], counts
