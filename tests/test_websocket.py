"""GraphQL over WebSocket (graphql-transport-ws) on the real server: who the socket is.

`connection_init` carries `{"Authorization": "Bearer <token>"}`; the operations sent
afterwards run as that user. Served by `carnet serve` in a subprocess (uvicorn's
websocket stack, as in production) and spoken to with the `websockets` client.
"""

from __future__ import annotations

import uuid

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from models.identity import Session
from resolvers.common.time import now
from tests.support.live_server import live_server
from tests.support.websocket import PROTOCOL, bearer, graphql_socket, init, receive, send

ME = "{ me { email } }"


@pytest.fixture(scope="module")
def server(settings):
    with live_server(settings) as running:
        yield running


async def run(websocket: ClientConnection, query: str) -> list[dict]:
    """Subscribes with `query`; returns the `next`/`error` messages up to `complete`."""
    operation_id = uuid.uuid4().hex
    await send(websocket, {"id": operation_id, "type": "subscribe", "payload": {"query": query}})
    messages = []
    while True:
        message = await receive(websocket)
        assert message.get("id") == operation_id, message
        if message["type"] == "complete":
            return messages
        messages.append(message)
        if message["type"] == "error":
            return messages


async def test_signed_in_socket_is_acknowledged_and_runs_as_the_user(server, world):
    async with graphql_socket(server) as websocket:
        assert websocket.subprotocol == PROTOCOL
        assert (await init(websocket, bearer(world.agent.token)))["type"] == "connection_ack"
        [result] = await run(websocket, ME)
    assert result["type"] == "next"
    assert result["payload"]["data"] == {"me": {"email": world.agent.user.email}}
    assert "errors" not in result["payload"]


async def test_lowercase_authorization_key_is_accepted(server, world):
    async with graphql_socket(server) as websocket:
        ack = await init(websocket, {"authorization": f"bearer {world.viewer.token}"})
        assert ack["type"] == "connection_ack"
        [result] = await run(websocket, ME)
    assert result["payload"]["data"] == {"me": {"email": world.viewer.user.email}}


async def assert_refused(server, connection_params: dict) -> None:
    async with graphql_socket(server) as websocket:
        await send(websocket, {"type": "connection_init", "payload": connection_params})
        with pytest.raises(ConnectionClosed) as closed:
            await receive(websocket)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403  # Strawberry's answer to ConnectionRejectionError


async def test_unknown_token_is_refused(server, world):
    await assert_refused(server, bearer("not-a-token"))


async def test_revoked_session_is_refused(server, world):
    await Session.filter(user=world.owner.user).update(revoked_at=now())
    await assert_refused(server, bearer(world.owner.token))


async def test_expired_token_is_refused(server, world):
    await Session.filter(user=world.owner.user).update(access_expires_at=now())
    await assert_refused(server, bearer(world.owner.token))


@pytest.mark.parametrize("payload", [None, {}], ids=["no-payload", "empty-payload"])
async def test_anonymous_socket_is_acknowledged_but_signed_out(server, world, payload):
    async with graphql_socket(server) as websocket:
        assert (await init(websocket, payload))["type"] == "connection_ack"
        [result] = await run(websocket, ME)
        # Public fields still answer on the same socket.
        [roles] = await run(websocket, "{ roles { role } }")
    assert result["type"] == "next"
    assert result["payload"]["data"] is None
    assert [e["extensions"]["code"] for e in result["payload"]["errors"]] == ["UNAUTHENTICATED"]
    assert roles["payload"]["data"]["roles"]


async def test_subscribe_before_connection_init_is_refused(server):
    async with graphql_socket(server) as websocket:
        await send(websocket, {"id": "1", "type": "subscribe", "payload": {"query": ME}})
        with pytest.raises(ConnectionClosed) as closed:
            await receive(websocket)
    assert closed.value.rcvd.code == 4401


async def test_non_string_authorization_does_not_break_the_socket(server):
    async with graphql_socket(server) as websocket:
        ack = await init(websocket, {"Authorization": 5})
        assert ack["type"] == "connection_ack"


AUDIT_LOG = '{ auditLog(organizationId: "%s", first: 1) { edges { node { action } } } }'


async def test_each_operation_sees_access_as_of_now(server, api, world):
    """The socket outlives a removal and a sign-out: later operations must not."""
    from tests.staff.flows import REMOVE, member_gid

    async with graphql_socket(server) as websocket:
        assert (await init(websocket, bearer(world.admin.token)))["type"] == "connection_ack"
        query = AUDIT_LOG % world.org_gid
        [allowed] = await run(websocket, query)
        assert "errors" not in allowed["payload"], allowed
        removed = await api.as_(world.owner).execute(
            REMOVE, {"id": member_gid(world.admin.membership)}
        )
        removed.ok("staffRemove")
        [after_removal] = await run(websocket, query)
        await Session.filter(user=world.admin.user).update(revoked_at=now())
        [after_sign_out] = await run(websocket, ME)
    assert [e["extensions"]["code"] for e in after_removal["payload"]["errors"]] == ["NOT_FOUND"]
    assert [e["extensions"]["code"] for e in after_sign_out["payload"]["errors"]] == [
        "UNAUTHENTICATED"
    ]
