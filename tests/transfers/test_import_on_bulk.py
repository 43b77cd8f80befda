"""Contact imports run on the bulk-operation engine: the import's operation is exposed
(`ContactImport.operation`), its items are the file's rows with their outcome, its chunks
run in row order as `bulk_chunk` jobs, exactly once, and it can be followed
(`bulkOperationProgress`, or polling) and canceled (`bulkOperationCancel`)."""

from __future__ import annotations

import asyncio
import os

import pytest

from carnet import queue
from carnet.statements import count_statements
from models.audit import AuditEvent
from models.bulk import BulkChunkState, BulkOperationChunk
from models.contacts import Contact
from models.groups import GroupMember
from models.tasks import Task, TaskStatus
from models.transfers import ContactImport, ContactImportRowError
from resolvers.bulk import chunks, turns
from resolvers.common.actor import RequestMeta
from resolvers.common.tasks import enqueue_task, job_id
from resolvers.identity.sessions import authenticate
from resolvers.transfers import import_job
from resolvers.transfers.import_writer import ChunkWriter
from schema import build_schema, ids
from schema.context import Context
from tests.support.worker import run_worker
from tests.transfers.test_import import upload

OPERATION = """operation { id kind state recordType total processed succeeded skipped
  failed canceledAt finishedAt }"""
READ = f"""query($id: ID!) {{ contactImport(id: $id) {{
  id status processedRows createdCount updatedCount skippedCount errorCount failure
  {OPERATION} }} }}"""
RESULTS = """query($id: ID!, $status: BulkOperationResultStatus) { bulkOperation(id: $id) {
  results(status: $status, first: 50) { totalCount
    edges { node { recordId status reasonCode message } } } } }"""
CANCEL = """mutation($id: ID!) { bulkOperationCancel(input: {id: $id}) {
  operation { id state } errors { code field message } } }"""
PROGRESS = """subscription($id: ID!) { bulkOperationProgress(id: $id) {
  state total processed succeeded skipped failed finished } }"""


async def started(api, world, csv: str, member=None) -> tuple[int, int, str]:
    """Uploads: (import pk, operation pk, import global id)."""
    result = await upload(api, member or world.admin, world, csv)
    gid = result.ok("contactsImport")["contactImport"]["id"]
    state = await ContactImport.get(id=ids.decode(gid)[1])
    return state.id, state.operation_id, gid


async def read(api, member, gid: str, **headers) -> dict:
    result = await api.as_(member).execute(READ, {"id": gid}, **headers)
    assert not result.errors, result.errors
    return result.data["contactImport"]


async def test_rows_are_the_operations_records_with_their_outcome(
    api, world, settings, monkeypatch
):
    monkeypatch.setattr(import_job, "CHUNK_ROWS", 2)
    await Contact.create(
        organization=world.organization, first_name="Old", last_name="", email="a@example.test",
        sort_name="old",
    )
    csv = (
        "First name,Email\n"
        "Ann,a@example.test\n"  # Old has a first name already (FILL_BLANKS): UNCHANGED
        "Bea,b@example.test\n"  # CREATED
        ",\n"  # BLANK
        "Cat,not-an-email\n"  # INVALID_EMAIL
        "Bea again,b@example.test\n"  # matches row 2's new contact: UNCHANGED
    )
    import_id, operation_id, gid = await started(api, world, csv)
    before = await read(api, world.admin, gid)
    assert before["status"] == "PENDING"
    assert before["operation"]["kind"] == "CONTACT_IMPORT"
    assert before["operation"]["recordType"] == "import_row"
    assert (before["operation"]["state"], before["operation"]["total"]) == ("CREATED", 5)
    await run_worker(settings)
    done = await read(api, world.admin, gid)
    assert (done["status"], done["processedRows"], done["createdCount"]) == ("DONE", 5, 1)
    assert (done["skippedCount"], done["errorCount"]) == (3, 1)
    operation = done["operation"]
    assert (operation["state"], operation["processed"], operation["succeeded"]) == (
        "COMPLETED",
        5,
        1,
    )
    assert (operation["skipped"], operation["failed"]) == (3, 1)
    results = await api.as_(world.admin).execute(RESULTS, {"id": operation["id"]})
    edges = results.data["bulkOperation"]["results"]["edges"]
    assert [(ids.decode(e["node"]["recordId"]), e["node"]["status"], e["node"]["reasonCode"])
            for e in edges] == [
        (("ContactImportRow", 1), "SKIPPED", "UNCHANGED"),
        (("ContactImportRow", 2), "SUCCEEDED", "CREATED"),
        (("ContactImportRow", 3), "SKIPPED", "BLANK"),
        (("ContactImportRow", 4), "FAILED", "INVALID_EMAIL"),
        (("ContactImportRow", 5), "SKIPPED", "UNCHANGED"),
    ]
    french = await api.as_(world.admin).execute(
        RESULTS, {"id": operation["id"], "status": "FAILED"}, **{"accept-language": "fr"}
    )
    [failed] = french.data["bulkOperation"]["results"]["edges"]
    assert failed["node"]["message"].startswith("Cette ligne n’a pas été importée")
    assert await ContactImportRowError.filter(contact_import_id=import_id).count() == 1
    # Chunks ran in row order, each queued by the one before.
    tasks = await Task.filter(function="bulk_chunk").order_by("id")
    assert [t.args for t in tasks] == [[operation_id, n] for n in (1, 2, 3)]


