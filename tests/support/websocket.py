"""A graphql-transport-ws client for the real server (`live_server`), on `websockets`."""

from __future__ import annotations

import asyncio
import json

from websockets.asyncio.client import ClientConnection, connect

PROTOCOL = "graphql-transport-ws"
RECEIVE_TIMEOUT_SECONDS = 10


def graphql_socket(server) -> connect:
    return connect(
        server.websocket_url, subprotocols=[PROTOCOL], proxy=None, open_timeout=10, close_timeout=5
    )


async def send(websocket: ClientConnection, message: dict) -> None:
    await websocket.send(json.dumps(message))


async def receive(websocket: ClientConnection, within: float = RECEIVE_TIMEOUT_SECONDS) -> dict:
    # Cancelling recv() loses nothing: a message that arrives later is still read next time.
    async with asyncio.timeout(within):
        return json.loads(await websocket.recv())


async def init(websocket: ClientConnection, payload: dict | None) -> dict:
    message = {"type": "connection_init"}
    if payload is not None:
        message["payload"] = payload
    await send(websocket, message)
    return await receive(websocket)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
