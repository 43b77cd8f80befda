"""Chunks that were never enqueued are found by the sweeper; a chunk that keeps failing is
given up: its records FAILED, the operation FAILED once its other chunks are done."""

from dataclasses import replace
from datetime import timedelta

from carnet import queue
from models.bulk import BulkOperationKind
from models.contacts import Contact
from models.tasks import Task, TaskStatus
from resolvers.bulk import actions
from resolvers.common import tasks
from tests.bulk.support import COLOUR_SET, read, run_chunks
from tests.bulk.test_colour_set import a_colour, colour_input
from tests.support.contacts import new_contact


async def start(api, world, colour, count):
    for index in range(count):
        await new_contact(world.organization, f"Person P{index:03}")
    started = await api.as_(world.agent).execute(
        COLOUR_SET, colour_input(world, {"search": "person"}, colour)
    )
    return started.ok("contactsBulkColourSet")["operation"]["id"]


async def test_chunks_never_enqueued_are_run_once_the_sweeper_finds_them(
    api, world, settings, monkeypatch
):
    monkeypatch.setattr(settings, "bulk_chunk_size", 2)
    gold = await a_colour(world.organization)

    async def redis_down(*args, **kwargs):
        return False

    with monkeypatch.context() as outage:
        outage.setattr(queue, "enqueue", redis_down)
        operation_id = await start(api, world, gold, 5)
    assert await Task.filter(function="bulk_chunk", enqueued_at=None).count() == 3
    await run_chunks(settings)
    assert (await read(api.as_(world.agent), operation_id))["state"] == "CREATED"
    swept = await tasks.sweep(
        never_enqueued_after=timedelta(0), stalled_after=timedelta(hours=1), max_attempts=12
    )
    assert swept == 3
    await run_chunks(settings)
    done = await read(api.as_(world.agent), operation_id)
    assert (done["state"], done["processed"], done["succeeded"]) == ("COMPLETED", 5, 5)
    assert await Contact.filter(colour_id=gold.id).count() == 5


async def test_a_chunk_failing_on_every_try_is_given_up_and_the_operation_fails(
    api, world, settings, monkeypatch
):
    monkeypatch.setattr(settings, "bulk_chunk_size", 2)
    monkeypatch.setattr(settings, "job_max_tries", 1)
    gold = await a_colour(world.organization)
    operation_id = await start(api, world, gold, 4)
    kind = BulkOperationKind.CONTACT_COLOUR_SET
    colour_set = actions.action_for(kind)

    async def fails_on_the_second_chunk(context, record_ids):
        if await Contact.filter(id__in=record_ids, first_name="Person", last_name="P003"):
            raise RuntimeError("the database said no")
        return await colour_set.apply(context, record_ids)

    monkeypatch.setitem(
        actions._ACTIONS, kind, replace(colour_set, apply=fails_on_the_second_chunk)
    )
    await run_chunks(settings)
    done = await read(api.as_(world.agent), operation_id)
    assert (done["state"], done["processed"], done["succeeded"], done["failed"]) == (
        "FAILED",
        4,
        2,
        2,
    )
    failed = await read(api.as_(world.agent), operation_id, status="FAILED")
    assert {e["node"]["reasonCode"] for e in failed["results"]["edges"]} == {"CHUNK_FAILED"}
    statuses = (
        await Task.filter(function="bulk_chunk").order_by("id").values_list("status", flat=True)
    )
    assert statuses == [TaskStatus.DONE, TaskStatus.FAILED]
    # Nothing of the failed chunk was written: its transaction rolled back.
    assert await Contact.filter(colour_id=gold.id).count() == 2
