"""`bulkOperationProgress` over a real websocket, the API and the worker each a process of its
own: the worker publishes each chunk's counters through Redis, the API's subscriber
receives them; a subscriber whose access ends gets an error and nothing more.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from websockets.asyncio.client import ClientConnection

from models.bulk import BulkOperation, BulkOperationKind, BulkOperationState
from models.colours import Colour
from models.contacts import Contact
from models.identity import Session
from resolvers.bulk.progress import publish
from resolvers.common.time import now
from schema import ids
from tests.bulk.support import COLOUR_SET
from tests.staff.flows import REMOVE, ROLE_CHANGE, member_gid
from tests.support.api import Api
from tests.support.contacts import gid
from tests.support.live_server import LiveServer, live_server
from tests.support.live_worker import live_worker
from tests.support.websocket import bearer, graphql_socket, init, receive, send

CONTACTS = 240
CHUNK_SIZE = 20  # 12 chunks, so that progress has steps to show
PROGRESS = """subscription($id: ID!) { bulkOperationProgress(id: $id) {
  id state total processed succeeded skipped failed finished } }"""
OPERATION = "progress"


@pytest.fixture(scope="module")
def chunked(settings):
    return settings.model_copy(update={"bulk_chunk_size": CHUNK_SIZE})


@pytest.fixture(scope="module")
def server(chunked):
    with live_server(chunked) as running:
        yield running


@asynccontextmanager
async def client_of(server: LiveServer) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=server.url, trust_env=False, timeout=30) as client:
        yield Api(client)


@asynccontextmanager
async def subscribed(server, member, operation_id: str) -> AsyncIterator[ClientConnection]:
    async with graphql_socket(server) as websocket:
        assert (await init(websocket, bearer(member.token)))["type"] == "connection_ack"
        payload = {"query": PROGRESS, "variables": {"id": operation_id}}
        await send(websocket, {"id": OPERATION, "type": "subscribe", "payload": payload})
        yield websocket


async def snapshots_until_complete(websocket: ClientConnection) -> list[dict]:
    received = []
    while True:
        message = await receive(websocket, within=60)
        assert message["id"] == OPERATION, message
        if message["type"] == "complete":
            return received
        assert message["type"] == "next", message
        received.append(message["payload"]["data"]["bulkOperationProgress"])


async def colour_everyone(api: Api, world) -> tuple[str, Colour]:
    gold = await Colour.create(organization=world.organization, name="Gold", hex="#ffd700")
    await Contact.bulk_create(
        [
            Contact(organization=world.organization, first_name="Person", last_name=str(n),
                    sort_name=f"Person {n:04}", search_text=f"person {n}")
            for n in range(CONTACTS)
        ]
    )
    variables = {"input": {"organizationId": world.org_gid, "target": {"search": "person"},
                           "colourId": gid(gold)}}
    started = await api.as_(world.admin).execute(COLOUR_SET, variables)
    return started.ok("contactsBulkColourSet")["operation"]["id"], gold


async def test_progress_arrives_from_a_worker_process_until_completed(
    server, chunked, world
):
    async with client_of(server) as api:
        operation_id, gold = await colour_everyone(api, world)
    # No worker runs yet: the first snapshot is the operation as created.
    async with subscribed(server, world.admin, operation_id) as websocket:
        first = await receive(websocket)
        assert first["type"] == "next", first
        assert first["payload"]["data"]["bulkOperationProgress"] == {
            "id": operation_id, "state": "CREATED", "total": CONTACTS, "processed": 0,
            "succeeded": 0, "skipped": 0, "failed": 0, "finished": False,
        }
        with live_worker(chunked, "progress"):
            later = await snapshots_until_complete(websocket)
    processed = [s["processed"] for s in later]
    assert processed == sorted(set(processed)), processed  # each says more than the last
    # Chunks were heard as they committed, not only the end (which a poll would also find).
    assert any(0 < count < CONTACTS for count in processed), processed
    assert all(s["processed"] == s["succeeded"] + s["skipped"] + s["failed"] for s in later)
    assert later[-1] == {
        "id": operation_id, "state": "COMPLETED", "total": CONTACTS, "processed": CONTACTS,
        "succeeded": CONTACTS, "skipped": 0, "failed": 0, "finished": True,
    }
    assert [s["finished"] for s in later] == [False] * (len(later) - 1) + [True]
    assert await Contact.filter(organization=world.organization, colour=gold).count() == CONTACTS


async def an_operation(organization, **counters) -> BulkOperation:
    return await BulkOperation.create(
        organization=organization,
        kind=BulkOperationKind.CONTACT_COLOUR_SET,
        record_type="contact",
        state=BulkOperationState.RUNNING,
        total=100,
        **counters,
    )


async def next_snapshot(websocket: ClientConnection) -> dict:
    message = await receive(websocket)
    assert message["type"] == "next", message
    return message["payload"]["data"]["bulkOperationProgress"]


async def step(operation: BulkOperation, processed: int) -> None:
    """What a chunk commit does, as far as a subscriber can tell."""
    operation.processed = operation.succeeded = processed
    await operation.save(update_fields=["processed", "succeeded"])
    await publish(operation)


async def test_a_published_snapshot_is_sent_and_the_last_completes_the_stream(server, world):
    """Only published, never saved: what arrives came through Redis, not from the row."""
    operation = await an_operation(world.organization)
    operation_id = ids.encode("BulkOperation", operation.id)
    async with subscribed(server, world.admin, operation_id) as websocket:
        assert (await next_snapshot(websocket))["processed"] == 0
        operation.processed = operation.succeeded = 40
        await publish(operation)
        assert (await next_snapshot(websocket))["processed"] == 40
        operation.processed, operation.succeeded = 30, 30  # an older chunk's, heard late
        await publish(operation)
        operation.processed = operation.succeeded = 40
        operation.state, operation.finished_at = BulkOperationState.CANCELED, now()
        await publish(operation)
        assert await snapshots_until_complete(websocket) == [{
            "id": operation_id, "state": "CANCELED", "total": 100, "processed": 40,
            "succeeded": 40, "skipped": 0, "failed": 0, "finished": True,
        }]


async def test_a_finished_operation_answers_once_and_completes(server, world):
    operation = await an_operation(world.organization, processed=100, succeeded=100)
    operation.state, operation.finished_at = BulkOperationState.COMPLETED, now()
    await operation.save(update_fields=["state", "finished_at"])
    operation_id = ids.encode("BulkOperation", operation.id)
    async with subscribed(server, world.admin, operation_id) as websocket:
        [only] = await snapshots_until_complete(websocket)
    assert (only["state"], only["processed"], only["finished"]) == ("COMPLETED", 100, True)


async def ends_with(websocket: ClientConnection, code: str) -> None:
    """The next message ends the stream with `code`: the snapshot published after access
    ended is not sent."""
    message = await receive(websocket, within=15)
    assert message["type"] == "error", f"sent after access ended: {message}"
    assert [e["extensions"]["code"] for e in message["payload"]] == [code]


async def test_demoted_subscriber_gets_forbidden_and_nothing_more(server, api, world):
    operation = await an_operation(world.organization)
    async with subscribed(server, world.admin, ids.encode("BulkOperation", operation.id)) as ws:
        await next_snapshot(ws)
        demoted = await api.as_(world.owner).execute(
            ROLE_CHANGE, {"id": member_gid(world.admin.membership), "role": "VIEWER"}
        )
        demoted.ok("staffRoleChange")  # a viewer has no bulk.run
        await step(operation, 60)
        await ends_with(ws, "FORBIDDEN")


async def test_removed_subscriber_gets_not_found(server, api, world):
    operation = await an_operation(world.organization)
    async with subscribed(server, world.admin, ids.encode("BulkOperation", operation.id)) as ws:
        await next_snapshot(ws)
        removed = await api.as_(world.owner).execute(
            REMOVE, {"id": member_gid(world.admin.membership)}
        )
        removed.ok("staffRemove")
        await step(operation, 60)
        await ends_with(ws, "NOT_FOUND")


async def test_signed_out_subscriber_gets_unauthenticated(server, world):
    operation = await an_operation(world.organization)
    async with subscribed(server, world.admin, ids.encode("BulkOperation", operation.id)) as ws:
        await next_snapshot(ws)
        await Session.filter(user=world.admin.user).update(revoked_at=now())
        await step(operation, 60)
        await ends_with(ws, "UNAUTHENTICATED")


async def test_access_ending_without_any_progress_still_ends_the_stream(server, api, world):
    """A stalled operation publishes nothing: the quiet-time re-check ends the stream."""
    operation = await an_operation(world.organization)
    async with subscribed(server, world.admin, ids.encode("BulkOperation", operation.id)) as ws:
        await next_snapshot(ws)
        demoted = await api.as_(world.owner).execute(
            ROLE_CHANGE, {"id": member_gid(world.admin.membership), "role": "VIEWER"}
        )
        demoted.ok("staffRoleChange")
        await ends_with(ws, "FORBIDDEN")


async def test_another_organizations_operation_is_not_found(server, world):
    operation = await an_operation(world.other_organization)
    async with subscribed(server, world.admin, ids.encode("BulkOperation", operation.id)) as ws:
        message = await receive(ws)
    assert message["type"] == "error", message
    assert [e["extensions"]["code"] for e in message["payload"]] == ["NOT_FOUND"]


async def test_a_viewer_cannot_subscribe(server, world):
    operation = await an_operation(world.organization)
    async with subscribed(server, world.viewer, ids.encode("BulkOperation", operation.id)) as ws:
        message = await receive(ws)
    assert message["type"] == "error", message
    assert [e["extensions"]["code"] for e in message["payload"]] == ["FORBIDDEN"]


async def test_a_lost_message_is_made_up_for_by_reading_the_operation(server, world):
    """Pub/sub forgets what nobody heard: a change committed without its message (Redis
    away at that moment) still reaches the subscriber, late."""
    operation = await an_operation(world.organization)
    operation_id = ids.encode("BulkOperation", operation.id)
    async with subscribed(server, world.admin, operation_id) as websocket:
        await next_snapshot(websocket)
        operation.state, operation.processed, operation.succeeded = (
            BulkOperationState.COMPLETED, 100, 100
        )
        operation.finished_at = now()
        await operation.save(update_fields=["state", "processed", "succeeded", "finished_at"])
        async with asyncio.timeout(20):
            [last] = await snapshots_until_complete(websocket)
    assert (last["state"], last["processed"]) == ("COMPLETED", 100)
