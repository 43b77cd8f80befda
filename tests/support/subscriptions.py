"""Running a subscription the way the websocket transport does, in-process."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from resolvers.common.actor import RequestMeta
from resolvers.identity.sessions import authenticate
from schema import build_schema
from schema.context import Context
from tests.support.api import Result


async def first_event(
    settings,
    operation: str,
    variables: dict[str, Any],
    token: str | None,
    trigger: Callable[[], Awaitable[None]],
    wait: float = 5.0,
) -> Result:
    """Subscribes as the token's user, runs `trigger`, and returns the first result."""
    context = Context(settings=settings, meta=RequestMeta(request_id="ws-test"))
    if token:
        session = await authenticate(token)
        context.session, context.user = session, session.user if session else None
    stream = await build_schema(settings).subscribe(
        operation, variable_values=variables, context_value=context
    )
    if not hasattr(stream, "__anext__"):  # refused before the stream started
        return Result(200, stream_result(stream), {})
    waiting = asyncio.ensure_future(anext(stream))
    deadline = asyncio.get_running_loop().time() + wait
    try:
        # The stream starts after whatever exists when it first polls, and we cannot see
        # when that is: trigger until something arrives (or it answers with an error).
        while True:
            done, _ = await asyncio.wait({waiting}, timeout=0.2)
            if done:
                result = waiting.result()
                break
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("the subscription produced nothing")
            await trigger()
    finally:
        waiting.cancel()
        await stream.aclose()
    return Result(200, stream_result(result), {})


def stream_result(result) -> dict[str, Any]:
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [e.formatted for e in result.errors]
    return body
