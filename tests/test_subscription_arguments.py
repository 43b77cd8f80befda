"""Subscription arguments are cleaned like those of queries and mutations.

A subscription's root field is resolved by its `subscribe` function, which graphql-core
calls without the middleware that cleans every other field's arguments: these tests speak
graphql-transport-ws to the real server, so they see what a client sees.
"""

from __future__ import annotations

import pytest

from tests.audit.test_audit_stream import OPERATION, TAIL, rename
from tests.support.live_server import live_server
from tests.support.websocket import bearer, graphql_socket, init, receive, send


@pytest.fixture(scope="module")
def server(settings):
    with live_server(settings) as running:
        yield running


async def _first_answer(server, api, world, organization_id: str) -> dict:
    """Subscribes to the audit tail with `organization_id` as the admin; the first message
    (writing audit events until one arrives, if the stream started)."""
    async with graphql_socket(server) as websocket:
        assert (await init(websocket, bearer(world.admin.token)))["type"] == "connection_ack"
        payload = {"query": TAIL, "variables": {"o": organization_id}}
        await send(websocket, {"id": OPERATION, "type": "subscribe", "payload": payload})
        for attempt in range(40):
            try:
                return await receive(websocket, within=0.5)
            except TimeoutError:
                await rename(api, world, f"Club {attempt}")
        raise AssertionError("the subscription answered nothing")


def _refusal(message: dict) -> tuple[str, str]:
    assert message["type"] == "error", message
    [error] = message["payload"]
    return error["extensions"]["code"], error["message"]


async def test_control_characters_are_gone_before_the_stream_starts(server, api, world):
    message = await _first_answer(server, api, world, f"\u0000{world.org_gid}\u001b")
    assert message["type"] == "next", message
    assert message["payload"]["data"]["auditEventAdded"]["action"] == "organization.update"


async def test_overlong_text_is_bad_user_input(server, api, world):
    message = await _first_answer(server, api, world, world.org_gid + "A" * 1_000_000)
    code, text = _refusal(message)
    assert code == "BAD_USER_INPUT"
    assert text == "Invalid argument organizationId: Use at most 10000 characters."


async def test_a_lone_surrogate_is_refused(server, api, world):
    code, text = _refusal(await _first_answer(server, api, world, world.org_gid + "\ud800"))
    assert code == "BAD_USER_INPUT"
    assert text == "Invalid argument organizationId: This text is not valid Unicode."
