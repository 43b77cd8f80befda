"""A worker SIGKILLed in the middle of a 20,000-contact contactsBulkColourSet, and another
started after it: every record is processed exactly once and the counts are exact.

Real `carnet worker` subprocesses (tests/support/live_worker.py) on the run's database and
Redis. The killed worker's jobs under way stay in arq's queue; once their in-progress
marks expire (the job timeout, made short here, plus 10 s) the next worker runs them again,
and each finds its chunk either committed (DONE: nothing to do) or rolled back (PENDING).
"""

from __future__ import annotations

import asyncio
import os
import signal

from tortoise import connections

from models.bulk import (
    BulkChunkState,
    BulkItemStatus,
    BulkOperation,
    BulkOperationChunk,
    BulkOperationItem,
)
from models.contacts import Contact
from resolvers.common.time import now
from tests.bulk.support import COLOUR_SET, pk
from tests.bulk.test_colour_set import a_colour, colour_input
from tests.support.live_worker import live_worker

CONTACTS = 20_000
CHUNK_SIZE = 100
JOB_TIMEOUT_SECONDS = 3
KILL_AFTER_CHUNKS = 5
WAIT_SECONDS = 180


async def seed_contacts(organization_id: int, count: int, name: str) -> None:
    """`count` contacts "<name> P<n>", in one INSERT … SELECT."""
    connection = connections.get("default")
    postgres = connection.capabilities.dialect == "postgres"
    slot = "$1" if postgres else "?"
    await connection.execute_query(
        "INSERT INTO contact (created_at, updated_at, organization_id, kind, first_name, "
        "last_name, organization_name, sort_name, search_text, locale, address_line1, "
        "address_line2, city, region, postal_code, country, notes, source, do_not_contact, "
        "email_consent, sms_consent) "
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < "
        f"{int(count)}) SELECT {slot}, {slot}, {int(organization_id)}, 'PERSON', '{name}', "
        f"'P' || i, '', 'p' || i, '{name.lower()} p' || i, 'en', '', '', '', '', '', '', '', "
        "'STAFF_ENTRY', FALSE, 'NOT_ASKED', 'NOT_ASKED' FROM n",
        [now()] if postgres else [now(), now()],
    )


async def chunks_done(operation_id: int) -> int:
    return await BulkOperationChunk.filter(
        operation_id=operation_id, state=BulkChunkState.DONE
    ).count()


async def chunks_done_at_least(operation_id: int, count: int) -> bool:
    return await chunks_done(operation_id) >= count


async def finished(operation_id: int) -> bool:
    return (await BulkOperation.get(id=operation_id)).finished_at is not None


async def until(condition, interval: float) -> None:
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            if await condition():
                return
            await asyncio.sleep(interval)


async def test_a_killed_worker_leaves_every_record_processed_exactly_once(
    api, world, settings, monkeypatch
):
    monkeypatch.setattr(settings, "bulk_chunk_size", CHUNK_SIZE)
    gold = await a_colour(world.organization)
    await seed_contacts(world.organization.id, CONTACTS, "Kill")
    await seed_contacts(world.other_organization.id, 50, "Kill")
    started = await api.as_(world.agent).execute(
        COLOUR_SET, colour_input(world, {"search": "kill"}, gold)
    )
    # A target this large is frozen by the operation's first job (a bulk_freeze task):
    # its total is checked once the operation has finished.
    operation_id = pk(started.ok("contactsBulkColourSet")["operation"]["id"])
    chunk_count = CONTACTS // CHUNK_SIZE
    worker_settings = settings.model_copy(update={"job_timeout_seconds": JOB_TIMEOUT_SECONDS})
    with live_worker(worker_settings, "killed") as doomed:
        await until(lambda: chunks_done_at_least(operation_id, KILL_AFTER_CHUNKS), 0.01)
        os.kill(doomed.process.pid, signal.SIGKILL)
        doomed.process.wait()
    done_when_killed = await chunks_done(operation_id)
    assert done_when_killed < chunk_count, "the worker finished before it was killed"
    with live_worker(worker_settings, "resumed"):
        await until(lambda: finished(operation_id), 0.2)
    operation = await BulkOperation.get(id=operation_id)
    assert operation.state == "COMPLETED"
    assert (operation.total, operation.processed, operation.succeeded) == (
        CONTACTS,
        CONTACTS,
        CONTACTS,
    )
    assert (operation.skipped, operation.failed) == (0, 0)
    assert await chunks_done(operation_id) == chunk_count
    statuses = await BulkOperationItem.filter(operation_id=operation_id).values_list(
        "status", flat=True
    )
    assert len(statuses) == CONTACTS and set(statuses) == {BulkItemStatus.SUCCEEDED}
    assert await Contact.filter(organization=world.organization, colour_id=gold.id).count() == (
        CONTACTS
    )
    assert (
        not await Contact.filter(organization=world.other_organization)
        .exclude(colour_id=None)
        .exists()
    )
