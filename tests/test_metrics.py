"""/metrics: Prometheus text, only with `Authorization: Bearer <CARNET_METRICS_TOKEN>`, and
no route at all when the setting is unset. Counters are read back from what a scrape
returns, after real requests (httpx on the ASGI app) and real jobs (a burst worker)."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from carnet.settings import configure
from carnet.statements import count_statements
from carnet.web.app import create_app
from carnet.web.protocol import GRAPHQL_RESPONSE_JSON
from tests.support.worker import run_worker

TOKEN = "metrics-token-0123456789abcdef"
ME = "query Me { me { id email } }"
JSON = {"accept": "application/json"}


def scraped(text: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of a scrape."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
async def metrics_client(services, settings, app):
    """A client of an app with metrics on (the session's app, `app`, runs the lifespan)."""
    clients = []

    async def make(**overrides) -> httpx.AsyncClient:
        metrics_app = create_app(services.settings(metrics_token=TOKEN, **overrides))
        configure(settings)  # create_app() made its settings the process's: ours back
        transport = httpx.ASGITransport(app=metrics_app, client=("127.0.0.1", 50000))
        client = httpx.AsyncClient(transport=transport, base_url="http://carnet.test")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


async def scrape(client: httpx.AsyncClient) -> dict:
    response = await client.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return scraped(response.text)


async def query(client, document: str, token: str | None = None, headers=None, **variables):
    headers = {**JSON, **(headers or {})}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return await client.post(
        "/graphql", json={"query": document, "variables": variables}, headers=headers
    )


async def test_there_is_no_metrics_route_without_the_setting(client):
    assert (await client.get("/metrics")).status_code == 404
    response = await client.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 404


async def test_metrics_need_the_token(metrics_client):
    client = await metrics_client()
    for headers in (
        {},
        {"authorization": "Bearer "},
        {"authorization": "Bearer not-the-token-at-all-0000"},
        {"authorization": f"Bearer {TOKEN}x"},
        {"authorization": f"Basic {TOKEN}"},
        {"authorization": TOKEN},
    ):
        response = await client.get("/metrics", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "carnet_" not in response.text
    assert value(await scrape(client), "carnet_metrics_source_up", source="redis") == 1


def test_a_short_token_is_refused(services):
    with pytest.raises(ValueError, match="at least 16 characters"):
        services.settings(metrics_token="short")


async def test_a_query_moves_the_request_counters_and_the_statement_histogram(
    metrics_client, world
):
    client = await metrics_client()
    with count_statements() as statements:
        response = await query(client, ME, world.owner.token)
    assert response.json()["data"]["me"]["email"] == world.owner.user.email
    samples = await scrape(client)

    assert value(samples, "carnet_graphql_requests_total", operation="Me", outcome="ok") == 1
    assert value(samples, "carnet_graphql_request_duration_seconds_count", operation="Me") == 1
    # The request's own statements (its sign-in included), counted apart from any other.
    assert len(statements) >= 1
    assert value(samples, "carnet_graphql_request_statements_sum", operation="Me") == len(
        statements
    )
    assert value(samples, "carnet_graphql_request_statements_count", operation="Me") == 1

    await query(client, ME, world.owner.token)
    samples = await scrape(client)
    assert value(samples, "carnet_graphql_requests_total", operation="Me", outcome="ok") == 2


async def test_outcomes_errors_and_http_statuses(metrics_client, world, settings):
    client = await metrics_client()
    await query(client, ME)  # anonymous: `me` needs a session, a field error
    await query(client, "query Broken { nope }")  # does not validate: a 200 in legacy JSON
    await query(client, "query Broken { nope }", headers={"accept": GRAPHQL_RESPONSE_JSON})
    await query(client, "{ __typename }")
    too_large = b'{"query": "{ __typename }"}' + b" " * settings.max_body_bytes
    await client.post("/graphql", content=too_large, headers={"content-type": "application/json"})
    samples = await scrape(client)

    requests = "carnet_graphql_requests_total"
    assert value(samples, requests, operation="Me", outcome="errors") == 1
    errors = "carnet_graphql_errors_total"
    assert value(samples, errors, operation="Me", code="UNAUTHENTICATED") == 1
    # A name that did not validate is no label: garbage cannot take the label slots.
    assert value(samples, requests, operation="invalid", outcome="errors") == 1
    assert value(samples, requests, operation="invalid", outcome="400") == 1
    assert value(samples, requests, operation="anonymous", outcome="ok") == 1
    assert value(samples, requests, operation="none", outcome="413") == 1
    assert not any(labels and ("operation", "Broken") in labels for _, labels in samples)


async def test_operation_names_beyond_the_cap_count_as_other(metrics_client):
    client = await metrics_client(metrics_max_operations=2)
    for name in ("First", "Second", "Third", "Fourth", "First"):
        await query(client, f"query {name} {{ __typename }}")
    samples = await scrape(client)

    requests = "carnet_graphql_requests_total"
    assert value(samples, requests, operation="First", outcome="ok") == 2
    assert value(samples, requests, operation="Second", outcome="ok") == 1
    assert value(samples, requests, operation="other", outcome="ok") == 2
    assert value(samples, requests, operation="Third", outcome="ok") == 0


async def test_queue_depth_outbox_backlog_and_job_counters(metrics_client, world, settings):
    client = await metrics_client()
    response = await query(
        client,
        "mutation R($email: String!) { passwordResetRequest(input: {email: $email}) { ok } }",
        email=world.viewer.user.email,
    )
    assert response.json()["data"]["passwordResetRequest"]["ok"] is True
    samples = await scrape(client)
    assert value(samples, "carnet_job_queue_depth", state="due") == 1
    assert value(samples, "carnet_outbox_undelivered", channel="email", status="pending") == 1
    assert value(samples, "carnet_outbox_oldest_undelivered_age_seconds") >= 0
    assert value(samples, "carnet_metrics_source_up", source="database") == 1

    await run_worker(settings)  # another process's work, as far as /metrics knows
    samples = await scrape(client)
    assert value(samples, "carnet_job_queue_depth", state="due") == 0
    backlog = {labels: v for (name, labels), v in samples.items()
               if name == "carnet_outbox_undelivered"}
    assert backlog == {  # every series is there, zeros included
        (("channel", channel), ("status", status)): 0.0
        for channel in ("email", "sms") for status in ("pending", "sending")
    }
    assert not any(name.endswith("_created") for name, _ in samples)
    assert value(samples, "carnet_outbox_oldest_undelivered_age_seconds") == 0
    assert value(samples, "carnet_jobs_total", function="send_email", outcome="ok") == 1
    assert value(samples, "carnet_jobs_total", function="send_email", outcome="failed") == 0
    assert value(samples, "carnet_job_duration_seconds_count", function="send_email") == 1
    assert value(samples, "carnet_job_duration_seconds_bucket", function="send_email",
                 le="+Inf") == 1
    # Crons count by their own name, without the deployment's prefix.
    assert value(samples, "carnet_jobs_total", function="sweep_tasks", outcome="ok") >= 1


SERVE_ONE = """
import asyncio, sys
import httpx
from carnet.web.app import create_app
from carnet.settings import Settings

TOKEN = sys.argv[2]
app = create_app(Settings(environment="test", metrics_token=TOKEN))

async def main():
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://carnet.test") as client:
        if sys.argv[1] == "query":
            await client.post("/graphql", json={"query": "query One { __typename }"})
        else:
            response = await client.get("/metrics", headers={"authorization": "Bearer " + TOKEN})
            print(response.text)

asyncio.run(main())
"""


def test_with_a_multiprocess_directory_a_scrape_adds_up_every_process(tmp_path):
    """uvicorn --workers N: each process counts its own requests, any of them answers."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
           "CARNET_VAR_DIR": str(tmp_path)}
    (tmp_path / "metrics").mkdir()

    def run(command: str) -> str:
        done = subprocess.run([sys.executable, "-c", SERVE_ONE, command, TOKEN], env=env,
                              capture_output=True, text=True, cwd=tmp_path, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("query")
    run("query")
    samples = scraped(run("scrape"))
    assert value(samples, "carnet_graphql_requests_total", operation="One", outcome="ok") == 2
    assert value(samples, "carnet_graphql_request_statements_count", operation="One") == 2
