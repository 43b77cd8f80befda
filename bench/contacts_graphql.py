"""The GraphQL side of bench/contacts.py: the page request, the client that sends it, and a
cProfile of it."""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from asgi_client import AsgiClient

GRAPHQL = """query($o: ID!, $search: String, $filter: ContactFilterInput, $after: String) {
  contacts(organizationId: $o, search: $search, filter: $filter, first: 50, after: $after) {
    edges { cursor node { id displayName } }
    pageInfo { hasNextPage endCursor } } }"""


@asynccontextmanager
async def graphql_client(app, token: str, kind: str) -> AsyncIterator:
    """`asgi` calls the app as a server would; `httpx` adds httpx's own cost per request."""
    headers = {"authorization": f"Bearer {token}"}
    if kind == "asgi":
        yield AsgiClient(app, headers)
        return
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://carnet.bench", headers=headers
    ) as client:
        yield client


async def graphql_page(client, organization_gid: str, query: Any) -> None:
    payload = {"query": GRAPHQL, "variables": {"o": organization_gid, **query.variables}}
    if isinstance(client, AsgiClient):
        response = await client.post_json("/graphql", payload)
    else:
        response = await client.post("/graphql", json=payload)
    body = response.json()
    if "errors" in body or len(body["data"]["contacts"]["edges"]) != query.rows:
        raise RuntimeError(f"{query.name}: {str(body)[:500]}")


async def profile(client, organization_gid: str, query: Any, path: str, requests: int) -> None:
    """cProfile over `requests` GraphQL requests for the page: where its fixed cost goes."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        await graphql_page(client, organization_gid, query)
    profiler.disable()
    profiler.dump_stats(path)
    print(
        f"profile of {requests} requests for {query.name} in {path}; the most costly:",
        file=sys.stderr,
    )
    output = io.StringIO()
    pstats.Stats(profiler, stream=output).sort_stats("tottime").print_stats(15)
    print(output.getvalue(), file=sys.stderr, flush=True)
