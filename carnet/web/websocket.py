"""graphql-transport-ws as Strawberry speaks it, except how a stream ends when access does.

A subscription whose subscriber lost access (resolvers.organizations.stream_guard raises
AccessEnded: UNAUTHENTICATED, FORBIDDEN or NOT_FOUND) would be answered by Strawberry with
one more `next` and then `complete`, which clients read as data and a normal end; here it
is the operation's `error` message instead: the message a subscription refused at
subscribe time gets, and the protocol's way to say the operation failed and is over.
And every operation starts with the caller's access as of now, not as of connecting.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.types.execution import ExecutionResult

from resolvers.organizations.stream_guard import AccessEnded


def ends_access(result: object) -> bool:
    if not isinstance(result, ExecutionResult) or not result.errors:
        return False
    return all(isinstance(e.original_error, AccessEnded) for e in result.errors)


class CarnetTransportWSHandler(BaseGraphQLTransportWSHandler):
    async def handle_subscribe(self, message) -> None:
        # One context serves every operation of the socket: it must not answer a later
        # one with a role or a sign-in that has since ended.
        if self.connection_acknowledged:
            await self.context.recheck_access()
        await super().handle_subscribe(message)

    async def _send_result_stream(self, operation: Operation, result_source) -> None:
        results = self._until_access_ends(operation, result_source)
        await super()._send_result_stream(operation, results)

    @staticmethod
    async def _until_access_ends(operation: Operation, result_source) -> AsyncIterator:
        async for result in result_source:
            if ends_access(result):
                await operation.send_initial_errors(result.errors)
                return
            yield result
