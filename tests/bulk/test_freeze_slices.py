"""A large target is frozen in slices, one `bulk_freeze` job each (keyset on the record
id): the same items and counts as one freeze, chunks of early slices run while later ones
freeze, a slice run twice freezes once, a slice lost between two is found by the
sweeper, and a cancel stops the freeze at its next slice."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import pytest

from carnet import queue
from models.bulk import BulkOperation, BulkOperationChunk, BulkOperationItem
from models.colours import Colour
from models.contacts import Contact
from models.tasks import Task
from resolvers.bulk import chunks, freezing
from resolvers.common import tasks
from resolvers.common.tasks import give_up
from tests.bulk.support import CANCEL, pk, read, run_chunks
from tests.bulk.test_colour_set import a_colour
from tests.bulk.test_freeze_later import colour_everyone
from tests.bulk.test_kill_and_resume import seed_contacts

SLICE = 7


def sliced_settings(settings, monkeypatch, slice_size: int = SLICE) -> None:
    monkeypatch.setattr(settings, "bulk_freeze_in_request_max", 5)
    monkeypatch.setattr(settings, "bulk_chunk_size", 10)
    monkeypatch.setattr(settings, "bulk_freeze_slice_size", slice_size)


async def seed_interleaved(world) -> None:
    """35 contacts named "Slice" whose ids are not contiguous: 10 others in between."""
    await seed_contacts(world.organization.id, 20, "Slice")
    await seed_contacts(world.organization.id, 10, "Other")
    await seed_contacts(world.organization.id, 15, "Slice")


async def items(operation_id: int) -> list[tuple[int, int]]:
    rows = BulkOperationItem.filter(operation_id=operation_id).order_by("position")
    return [tuple(row) for row in await rows.values_list("position", "record_id")]


async def freeze_all(operation_id: int) -> int:
    """Runs the freeze's slices one after the other, in process; how many slices ran."""
    number = 1
    while (await BulkOperation.get(id=operation_id)).target_query is not None:
        await freezing.run_freeze(operation_id, number)
        number += 1
    return number - 1


@dataclass(frozen=True)
class Sliced:
    gold: Colour
    gid: str  # the operation's, as the API names it
    id: int


@pytest.fixture
async def sliced(api, world, settings, monkeypatch) -> Sliced:
    """Gold set on the 35 "Slice" contacts, to freeze in slices of 7: the request made,
    no slice run yet."""
    sliced_settings(settings, monkeypatch)
    gold = await a_colour(world.organization)
    await seed_interleaved(world)
    operation = await colour_everyone(api, world, gold, "slice")
    return Sliced(gold, operation["id"], pk(operation["id"]))


@contextmanager
def nothing_enqueued(monkeypatch) -> Iterator[None]:
    """Tasks are written but never sent to redis: the jobs are run by hand here (or their
    worker dies before it enqueues anything)."""
    with monkeypatch.context() as no_redis:
        no_redis.setattr(queue, "enqueue", _not_enqueued)
        yield


async def test_a_target_frozen_in_slices_has_the_items_and_counts_of_one_freeze(
    api, world, settings, monkeypatch
):
    gold = await a_colour(world.organization)
    await seed_interleaved(world)
    sliced_settings(settings, monkeypatch, slice_size=1000)
    whole = pk((await colour_everyone(api, world, gold, "slice"))["id"])
    sliced = pk((await colour_everyone(api, world, gold, "slice"))["id"])
    with nothing_enqueued(monkeypatch):
        assert await freeze_all(whole) == 1
        monkeypatch.setattr(settings, "bulk_freeze_slice_size", SLICE)
        assert await freeze_all(sliced) == 6  # 5 slices of 7, then one finding nothing
    expected = await items(whole)
    assert len(expected) == 35
    assert [p for p, _ in expected] == list(range(1, 36))
    assert await items(sliced) == expected
    # Chunks never straddle a slice, and cover every position once, in order.
    cut = await BulkOperationChunk.filter(operation_id=sliced).order_by("number")
    assert [(c.number, c.first_position, c.last_position) for c in cut] == [
        (n, 7 * n - 6, 7 * n) for n in range(1, 6)
    ]
    row = await BulkOperation.get(id=sliced)
    assert (row.total, row.target_query) == (35, None)
    await _run_chunk_tasks(sliced)  # (the other would find them all gold already)
    done = await read(api.as_(world.agent), _gid(sliced))
    assert (done["state"], done["total"], done["processed"], done["succeeded"]) == (
        "COMPLETED", 35, 35, 35,
    )
    assert await Contact.filter(organization=world.organization, colour=gold).count() == 35


async def test_sliced_freeze_through_the_worker(api, world, settings, sliced):
    await run_chunks(settings)
    done = await read(api.as_(world.agent), sliced.gid)
    assert (done["state"], done["total"], done["processed"], done["succeeded"]) == (
        "COMPLETED", 35, 35, 35,
    )
    assert await Contact.filter(colour=sliced.gold).count() == 35
    assert await BulkOperationItem.filter(operation_id=sliced.id).count() == 35