async def test_every_chunk_job_run_twice_imports_each_row_once(
    api, world, settings, monkeypatch
):
    monkeypatch.setattr(import_job, "CHUNK_ROWS", 4)
    csv = "First name,Email,Groups\n" + "".join(
        f"P{i},p{i % 9}@example.test,G{i % 2}\n" for i in range(14)
    )
    import_id, operation_id, gid = await started(api, world, csv)
    await run_worker(settings)
    tasks = await Task.filter(function="bulk_chunk").order_by("id")
    assert len(tasks) == 4
    # Every chunk's job queued twice more and run, as a retry or a re-enqueue would.
    for task in tasks:
        await enqueue_task(await Task.create(function="bulk_chunk", args=task.args))
        await Task.filter(id=task.id).update(status=TaskStatus.PENDING)
        await queue.forget_result(job_id(task))
        await enqueue_task(task)
    await run_worker(settings)
    assert await Task.filter(function="bulk_chunk", status=TaskStatus.DONE).count() == 8
    done = await read(api, world.admin, gid)
    assert (done["status"], done["processedRows"], done["createdCount"]) == ("DONE", 14, 9)
    assert done["updatedCount"] + done["skippedCount"] == 5
    assert (done["operation"]["processed"], done["operation"]["skipped"]) == (
        14,
        done["skippedCount"],
    )
    assert done["operation"]["succeeded"] == done["createdCount"] + done["updatedCount"]
    assert await Contact.filter(organization=world.organization).count() == 9
    # p0..p8 in the group of their first row; p0..p4 come back in another one (i + 9).
    assert await GroupMember.all().count() == 9 + 5
    assert await AuditEvent.filter(action="contact.create").count() == 9
    assert await AuditEvent.filter(action="contact.import.finished").count() == 1
    assert await AuditEvent.filter(action="bulk_operation.complete").count() == 1


