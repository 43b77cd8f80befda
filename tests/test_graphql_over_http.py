"""GraphQL-over-HTTP behaviour of the real app's endpoint (``carnet.web.http.CarnetGraphQL``).

Requests go through the ``client`` fixture (httpx on the app, lifespan entered, test
database and Redis); ``test_graphql_http_audit`` runs the ``graphql-http`` conformance
audit (``tests/http_audit/audit.mjs``) against ``carnet serve`` in a subprocess. The
``PersistedQueryStore`` and ``negotiate_media_type`` unit tests need no app.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import socket
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from carnet.settings import configure
from carnet.web.app import create_app
from carnet.web.persisted_queries import PersistedQueryStore
from carnet.web.protocol import APPLICATION_JSON, GRAPHQL_RESPONSE_JSON, negotiate_media_type
from models.audit import AuditEvent
from models.organizations import Organization
from models.staff import Role
from tests.support.live_server import live_server

GRAPHQL_PATH = "/graphql"
AUDIT_DIR = Path(__file__).parent / "http_audit"

QUERY = "{ roles { role } }"  # public: no sign-in needed
QUERY_DATA = {"roles": [{"role": role.value} for role in Role]}
QUERY_WITH_VARIABLE = "query Organization($id: ID!) { organization(id: $id) { name } }"
QUERY_INVALID = "{ noSuchField }"
MUTATION = (  # needs a signed-in user
    'mutation { organizationCreate(input: {name: "Club Gamma"}) '
    "{ organization { id } errors { code } } }"
)


@pytest.fixture
def client(client):
    # httpx sends `Accept: */*` by default; these tests state their Accept.
    del client.headers["accept"]
    return client


async def post(
    client, body, *, accept=None, content_type="application/json", token=None, request_id=None
):
    headers = {}
    if request_id is not None:
        headers["x-request-id"] = request_id
    if accept is not None:
        headers["accept"] = accept
    if content_type is not None:
        headers["content-type"] = content_type
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await client.post(GRAPHQL_PATH, content=content, headers=headers)


async def get(client, params, *, accept=None, token=None):
    headers = {}
    if accept is not None:
        headers["accept"] = accept
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    return await client.get(GRAPHQL_PATH, params=params, headers=headers)


def data(response) -> dict:
    """The ``data`` of a response without errors (``extensions``, e.g. the cost, may vary)."""
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def media_type(response):
    return response.headers["content-type"].split(";")[0].strip()


def unique(query: str) -> str:
    """``query`` with a fresh comment: a hash no earlier test has stored in this process."""
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
async def test_response_content_type_follows_accept(client, accept, expected):
    response = await post(client, {"query": QUERY}, accept=accept)
    assert response.status_code == 200
    assert media_type(response) == expected
    assert "charset=utf-8" in response.headers["content-type"]
    assert "accept" in response.headers["vary"].lower()
    assert data(response) == QUERY_DATA


async def test_bearer_token_signs_the_request_in(client, world):
    response = await post(
        client, {"query": "{ me { email } }"}, accept=GRAPHQL_RESPONSE_JSON, token=world.owner.token
    )
    assert response.status_code == 200
    assert data(response) == {"me": {"email": world.owner.user.email}}


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
            {"query": QUERY_WITH_VARIABLE, "variables": {"id": None}},
            id="variable-coercion-error",
        ),
        pytest.param({"query": QUERY, "operationName": "Nope"}, id="unknown-operation"),
    ],
)
async def test_request_errors(client, world, body, accept, status):
    """Request errors: no `data` entry; 400 with graphql-response+json, 200 with json."""
    response = await post(client, body, accept=accept, token=world.owner.token)
    assert response.status_code == status
    assert media_type(response) == accept
    payload = response.json()
    assert "data" not in payload
    assert payload["errors"] and payload["errors"][0]["message"]


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE_JSON, APPLICATION_JSON])
async def test_field_error_keeps_data_and_200(client, world, accept):
    # Anonymous: the permission guard fails the (nullable) field, not the request.
    body = {"query": QUERY_WITH_VARIABLE, "variables": {"id": world.org_gid}}
    response = await post(client, body, accept=accept)
    assert response.status_code == 200
    payload = response.json()
    assert payload["data"] == {"organization": None}
    assert payload["errors"][0]["path"] == ["organization"]
    assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# --- Malformed requests: 4xx with a GraphQL error body, never a 500 -----------


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE_JSON, APPLICATION_JSON, None])
async def test_malformed_json_is_400(client, accept):
    response = await post(client, b'{ "not a JSON', accept=accept)
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
        pytest.param(b'"{ roles { role } }"', "application/json", id="string-body"),
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
async def test_malformed_requests_are_4xx(client, body, content_type, accept):
    response = await post(client, body, accept=accept, content_type=content_type)
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
async def test_malformed_get_requests_are_400(client, params):
    response = await get(client, params, accept=GRAPHQL_RESPONSE_JSON)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


# --- Methods --------------------------------------------------------------------


async def test_get_query(client, world):
    params = {"query": QUERY_WITH_VARIABLE, "variables": json.dumps({"id": world.org_gid})}
    response = await get(client, params, accept=GRAPHQL_RESPONSE_JSON, token=world.owner.token)
    assert response.status_code == 200
    assert media_type(response) == GRAPHQL_RESPONSE_JSON
    assert data(response) == {"organization": {"name": "Club Alpha"}}


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE_JSON, APPLICATION_JSON, "*/*"])
async def test_get_mutation_is_405_and_does_not_run(client, world, accept):
    before = await Organization.all().count()
    response = await get(client, {"query": MUTATION}, accept=accept, token=world.loner.token)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert await Organization.all().count() == before


async def test_post_mutation(client, world):
    before = await Organization.all().count()
    response = await post(
        client, {"query": MUTATION}, accept=GRAPHQL_RESPONSE_JSON, token=world.loner.token
    )
    assert response.status_code == 200
    payload = data(response)["organizationCreate"]
    assert payload["errors"] == []
    assert payload["organization"]["id"]
    assert await Organization.all().count() == before + 1
    assert await Organization.filter(name="Club Gamma").count() == 1


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_other_methods_are_405(client, method):
    response = await client.request(method, GRAPHQL_PATH, headers={"accept": GRAPHQL_RESPONSE_JSON})
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["allow"].split(",")} == {"GET", "POST"}


async def test_graphiql_page_for_browsers(client):
    response = await get(client, {}, accept="text/html,*/*;q=0.8")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>Carnet GraphiQL</title>" in response.text
    assert "accept" in response.headers["vary"].lower()


# --- Cross-origin requests and request ids ------------------------------------

ALLOWED_ORIGIN = "https://app.example"


@pytest.fixture
async def cors_client(services, settings):
    """A second app whose settings allow ``ALLOWED_ORIGIN``; it shares the run's database."""
    cors_app = create_app(services.settings(cors_origins=[ALLOWED_ORIGIN]))
    configure(settings)  # create_app() made the CORS settings the process's; put ours back
    transport = httpx.ASGITransport(app=cors_app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://carnet.test") as client:
        yield client


def preflight(origin: str) -> dict[str, str]:
    return {
        "origin": origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
    }


async def test_cors_preflight_allows_a_configured_origin(cors_client):
    response = await cors_client.options(GRAPHQL_PATH, headers=preflight(ALLOWED_ORIGIN))
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert {"GET", "POST"} <= {
        m.strip() for m in response.headers["access-control-allow-methods"].split(",")
    }
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed_headers and "content-type" in allowed_headers
    assert "origin" in response.headers["vary"].lower()


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "https://app.example.evil.example", "http://app.example"],
)
async def test_cors_preflight_refuses_other_origins(cors_client, origin):
    response = await cors_client.options(GRAPHQL_PATH, headers=preflight(origin))
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_cors_is_closed_by_default(client):
    response = await client.options(GRAPHQL_PATH, headers=preflight(ALLOWED_ORIGIN))
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_cors_request_from_a_configured_origin(cors_client):
    headers = {"origin": ALLOWED_ORIGIN, "accept": GRAPHQL_RESPONSE_JSON}
    response = await cors_client.post(GRAPHQL_PATH, json={"query": QUERY}, headers=headers)
    assert response.status_code == 200
    assert data(response) == QUERY_DATA
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    # The SPA may read the request id, to quote it in a bug report.
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()

    other = await cors_client.post(
        GRAPHQL_PATH, json={"query": QUERY}, headers={**headers, "origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", GRAPHQL_PATH), ("PUT", GRAPHQL_PATH), ("GET", "/healthz"), ("GET", "/nowhere")],
)
async def test_request_id_is_generated(client, method, path):
    body = {"query": QUERY} if method == "POST" else None
    response = await client.request(method, path, json=body)
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    again = await client.request(method, path, json=body)
    assert again.headers["x-request-id"] != response.headers["x-request-id"]