async def test_chunks_of_early_slices_run_before_the_rest_is_frozen(sliced, monkeypatch):
    operation_id = sliced.id
    with nothing_enqueued(monkeypatch):
        await freezing.run_freeze(operation_id, 1)
        await chunks.run_chunk(operation_id, 1)
        # All that is frozen is done, but the freeze goes on: not finished.
        row = await BulkOperation.get(id=operation_id)
        assert (row.state, row.total, row.processed, row.finished_at) == ("RUNNING", 7, 7, None)
        await freeze_all(operation_id)
    await _run_chunk_tasks(operation_id)
    row = await BulkOperation.get(id=operation_id)
    assert (row.state, row.total, row.processed, row.succeeded) == ("COMPLETED", 35, 35, 35)


async def test_a_slice_run_twice_freezes_once(sliced, monkeypatch):
    operation_id = sliced.id
    with nothing_enqueued(monkeypatch):
        for number in range(1, 7):
            await freezing.run_freeze(operation_id, number)
            await freezing.run_freeze(operation_id, number)
            await freezing.run_freeze(operation_id, 1)  # an old slice, late
    assert [p for p, _ in await items(operation_id)] == list(range(1, 36))
    assert await BulkOperationChunk.filter(operation_id=operation_id).count() == 5
    chunk_tasks = await Task.filter(function="bulk_chunk").order_by("id")
    assert [t.args for t in chunk_tasks] == [[operation_id, n] for n in range(1, 6)]
    freeze_tasks = await Task.filter(function="bulk_freeze").order_by("id")
    assert [t.args for t in freeze_tasks][1:] == [[operation_id, n] for n in range(2, 7)]
    await _run_chunk_tasks(operation_id)
    row = await BulkOperation.get(id=operation_id)
    assert (row.state, row.total, row.processed, row.succeeded) == ("COMPLETED", 35, 35, 35)


async def test_a_freeze_killed_between_slices_is_resumed_by_the_sweeper(
    api, world, settings, sliced, monkeypatch
):
    operation_id = sliced.id
    # Slice 1 commits, then its worker dies before it enqueues anything (slice 2, chunk 1).
    with nothing_enqueued(monkeypatch):
        await freezing.run_freeze(operation_id, 1)
    lost = await Task.filter(enqueued_at=None).values_list("function", "args")
    assert sorted(lost) == [("bulk_chunk", [operation_id, 1]), ("bulk_freeze", [operation_id, 2])]
    await run_chunks(settings)
    assert (await BulkOperation.get(id=operation_id)).total == 7  # nothing ran since
    swept = await tasks.sweep(
        never_enqueued_after=timedelta(0), stalled_after=timedelta(hours=1), max_attempts=12
    )
    assert swept == 2
    await run_chunks(settings)
    done = await read(api.as_(world.agent), sliced.gid)
    assert (done["state"], done["total"], done["processed"], done["succeeded"]) == (
        "COMPLETED", 35, 35, 35,
    )
    assert await Contact.filter(colour=sliced.gold).count() == 35


async def test_a_cancel_stops_the_freeze_at_its_next_slice(
    api, world, settings, sliced, monkeypatch
):
    operation_id = sliced.id
    with nothing_enqueued(monkeypatch):
        await freezing.run_freeze(operation_id, 1)
        await freezing.run_freeze(operation_id, 2)
    canceled = await api.as_(world.admin).execute(CANCEL, {"id": sliced.gid})
    assert canceled.ok("bulkOperationCancel")["operation"]["state"] == "CANCELED"
    await tasks.sweep(
        never_enqueued_after=timedelta(0), stalled_after=timedelta(hours=1), max_attempts=12
    )
    await run_chunks(settings)
    done = await read(api.as_(world.admin), sliced.gid)
    assert (done["state"], done["total"], done["processed"], done["skipped"]) == (
        "CANCELED", 14, 14, 14,
    )
    assert done["finishedAt"]
    assert (await BulkOperation.get(id=operation_id)).target_query is None
    assert await BulkOperationItem.filter(operation_id=operation_id).count() == 14
    assert not await Contact.filter(colour=sliced.gold).exists()


async def _not_enqueued(*args, **kwargs):
    return False


async def _run_chunk_tasks(operation_id: int) -> None:
    """Every chunk of the operation's, in process, as their jobs would."""
    numbers = await BulkOperationChunk.filter(operation_id=operation_id).values_list(
        "number", flat=True
    )
    for number in sorted(numbers):
        await chunks.run_chunk(operation_id, number)


def _gid(operation_id: int) -> str:
    from schema import ids

    return ids.encode("BulkOperation", operation_id)


async def test_a_slice_given_up_fails_the_operation_after_what_was_frozen(
    api, world, sliced, monkeypatch
):
    operation_id = sliced.id
    with nothing_enqueued(monkeypatch):
        await freezing.run_freeze(operation_id, 1)
    [second] = [t for t in await Task.filter(function="bulk_freeze") if t.args[1:] == [2]]
    await give_up(second, "boom")
    assert (await BulkOperation.get(id=operation_id)).finished_at is None  # chunk 1 to run
    await _run_chunk_tasks(operation_id)
    done = await read(api.as_(world.agent), sliced.gid)
    assert (done["state"], done["total"], done["processed"], done["succeeded"]) == (
        "FAILED", 7, 7, 7,
    )
    assert done["finishedAt"]
    assert (await BulkOperation.get(id=operation_id)).target_query is None
    assert await Contact.filter(colour=sliced.gold).count() == 7