async def test_cancel_mid_import_keeps_the_rows_before_and_skips_the_rest(
    api, world, settings, monkeypatch
):
    monkeypatch.setattr(import_job, "CHUNK_ROWS", 2)
    csv = "Email\n" + "".join(f"p{i}@example.test\n" for i in range(7))
    import_id, operation_id, gid = await started(api, world, csv)
    await chunks.run_chunk(operation_id, 1)  # the first chunk ran before the cancel
    running = await read(api, world.admin, gid)
    assert (running["status"], running["processedRows"]) == ("RUNNING", 2)
    assert running["operation"]["state"] == "RUNNING"
    operation_gid = running["operation"]["id"]
    # The import's own permission is needed besides bulk.run: an agent has only bulk.run.
    refused = await api.as_(world.agent).execute(CANCEL, {"id": operation_gid})
    assert refused.error_codes == ["FORBIDDEN"]
    outsider = await api.as_(world.outsider).execute(CANCEL, {"id": operation_gid})
    assert "NOT_FOUND" in outsider.error_codes + outsider.payload_codes("bulkOperationCancel")
    canceled = await api.as_(world.admin).execute(CANCEL, {"id": operation_gid})
    assert canceled.ok("bulkOperationCancel")["operation"]["state"] == "CANCELED"
    await run_worker(settings)
    done = await read(api, world.admin, gid, **{"accept-language": "fr"})
    # The rows canceled were never read: the operation counts them (SKIPPED), the import not.
    assert (done["status"], done["processedRows"], done["createdCount"]) == ("FAILED", 2, 2)
    assert done["failure"].startswith("L’importation a été annulée")
    operation = done["operation"]
    assert (operation["state"], operation["processed"], operation["succeeded"]) == (
        "CANCELED",
        7,
        2,
    )
    assert operation["skipped"] == 5 and operation["finishedAt"]
    assert await Contact.filter(organization=world.organization).count() == 2
    assert await AuditEvent.filter(action="contact.import.canceled").count() == 1
    again = await api.as_(world.admin).execute(CANCEL, {"id": operation_gid})
    assert again.payload_codes("bulkOperationCancel") == ["ALREADY_FINISHED"]


async def test_a_chunk_given_up_fails_the_import_and_the_chunks_after_it(
    api, world, settings, monkeypatch
):
    monkeypatch.setattr(import_job, "CHUNK_ROWS", 2)
    monkeypatch.setattr(settings, "job_max_tries", 1)
    csv = "Email\n" + "".join(f"p{i}@example.test\n" for i in range(6))
    import_id, operation_id, gid = await started(api, world, csv)
    await chunks.run_chunk(operation_id, 1)
    real_write = ChunkWriter.write

    async def broken(*args):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(ChunkWriter, "write", broken)
    await run_worker(settings)
    monkeypatch.setattr(ChunkWriter, "write", real_write)
    done = await read(api, world.admin, gid)
    assert (done["status"], done["createdCount"]) == ("FAILED", 2)
    assert done["failure"].startswith("The import stopped after repeated errors")
    assert (done["operation"]["state"], done["operation"]["failed"]) == ("FAILED", 4)
    states = await BulkOperationChunk.filter(operation_id=operation_id).order_by("number")
    assert [c.state for c in states] == [
        BulkChunkState.DONE,
        BulkChunkState.FAILED,
        BulkChunkState.FAILED,
    ]
    assert await AuditEvent.filter(action="contact.import.failed").count() == 1


async def test_progress_is_followed_by_subscription_and_polling(
    api, world, settings, monkeypatch
):
    monkeypatch.setattr(import_job, "CHUNK_ROWS", 3)
    csv = "Email\n" + "".join(f"p{i}@example.test\n" for i in range(7))
    import_id, operation_id, gid = await started(api, world, csv)
    operation_gid = (await read(api, world.admin, gid))["operation"]["id"]
    context = Context(settings=settings, meta=RequestMeta(request_id="ws-test"))
    session = await authenticate(world.admin.token)
    context.session, context.user = session, session.user
    stream = await build_schema(settings).subscribe(
        PROGRESS, variable_values={"id": operation_gid}, context_value=context
    )
    seen = []
    try:
        first = await asyncio.wait_for(anext(stream), 10)
        seen.append(first.data["bulkOperationProgress"])
        for number in (1, 2, 3):
            await chunks.run_chunk(operation_id, number)  # publishes after its commit
            event = await asyncio.wait_for(anext(stream), 10)
            seen.append(event.data["bulkOperationProgress"])
            polled = await read(api, world.admin, gid)
            assert polled["operation"]["processed"] == polled["processedRows"]
    finally:
        await stream.aclose()
    assert [(s["state"], s["processed"], s["finished"]) for s in seen] == [
        ("CREATED", 0, False),
        ("RUNNING", 3, False),
        ("RUNNING", 6, False),
        ("COMPLETED", 7, True),
    ]
    assert (await ContactImport.get(id=import_id)).status == "DONE"


