"""The live audit tail (`auditEventAdded`) over a real websocket: it stops the moment access does.

Each test subscribes as an administrator (who has audit.read), sees an event arrive, then
changes that access the way an organization or the user would, causes a new audit event,
and checks the event is not delivered: the operation ends with an `error` message whose
code says why, as the same user would be answered over HTTP.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from websockets.asyncio.client import ClientConnection

from models.audit import AuditEvent
from models.identity import Session
from resolvers.common.actor import RequestMeta
from resolvers.common.permissions import Permission
from resolvers.common.time import now, today_in
from tests.staff.flows import DEACTIVATE, REMOVE, ROLE_CHANGE, member_gid
from tests.support.live_server import live_server
from tests.support.websocket import bearer, graphql_socket, init, receive, send

TAIL = "subscription($o: ID!) { auditEventAdded(organizationId: $o) { action before after } }"
RENAME = """mutation($input: OrganizationUpdateInput!) {
  organizationUpdate(input: $input) { errors { code field message } } }"""
TOKEN_REVOKE = "mutation($t: String!) { tokenRevoke(input: {refreshToken: $t}) { ok } }"
OPERATION = "tail"
# Names given before access changes; any event showing another name leaked.
BEFORE = "Club Before"


@pytest.fixture(scope="module")
def server(settings):
    with live_server(settings) as running:
        yield running


async def rename(api, world, name: str) -> None:
    """An organization.update audit event, written by the owner over HTTP."""
    result = await api.as_(world.owner).execute(
        RENAME, {"input": {"id": world.org_gid, "name": name}}
    )
    result.ok("organizationUpdate")


@asynccontextmanager
async def live_tail(server, api, world, member) -> AsyncIterator[ClientConnection]:
    """A websocket subscribed to the tail as `member`, once a first event came through."""
    async with graphql_socket(server) as websocket:
        assert (await init(websocket, bearer(member.token)))["type"] == "connection_ack"
        payload = {"query": TAIL, "variables": {"o": world.org_gid}}
        await send(websocket, {"id": OPERATION, "type": "subscribe", "payload": payload})
        # The tail starts after what exists when it first polls: write until one arrives.
        for attempt in range(40):
            await rename(api, world, f"{BEFORE} {attempt}")
            try:
                message = await receive(websocket, within=0.5)
            except TimeoutError:
                continue
            assert message["type"] == "next", message
            assert message["payload"]["data"]["auditEventAdded"]["action"] == "organization.update"
            break
        else:
            raise AssertionError("the tail delivered nothing")
        yield websocket


async def assert_ends_undelivered(websocket: ClientConnection, code: str) -> None:
    """Nothing written after access ended arrives; the operation ends with `code`."""
    while True:
        message = await receive(websocket)
        assert message["id"] == OPERATION, message
        if message["type"] != "next":
            break
        event = message["payload"]["data"]["auditEventAdded"]
        # Renames written before the change may still be on their way; nothing else may.
        assert event["action"] == "organization.update", f"leaked after access ended: {event}"
        assert event["after"]["name"].startswith(BEFORE), f"leaked after access ended: {event}"
    assert message["type"] == "error", message
    assert [e["extensions"]["code"] for e in message["payload"]] == [code]


async def test_removed_staff_stops_receiving(server, api, world):
    async with live_tail(server, api, world, world.admin) as websocket:
        removed = await api.as_(world.owner).execute(
            REMOVE, {"id": member_gid(world.admin.membership)}
        )
        removed.ok("staffRemove")
        await rename(api, world, "Club After")
        await assert_ends_undelivered(websocket, "NOT_FOUND")


async def test_staff_deactivated_today_stops_receiving(server, api, world):
    async with live_tail(server, api, world, world.admin) as websocket:
        today = today_in(world.organization.timezone).isoformat()
        deactivated = await api.as_(world.owner).execute(
            DEACTIVATE, {"id": member_gid(world.admin.membership), "on": today}
        )
        deactivated.ok("staffDeactivate")
        await rename(api, world, "Club After")
        await assert_ends_undelivered(websocket, "NOT_FOUND")


async def test_staff_demoted_to_viewer_stops_receiving(server, api, world):
    async with live_tail(server, api, world, world.admin) as websocket:
        demoted = await api.as_(world.owner).execute(
            ROLE_CHANGE, {"id": member_gid(world.admin.membership), "role": "VIEWER"}
        )
        demoted.ok("staffRoleChange")
        await rename(api, world, "Club After")
        await assert_ends_undelivered(websocket, "FORBIDDEN")


async def test_revoked_session_stops_receiving(server, api, world):
    async with live_tail(server, api, world, world.admin) as websocket:
        revoked = await api.as_(None).execute(TOKEN_REVOKE, {"t": world.admin.refresh_token})
        assert revoked.payload("tokenRevoke")["ok"] is True
        await rename(api, world, "Club After")
        await assert_ends_undelivered(websocket, "UNAUTHENTICATED")


async def test_expired_access_token_stops_receiving(server, api, world):
    async with live_tail(server, api, world, world.admin) as websocket:
        await Session.filter(user=world.admin.user).update(access_expires_at=now())
        await rename(api, world, "Club After")
        await assert_ends_undelivered(websocket, "UNAUTHENTICATED")


async def test_demoted_to_billing_admin_receives_billing_events_only(server, api, world):
    async with live_tail(server, api, world, world.admin) as websocket:
        demoted = await api.as_(world.owner).execute(
            ROLE_CHANGE, {"id": member_gid(world.admin.membership), "role": "BILLING_ADMIN"}
        )
        demoted.ok("staffRoleChange")
        await rename(api, world, "Club After")
        # No billing mutation exists yet: the event a refund would record.
        await AuditEvent.create(
            organization_id=world.organization.id,
            actor=world.owner.user,
            action="billing.refund.create",
            after={"amount": "10.00"},
        )
        while True:
            message = await receive(websocket)
            assert message["type"] == "next", message
            event = message["payload"]["data"]["auditEventAdded"]
            if event["action"].startswith("billing."):
                break
            assert event["action"] == "organization.update", f"leaked to billing: {event}"
            assert event["after"]["name"].startswith(BEFORE), f"leaked to billing: {event}"
        assert event == {
            "action": "billing.refund.create",
            "before": None,
            "after": {"amount": "10.00"},
        }


async def test_other_staff_changes_do_not_end_the_tail(server, api, world):
    async with live_tail(server, api, world, world.admin) as websocket:
        demoted = await api.as_(world.owner).execute(
            ROLE_CHANGE, {"id": member_gid(world.agent.membership), "role": "VIEWER"}
        )
        demoted.ok("staffRoleChange")
        while True:
            message = await receive(websocket)
            assert message["type"] == "next", message
            if message["payload"]["data"]["auditEventAdded"]["action"] == "staff.role_change":
                break


def on_postgres() -> bool:
    from tortoise import connections

    return connections.get("default").capabilities.dialect == "postgres"


async def test_event_committed_after_a_later_id_is_still_delivered(world):
    """PostgreSQL hands out ids at insert and commits in any order: a tail that moved past
    id n+1 must still deliver id n when it commits. (SQLite serialises writers.)"""
    import asyncio

    from tortoise.transactions import in_transaction

    from resolvers.audit.tail import follow
    from resolvers.identity.sessions import authenticate
    from resolvers.organizations.access import actor_for
    from resolvers.organizations.stream_guard import StreamGuard

    if not on_postgres():
        pytest.skip("SQLite commits one writer at a time, in id order")
    actor = await actor_for(world.admin.user, world.organization.id, RequestMeta())
    guard = StreamGuard(await authenticate(world.admin.token), actor, Permission.AUDIT_READ)
    delivered: asyncio.Queue[str] = asyncio.Queue()

    async def tail():
        async for event in follow(guard, poll_seconds=0.02):
            await delivered.put(event.action)

    async def next_action(within: float) -> str | None:
        try:
            return await asyncio.wait_for(delivered.get(), within)
        except TimeoutError:
            return None

    early_inserted, late_committed = asyncio.Event(), asyncio.Event()

    async def early_writer():
        async with in_transaction() as connection:
            await AuditEvent.create(
                organization_id=world.organization.id, action="early", using_db=connection
            )
            early_inserted.set()
            await late_committed.wait()
            await asyncio.sleep(0.3)  # the tail polls past the later id meanwhile

    async def late_writer():
        await early_inserted.wait()
        async with in_transaction() as connection:
            await AuditEvent.create(
                organization_id=world.organization.id, action="late", using_db=connection
            )
        late_committed.set()

    tailing = asyncio.ensure_future(tail())
    writers = None
    try:
        # The tail starts after what exists when it first polls: write until one arrives.
        for _ in range(50):
            await AuditEvent.create(organization_id=world.organization.id, action="warm.up")
            if await next_action(0.1) == "warm.up":
                break
        while await next_action(0.3) is not None:
            pass  # the other warm-up events
        writers = asyncio.gather(early_writer(), late_writer())
        first = await next_action(5)
        await writers
        second = await next_action(5)
    finally:
        # An open transaction would block the next test's TRUNCATE.
        for task in (writers, tailing):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
    assert (first, second) == ("late", "early")
    early, late = await AuditEvent.filter(action__in=["early", "late"]).order_by("id")
    assert (early.action, late.action) == ("early", "late")  # ids in the opposite order


def test_cursor_delivers_a_late_id_once_and_forgets_what_settled():
    from resolvers.audit.tail import SettlingCursor

    cursor = SettlingCursor(settled=0, settle_seconds=30)
    assert cursor.take([1, 3], clock=0) == [1, 3]
    assert cursor.take([1, 2, 3], clock=1) == [2]  # 2 committed after 3
    assert cursor.take([1, 2, 3], clock=2) == []
    # 30 s after 3 was read, nothing below it can still be open: only 4 is remembered.
    assert cursor.take([1, 2, 3, 4], clock=31) == [4]
    assert (cursor.settled, set(cursor.seen)) == (3, {4})


async def test_subscriber_without_audit_read_is_refused_with_an_error(server, world):
    async with graphql_socket(server) as websocket:
        assert (await init(websocket, bearer(world.viewer.token)))["type"] == "connection_ack"
        payload = {"query": TAIL, "variables": {"o": world.org_gid}}
        await send(websocket, {"id": OPERATION, "type": "subscribe", "payload": payload})
        message = await receive(websocket)
    assert message["type"] == "error", message
    assert [e["extensions"]["code"] for e in message["payload"]] == ["FORBIDDEN"]


async def test_access_is_checked_once_per_batch_not_per_event(world):
    """Fifty events committed together cost one session and one membership query."""
    import asyncio

    from carnet.statements import count_statements
    from resolvers.audit.tail import follow
    from resolvers.identity.sessions import authenticate
    from resolvers.organizations.access import actor_for
    from resolvers.organizations.stream_guard import StreamGuard

    actor = await actor_for(world.admin.user, world.organization.id, RequestMeta())
    guard = StreamGuard(await authenticate(world.admin.token), actor, Permission.AUDIT_READ)
    delivered: asyncio.Queue[str] = asyncio.Queue()

    async def tail():
        async for event in follow(guard, poll_seconds=0.05):
            await delivered.put(event.action)

    tailing = asyncio.ensure_future(tail())
    try:
        for _ in range(50):
            await AuditEvent.create(organization_id=world.organization.id, action="warm.up")
            try:
                await asyncio.wait_for(delivered.get(), 0.1)
                break
            except TimeoutError:
                continue
        await asyncio.sleep(0.3)
        while not delivered.empty():
            delivered.get_nowait()
        with count_statements() as statements:
            await AuditEvent.bulk_create(
                [
                    AuditEvent(organization_id=world.organization.id, action=f"batch.{n}")
                    for n in range(50)
                ]
            )
            received = [await asyncio.wait_for(delivered.get(), 5) for _ in range(50)]
    finally:
        tailing.cancel()
        await asyncio.gather(tailing, return_exceptions=True)
    assert received == [f"batch.{n}" for n in range(50)]
    assert len([s for s in statements if '"session"' in s]) == 1, statements
    assert len([s for s in statements if '"staff_membership"' in s]) == 1, statements