async def test_request_id_is_echoed_and_recorded(client, world):
    sent = "req-2c0f8a1e"
    response = await post(
        client,
        {"query": MUTATION},
        accept=GRAPHQL_RESPONSE_JSON,
        token=world.loner.token,
        request_id=sent,
    )
    assert data(response)["organizationCreate"]["errors"] == []
    assert response.headers.get_list("x-request-id") == [sent]
    # The id reaches the resolvers: the audit trail can be matched to the client's logs.
    event = await AuditEvent.get(action="organization.create")
    assert event.request_id == sent


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        pytest.param("x" * 200, "x" * 64, id="truncated"),
        pytest.param("caf\xe9".encode("latin-1"), None, id="not-ascii"),
    ],
)
async def test_request_id_is_sanitized(client, sent, expected):
    response = await client.get("/healthz", headers={"x-request-id": sent})
    if expected is None:
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    else:
        assert response.headers["x-request-id"] == expected


# --- Automatic persisted queries ----------------------------------------------


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE_JSON, APPLICATION_JSON])
async def test_apq_round_trip(client, app, settings, accept):
    query = unique(QUERY)
    sha = sha256(query)

    # 1. Hash only, unknown: the answer Apollo clients retry on (a 200).
    miss = await post(client, {"extensions": apq(sha)}, accept=accept)
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

    # 2. Hash and query: runs, and registers the query, in the run's Redis.
    register = await post(client, {"query": query, "extensions": apq(sha)}, accept=accept)
    assert register.status_code == 200
    assert data(register) == QUERY_DATA
    from carnet import queue

    assert await queue.pool().get(f"{settings.redis_prefix}:apq:{sha}") == query.encode()

    # 3. Hash only, known: runs the stored query, over POST ...
    hit = await post(client, {"extensions": apq(sha)}, accept=accept)
    assert hit.status_code == 200
    assert data(hit) == QUERY_DATA

    # ... and over GET, even from `fetch()` (`Accept: */*` must not get GraphiQL).
    for get_accept in (accept, "*/*"):
        get_hit = await get(client, {"extensions": json.dumps(apq(sha))}, accept=get_accept)
        assert get_hit.status_code == 200
        assert data(get_hit) == QUERY_DATA