async def test_the_operation_needs_bulk_run_besides_imports(api, world, settings):
    import_id, operation_id, gid = await started(api, world, "Email\na@example.test\n")
    await run_worker(settings)
    # Reading the import itself needs contacts.import_export only.
    query = "query($id: ID!) { contactImport(id: $id) { id status operation { id } } }"
    admin = await api.as_(world.admin).execute(query, {"id": gid})
    assert admin.data["contactImport"]["operation"]["id"] == ids.encode(
        "BulkOperation", operation_id
    )
    outsider = await api.as_(world.outsider).execute(query, {"id": gid})
    assert "NOT_FOUND" in outsider.error_codes or outsider.data["contactImport"] is None


async def test_starting_an_import_costs_statements_independent_of_its_rows(
    api, world, settings
):
    counts = []
    for rows in (3, 300):
        csv = "Email\n" + "".join(f"p{i}@example.test\n" for i in range(rows))
        with count_statements() as statements:
            await started(api, world, csv)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


async def test_an_export_exposes_its_operation_too(api, world, settings):
    await Contact.create(
        organization=world.organization, first_name="Ann", last_name="Roy", sort_name="roy, ann"
    )
    started = await api.as_(world.admin).execute(
        """mutation($o: ID!) { contactsExport(input: {organizationId: $o}) {
          export { id operation { id } } errors { code } } }""",
        {"o": world.org_gid},
    )
    export = started.ok("contactsExport")["export"]
    assert export["operation"] is None  # the build has not started
    await run_worker(settings)
    query = """query($id: ID!) { contactExport(id: $id) { status rowCount
      operation { kind state total processed succeeded } } }"""
    done = await api.as_(world.admin).execute(query, {"id": export["id"]})
    assert done.data["contactExport"] == {
        "status": "DONE",
        "rowCount": 1,
        "operation": {
            "kind": "CONTACT_EXPORT",
            "state": "COMPLETED",
            "total": 1,
            "processed": 1,
            "succeeded": 1,
        },
    }


postgres_only = pytest.mark.skipif(
    not os.environ.get("CARNET_TEST_DATABASE_URL"),
    reason="two chunks run at once on PostgreSQL only (SQLite: one writer, one chunk at a "
    "time); the PostgreSQL leg runs this",
)


def stop_at_turn(monkeypatch, number: int = 2) -> asyncio.Event:
    """An event set when chunk `number` reaches its turn (`turns.Turn`): written ahead,
    it waits for the chunk before it."""
    at_turn = asyncio.Event()
    real_turn = turns.Turn.__call__

    async def turn(self):
        if self.number == number:
            at_turn.set()
        await real_turn(self)

    monkeypatch.setattr(turns.Turn, "__call__", turn)
    return at_turn


@postgres_only
async def test_a_chunk_run_beside_the_one_before_matches_the_rows_it_wrote(
    api, world, monkeypatch
):
    """Chunk 2 writes its rows while chunk 1 has not committed, finds at its turn that one
    of them matches a contact chunk 1 created, and is run again after it: one contact per
    address, as one chunk after the other would have left."""
    monkeypatch.setattr(import_job, "CHUNK_ROWS", 2)
    csv = (
        "First name,Email,City\n"
        "Ann,a@example.test,\n"
        "Bea,b@example.test,\n"
        "Ann,a@example.test,Laval\n"  # chunk 2: row 1's contact, its city filled
        "Dan,d@example.test,\n"
    )
    _, operation_id, gid = await started(api, world, csv)
    at_turn = stop_at_turn(monkeypatch)
    real_record = chunks._record

    async def record(chunk, *args):
        if chunk.number == 1:
            await asyncio.wait_for(at_turn.wait(), 30)  # chunk 2 has written its rows
        return await real_record(chunk, *args)

    matched_after_writing = []
    real_any_match = ChunkWriter._any_match

    async def any_match(self, rows):
        matched_after_writing.append(await real_any_match(self, rows))
        return matched_after_writing[-1]

    monkeypatch.setattr(chunks, "_record", record)
    monkeypatch.setattr(ChunkWriter, "_any_match", any_match)
    await asyncio.wait_for(
        asyncio.gather(chunks.run_chunk(operation_id, 1), chunks.run_chunk(operation_id, 2)), 60
    )
    assert matched_after_writing == [True]  # chunk 2's first run, rolled back
    done = await read(api, world.admin, gid)
    assert (done["status"], done["createdCount"], done["updatedCount"]) == ("DONE", 3, 1)
    ann = await Contact.get(email="a@example.test")
    assert ann.city == "Laval"
    assert await Contact.filter(organization=world.organization).count() == 3
    assert await AuditEvent.filter(action="contact.create").count() == 3


