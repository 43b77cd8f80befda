"""Tracing is off unless CARNET_OTEL_ENDPOINT is set: nothing of OpenTelemetry is imported
or wired. Set, HTTP, GraphQL and (on PostgreSQL) asyncpg spans are produced — here into an
in-memory exporter — without resolver arguments, query text or query strings."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from carnet.settings import configure
from carnet.web.app import create_app
from carnet.web.tracing import traces_url
from tests.support.world import PASSWORD

ENDPOINT = "http://127.0.0.1:4318"
SIGN_IN = """
mutation SignIn {
  tokenCreate(input: {email: "%s", password: "%s"}) { accessToken errors { code } }
}
"""


def run_python(script: str, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "CARNET_VAR_DIR": str(tmp_path)},
    )


def test_unset_nothing_of_opentelemetry_is_imported(tmp_path):
    done = run_python(
        "import sys, json; from carnet.web.app import create_app; "
        "from carnet.settings import Settings; "
        "app = create_app(Settings(environment='test', metrics_token='t' * 20)); "
        "print(json.dumps({'modules': sorted(m for m in sys.modules if 'opentelemetry' in m), "
        "'tracing': app.state.operations.tracing is not None, "
        "'middleware': [str(m.cls) for m in app.user_middleware]}))",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["modules"] == [] and found["tracing"] is False
    assert not any("elemetry" in m or "QueryString" in m for m in found["middleware"])


def test_set_without_the_packages_fails_clearly(tmp_path):
    done = run_python(
        "import sys; sys.modules['opentelemetry'] = None; "  # as if not installed
        "from carnet.web.app import create_app; from carnet.settings import Settings; "
        f"create_app(Settings(environment='test', otel_endpoint='{ENDPOINT}'))",
        tmp_path,
    )
    assert done.returncode != 0
    assert "TracingUnavailable: CARNET_OTEL_ENDPOINT is set, but OpenTelemetry is not " \
        "installed" in done.stderr
    assert "pip install 'carnet[otel]'" in done.stderr


def test_the_collector_url_gets_the_traces_path():
    assert traces_url("http://collector:4318") == "http://collector:4318/v1/traces"
    assert traces_url("http://collector:4318/v1/traces/") == "http://collector:4318/v1/traces"


@pytest.fixture
async def traced(services, settings, app):
    exporter = InMemorySpanExporter()
    traced_app = create_app(services.settings(otel_endpoint=ENDPOINT), span_exporter=exporter)
    configure(settings)
    transport = httpx.ASGITransport(app=traced_app, client=("127.0.0.1", 50000))
    provider = traced_app.state.operations.tracing.provider
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://carnet.test") as c:
            yield c, provider, exporter
    finally:
        AsyncPGInstrumentor().uninstrument()  # process-wide: the other tests run bare
        provider.shutdown()


async def test_set_requests_produce_http_graphql_and_sql_spans(traced, world, services):
    client, provider, exporter = traced
    query = SIGN_IN % (world.owner.user.email, PASSWORD)
    response = await client.post("/graphql", json={"query": query})
    assert response.json()["data"]["tokenCreate"]["accessToken"]
    response = await client.get("/graphql", params={"query": "query Hidden { __typename }"},
                                headers={"accept": "application/json"})
    assert response.status_code == 200
    await client.get("/healthz")
    provider.force_flush()
    spans = exporter.get_finished_spans()
    names = [span.name for span in spans]

    assert "GraphQL Query: SignIn" in names and "GraphQL Parsing" in names
    assert "GraphQL Resolving: tokenCreate" in names
    assert any(name.startswith("POST /graphql") for name in names), names
    assert not any("healthz" in name for name in names)
    operation = next(s for s in spans if s.name == "GraphQL Query: SignIn")
    http = next(s for s in spans if s.name.startswith("POST /graphql") and s.parent is None)
    assert operation.context.trace_id == http.context.trace_id  # one trace per request
    assert operation.attributes["query"].startswith("sha256:")
    everything = json.dumps([dict(s.attributes) for s in spans], default=str)
    assert PASSWORD not in everything and world.owner.user.email not in everything
    assert "Hidden" not in everything  # a GET's query string stays out of the HTTP span
    if services.is_postgres:
        sql = [s for s in spans if s.attributes.get("db.system") == "postgresql"]
        assert sql and all(s.context.trace_id in {x.context.trace_id for x in spans}
                           for s in sql)