async def test_apq_with_variables_and_uppercase_hash(client, world):
    query = unique(QUERY_WITH_VARIABLE)
    sha = sha256(query).upper()
    body = {"query": query, "variables": {"id": world.org_gid}, "extensions": apq(sha)}
    registered = await post(client, body, token=world.owner.token)
    assert data(registered) == {"organization": {"name": "Club Alpha"}}
    # Another caller, other variables: the stored text is shared, the answer is theirs.
    hit = await post(
        client,
        {"variables": {"id": world.other_org_gid}, "extensions": apq(sha.lower())},
        token=world.outsider.token,
    )
    assert data(hit) == {"organization": {"name": "Club Beta"}}


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE_JSON, APPLICATION_JSON])
async def test_apq_hash_mismatch_is_400_and_not_stored(client, accept):
    query = unique(QUERY)
    wrong_sha = sha256(query + " ")
    response = await post(client, {"query": query, "extensions": apq(wrong_sha)}, accept=accept)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["message"] == "provided sha does not match query"
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    for sha in (wrong_sha, sha256(query)):
        lookup = (await post(client, {"extensions": apq(sha)}, accept=accept)).json()
        assert lookup["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_apq_invalid_query_is_not_stored(client):
    query = unique(QUERY_INVALID)
    sha = sha256(query)
    body = {"query": query, "extensions": apq(sha)}
    response = await post(client, body, accept=GRAPHQL_RESPONSE_JSON)
    assert response.status_code == 400
    lookup = (await post(client, {"extensions": apq(sha)})).json()
    assert lookup["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_apq_registration_over_get_and_mutation_hash_over_get(client, world):
    query = unique(QUERY)
    sha = sha256(query)
    register = await get(client, {"query": query, "extensions": json.dumps(apq(sha))})
    assert data(register) == QUERY_DATA
    assert data(await post(client, {"extensions": apq(sha)})) == QUERY_DATA

    # A stored mutation stays a mutation: GET must not run it.
    mutation = unique(MUTATION)
    mutation_sha = sha256(mutation)
    body = {"query": mutation, "extensions": apq(mutation_sha)}
    registered = await post(client, body, token=world.loner.token)
    assert registered.status_code == 200
    assert data(registered)["organizationCreate"]["errors"] == []
    count = await Organization.all().count()
    via_get = await get(
        client, {"extensions": json.dumps(apq(mutation_sha))}, token=world.loner.token
    )
    assert via_get.status_code == 405
    assert await Organization.all().count() == count


# --- PersistedQueryStore ------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


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


async def test_store_shares_queries_through_redis(settings):
    redis = Redis.from_url(settings.effective_redis_url)
    try:
        # Under the run's prefix, so the per-test cleanup removes what is left.
        prefix = f"{settings.redis_prefix}:test-apq:{uuid.uuid4().hex}:"
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


@pytest.fixture(scope="module")
def server(settings):
    with live_server(settings) as running:
        yield running


def _audit_command() -> list[str]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed for the GraphQL-over-HTTP audit (tests/http_audit)")
    if not (AUDIT_DIR / "node_modules" / "graphql-http" / "package.json").exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is needed to install tests/http_audit (graphql-http)")
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=AUDIT_DIR, check=True, timeout=300
        )
    return [node, str(AUDIT_DIR / "audit.mjs")]


def test_graphql_http_audit(server):
    completed = subprocess.run(
        [*_audit_command(), server.graphql_url],
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = completed.stdout + completed.stderr + "\n--- server log ---\n" + server.log()
    lines = completed.stdout.strip().splitlines()
    assert lines, f"the audit printed nothing (exit {completed.returncode}): {output}"
    counts = json.loads(lines[-1])
    assert counts["error"] == 0, output
    assert counts["warn"] == 0, output
    assert counts["ok"] > 0, output
    assert completed.returncode == 0, output


async def test_lone_surrogates_are_refused_with_400(client):
    body = b'{"query": "query($n: String) { roles { role } }", "variables": {"n": "\\ud800"}}'
    response = await client.post(
        "/graphql", content=body,
        headers={"content-type": "application/json",
                 "accept": "application/graphql-response+json"})
    assert response.status_code == 400
    assert "invalid Unicode" in response.json()["errors"][0]["message"]