@postgres_only
async def test_a_chunk_waiting_for_one_given_up_fails_with_it(api, world, monkeypatch):
    """Chunk 2 has written its rows and waits for chunk 1, which is given up: chunk 2 rolls
    back and fails, and so does chunk 3, not started yet; the import is FAILED."""
    monkeypatch.setattr(import_job, "CHUNK_ROWS", 2)
    csv = "First name,Email\n" + "".join(f"P{n},p{n}@example.test\n" for n in range(1, 6))
    import_id, operation_id, gid = await started(api, world, csv)
    waiting = stop_at_turn(monkeypatch)

    second = asyncio.ensure_future(chunks.run_chunk(operation_id, 2))
    await asyncio.wait_for(waiting.wait(), 30)
    await chunks.fail_chunk(operation_id, 1)  # what giving chunk 1's task up does
    await asyncio.wait_for(second, 30)
    states = await BulkOperationChunk.filter(operation_id=operation_id).order_by("number")
    assert [c.state for c in states] == [BulkChunkState.FAILED] * 3
    done = await read(api, world.admin, gid)
    assert (done["status"], done["operation"]["state"], done["operation"]["failed"]) == (
        "FAILED",
        "FAILED",
        5,
    )
    assert await Contact.filter(organization=world.organization).count() == 0
    assert await ContactImport.filter(id=import_id, created_count=0).exists()


@postgres_only
async def test_a_chunk_whose_turn_does_not_come_is_queued_again_not_kept_waiting(
    api, world, settings, monkeypatch
):
    """Chunk 2 runs while chunk 1's job is not running (waiting for a retry, or for the
    sweeper after its worker died): after a run's budget chunk 2 rolls back and is queued
    again as a new task, without spending a try; once chunk 1 has run, it runs."""
    monkeypatch.setattr(import_job, "CHUNK_ROWS", 2)
    monkeypatch.setattr(turns, "run_budget_seconds", lambda: 0.2)
    csv = "First name,Email,Groups\n" + "".join(
        f"P{n},p{n}@example.test,Team\n" for n in range(1, 5)
    )
    _, operation_id, gid = await started(api, world, csv)
    await asyncio.wait_for(chunks.run_chunk(operation_id, 2), 30)
    assert await Contact.filter(organization=world.organization).count() == 0
    states = await BulkOperationChunk.filter(operation_id=operation_id).order_by("number")
    assert [c.state for c in states] == [BulkChunkState.PENDING] * 2
    again = await Task.filter(function="bulk_chunk", args=[operation_id, 2]).count()
    assert again == 2  # queued with the import, and once more

    await run_worker(settings)
    done = await read(api, world.admin, gid)
    assert (done["status"], done["createdCount"], done["operation"]["state"]) == (
        "DONE",
        4,
        "COMPLETED",
    )
    assert await Task.filter(function="bulk_chunk", status=TaskStatus.FAILED).count() == 0


