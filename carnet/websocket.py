"""graphql-transport-ws as Strawberry speaks it, except how a stream ends when access does.

A subscription whose subscriber lost access mid-stream (see
resolvers.organizations.stream_guard) raises UNAUTHENTICATED, FORBIDDEN or NOT_FOUND.
Strawberry would send that as one more `next` followed by `complete`, which clients read
as data and then a normal end; here it is the operation's `error` message instead — the
same message a subscription refused at subscribe time gets, and the protocol's way to say
the operation failed and is over.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.types.execution import ExecutionResult

ACCESS_ENDED_CODES = frozenset({"UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND"})


def ends_access(result: object) -> bool:
    if not isinstance(result, ExecutionResult) or result.data is not None or not result.errors:
        return False
    return all((e.extensions or {}).get("code") in ACCESS_ENDED_CODES for e in result.errors)


class CarnetTransportWSHandler(BaseGraphQLTransportWSHandler):
    async def _send_result_stream(self, operation: Operation, result_source) -> None:
        results = self._until_access_ends(operation, result_source)
        await super()._send_result_stream(operation, results)

    @staticmethod
    async def _until_access_ends(operation: Operation, result_source) -> AsyncIterator:
        # Only results after the first: a query's single result, and a subscription refused
        # before it started, are answered as Strawberry does.
        first = True
        async for result in result_source:
            if not first and ends_access(result):
                await operation.send_initial_errors(result.errors)
                return
            first = False
            yield result
