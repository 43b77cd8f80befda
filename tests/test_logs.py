"""Structured logs: with CARNET_LOG_FORMAT=json, one JSON line per request and per job run;
in both formats, every job failure with its task id and exception (a real burst worker)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import subprocess
import sys
from contextlib import contextmanager

import httpx
import pytest

from carnet.logs import JsonFormatter
from carnet.settings import configure
from carnet.web.app import create_app
from models.tasks import Task, TaskStatus
from resolvers.messaging.email import SEND_EMAIL
from schema import ids
from tests.support.worker import run_worker, run_worker_skipping_retry_delays

STAFF = """
query Staff($org: ID!) { staffMembers(organizationId: $org) { totalCount } }
"""
RESET = "mutation R($email: String!) { passwordResetRequest(input: {email: $email}) { ok } }"


@contextmanager
def json_lines(logger: str, level: int = logging.INFO):
    """The lines a JSON handler on `logger` writes, parsed (each must be one JSON object)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    target = logging.getLogger(logger)
    old_level = target.level
    target.addHandler(handler)
    target.setLevel(level)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        target.removeHandler(handler)
        target.setLevel(old_level)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines())


@pytest.fixture
async def json_client(services, settings, app):
    json_app = create_app(services.settings(log_format="json"))
    configure(settings)
    transport = httpx.ASGITransport(app=json_app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://carnet.test") as client:
        yield client


async def test_a_json_line_per_request_names_operation_caller_and_cost(json_client, world):
    org = ids.encode("Organization", world.organization.id)
    with json_lines("carnet.request") as lines:
        response = await json_client.post(
            "/graphql",
            json={"query": STAFF, "variables": {"org": org}},
            headers={"authorization": f"Bearer {world.owner.token}", "x-request-id": "req-42"},
        )
        assert response.json()["data"]["staffMembers"]["totalCount"] >= 1
        await json_client.post("/graphql", json={"query": "{ me { id } }"})

    [staff, anonymous] = lines
    assert staff["event"] == "request" and staff["logger"] == "carnet.request"
    assert staff["request_id"] == "req-42" == response.headers["x-request-id"]
    assert (staff["method"], staff["path"], staff["status"]) == ("POST", "/graphql", 200)
    assert (staff["operation"], staff["operation_type"], staff["outcome"]) == (
        "Staff", "query", "ok")
    assert staff["user_id"] == world.owner.user.id
    assert staff["organization_id"] == world.organization.id
    assert staff["statements"] >= 2  # the session, then the list
    assert staff["duration_ms"] >= 0

    assert anonymous["operation"] is None and anonymous["user_id"] is None
    assert (anonymous["outcome"], anonymous["error_codes"]) == ("errors", ["UNAUTHENTICATED"])
    assert anonymous["request_id"] and anonymous["request_id"] != "req-42"


async def test_a_request_line_names_the_route_never_the_secret_in_its_path(json_client):
    token = "s3cr3t-download-token-value"
    with json_lines("carnet.request") as lines:
        response = await json_client.get(f"/exports/{token}?x=private-query-string")
        await json_client.get("/healthz")
    assert response.status_code == 404
    [download, health] = lines
    assert (download["path"], download["status"]) == ("/exports/{token}", 404)
    assert token not in json.dumps(download) and "private" not in json.dumps(download)
    assert "operation" not in download  # not a GraphQL request
    assert (health["path"], health["status"]) == ("/healthz", 200)


async def test_no_request_lines_in_text_format(client):
    with json_lines("carnet.request") as lines:
        await client.post("/graphql", json={"query": "{ __typename }"})
    assert lines == []


async def test_a_retried_job_logs_why_with_its_task_id(api, world, use_smtp, smtp, caplog):
    """Text format: the retry's cause and traceback, with the task id; then the retry
    succeeds and logs nothing more (text has no per-run lines)."""
    settings = use_smtp()
    smtp.greylist_first()  # "451 try again later" to the first attempt
    await api.execute(RESET, {"email": world.viewer.user.email})
    task = await Task.get(function=SEND_EMAIL)
    caplog.set_level(logging.INFO, logger="carnet.job")
    worker = await asyncio.wait_for(run_worker_skipping_retry_delays(settings, task), 10)
    assert worker.jobs_retried == 1

    [failure] = [r for r in caplog.records if r.name == "carnet.job"]
    assert failure.levelno == logging.WARNING
    message = failure.getMessage()
    assert f"job send_email (task {task.id}, try 1 of {settings.job_max_tries})" in message
    assert "will be retried" in message and "451" in message
    assert "451" in caplog.text and "Traceback" in caplog.text  # the cause's traceback
    await task.refresh_from_db()
    assert task.status is TaskStatus.DONE


async def test_json_lines_for_each_job_run_and_its_failure(api, world, use_smtp, smtp):
    settings = use_smtp(log_format="json")
    smtp.greylist_first()
    await api.execute(RESET, {"email": world.viewer.user.email})
    task = await Task.get(function=SEND_EMAIL)
    with json_lines("carnet.job") as lines:
        await asyncio.wait_for(run_worker_skipping_retry_delays(settings, task), 10)

    runs = [line for line in lines if line["function"] == "send_email"]
    assert [(r["level"], r["outcome"], r["try"]) for r in runs] == [
        ("WARNING", "retry", 1), ("INFO", "ok", 2)]
    failed, done = runs
    assert failed["task_id"] == task.id == done["task_id"]
    assert failed["job_id"] == done["job_id"] and str(task.id) in failed["job_id"]
    assert "451" in failed["error"] and "Traceback" in failed["exception"]
    assert done["statements"] >= 3 and done["duration_ms"] >= 0
    # Crons log their runs too, by name (run at the burst worker's start).
    assert any(line["function"] == "sweep_tasks" and line["outcome"] == "ok" for line in lines)


async def test_a_last_failure_is_logged_as_an_error(api, world, use_smtp, smtp, caplog):
    settings = use_smtp(job_max_tries=1)
    smtp.greylist_first()
    await api.execute(RESET, {"email": world.viewer.user.email})
    task = await Task.get(function=SEND_EMAIL)
    caplog.set_level(logging.INFO, logger="carnet.job")
    worker = await run_worker(settings)
    assert worker.jobs_failed == 1

    [failure] = [r for r in caplog.records if r.name == "carnet.job"]
    assert failure.levelno == logging.ERROR
    assert f"(task {task.id}, try 1 of 1) failed, not retried" in failure.getMessage()
    line = json.loads(JsonFormatter().format(failure))  # the same record, as a JSON line
    assert (line["task_id"], line["outcome"]) == (task.id, "failed")
    assert "451" in line["exception"]


def test_the_cli_logging_setup_writes_json_lines():
    """`carnet worker` (configure_logging) and `carnet serve` (uvicorn's log_config, which
    each uvicorn process applies): every record, uvicorn's too, is one JSON line."""
    script = (
        "import logging, logging.config; "
        "from carnet.logs import configure_logging, uvicorn_log_config; "
        "from carnet.settings import Settings; settings = Settings(log_format='json'); "
        "configure_logging(settings); "
        "logging.getLogger('carnet.x').warning('hello\\nworld'); "
        "logging.getLogger('tortoise.db_client').debug('SELECT 1'); "
        "logging.config.dictConfig(uvicorn_log_config(settings)); "
        "logging.getLogger('uvicorn.error').info('Started server process'); "
        "logging.getLogger('carnet.y').info('after uvicorn')"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    lines = [json.loads(line) | {"time": None} for line in done.stderr.splitlines()]
    assert lines == [
        {"time": None, "level": "WARNING", "logger": "carnet.x", "message": "hello\nworld"},
        {"time": None, "level": "INFO", "logger": "uvicorn.error",
         "message": "Started server process"},
        {"time": None, "level": "INFO", "logger": "carnet.y", "message": "after uvicorn"},
    ]


async def test_concurrent_requests_each_count_their_own_statements(json_client, world):
    async def me():
        response = await json_client.post(
            "/graphql", json={"query": "query Me { me { id } }"},
            headers={"authorization": f"Bearer {world.owner.token}"})
        assert response.json()["data"]["me"]["id"]

    await me()  # the session's first use may write more than later ones
    with json_lines("carnet.request") as alone:
        await me()
    with json_lines("carnet.request") as together:
        await asyncio.gather(*(me() for _ in range(5)))
    [single] = alone
    assert single["statements"] >= 1
    assert [line["statements"] for line in together] == [single["statements"]] * 5