@postgres_only
async def test_a_chunk_linking_the_importer_does_not_wait_for_the_next_one(
    api, world, monkeypatch
):
    """Chunk 1 creates a contact with the importer's own address and links it to their
    login (the user's row locked) while chunk 2, written ahead, waits for its turn: chunk
    2's audit events and consent records refer to that same user, and the lock must not
    wait for them (chunk 2 would give up its turn after a run's budget, and start over)."""
    monkeypatch.setattr(import_job, "CHUNK_ROWS", 2)
    monkeypatch.setattr(turns, "run_budget_seconds", lambda: 20)
    csv = (
        "First name,Email\n"
        f"Me,{world.admin.user.email}\n"
        "Bea,b@example.test\n"
        "Cat,c@example.test\n"
        "Dan,d@example.test\n"
    )
    _, operation_id, gid = await started(api, world, csv)
    at_turn = stop_at_turn(monkeypatch)
    real_link = ChunkWriter._link_verified_users

    async def link(self):
        if self.state.id and not at_turn.is_set():
            await asyncio.wait_for(at_turn.wait(), 30)  # chunk 2 has written its rows
        await real_link(self)

    monkeypatch.setattr(ChunkWriter, "_link_verified_users", link)
    started_at = asyncio.get_running_loop().time()
    await asyncio.wait_for(
        asyncio.gather(chunks.run_chunk(operation_id, 1), chunks.run_chunk(operation_id, 2)), 60
    )
    assert asyncio.get_running_loop().time() - started_at < 10
    assert await Task.filter(function="bulk_chunk", args=[operation_id, 2]).count() == 1
    done = await read(api, world.admin, gid)
    assert (done["status"], done["createdCount"]) == ("DONE", 4)
    me = await Contact.get(email=world.admin.user.email, organization=world.organization)
    assert me.user_id == world.admin.user.id


@postgres_only
async def test_a_chunk_never_queued_is_queued_by_the_one_waiting_for_it(
    api, world, settings, monkeypatch
):
    """An import started before two chunks ran at once: each chunk queued only the next.
    Chunk 1 ran under the new rule (it queued chunk 3), chunk 2 was never queued: chunk 3,
    waiting for it in vain, queues it, and the import ends."""
    monkeypatch.setattr(import_job, "CHUNK_ROWS", 2)
    monkeypatch.setattr(turns, "run_budget_seconds", lambda: 0.2)
    csv = "First name,Email\n" + "".join(f"P{n},p{n}@example.test\n" for n in range(1, 7))
    _, operation_id, gid = await started(api, world, csv)
    await chunks.run_chunk(operation_id, 1)
    # Chunk 2's task: as if it had never been queued.
    await Task.filter(function="bulk_chunk", args=[operation_id, 2]).update(
        status=TaskStatus.DONE
    )
    await asyncio.wait_for(run_worker(settings), 60)
    done = await read(api, world.admin, gid)
    assert (done["status"], done["createdCount"], done["operation"]["state"]) == (
        "DONE",
        6,
        "COMPLETED",
    )


@postgres_only
async def test_a_chunk_written_ahead_and_canceled_while_it_waits_skips_its_rows(
    api, world, monkeypatch
):
    monkeypatch.setattr(import_job, "CHUNK_ROWS", 2)
    csv = "First name,Email\n" + "".join(f"P{n},p{n}@example.test\n" for n in range(1, 5))
    _, operation_id, gid = await started(api, world, csv)
    at_turn = stop_at_turn(monkeypatch)

    second = asyncio.ensure_future(chunks.run_chunk(operation_id, 2))
    await asyncio.wait_for(at_turn.wait(), 30)  # chunk 2 has written its rows ahead
    operation_gid = (await read(api, world.admin, gid))["operation"]["id"]
    canceled = await api.as_(world.admin).execute(CANCEL, {"id": operation_gid})
    assert canceled.ok("bulkOperationCancel")["operation"]["state"] == "CANCELED"
    await chunks.run_chunk(operation_id, 1)
    await asyncio.wait_for(second, 30)
    done = await read(api, world.admin, gid)
    assert (done["status"], done["createdCount"], done["operation"]["skipped"]) == (
        "FAILED",
        0,
        4,
    )
    assert await Contact.filter(organization=world.organization).count() == 0
