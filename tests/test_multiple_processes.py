"""Two API processes and two workers on one PostgreSQL and one Redis behave as one service:
what one process learns (sign-in failures, persisted queries, audit events, queued jobs)
the others act on, as "Running in production" in the README says.

Every process is a real `carnet serve` / `carnet worker` subprocess on the run's settings.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest

from models.messaging import OutboxMessage, OutboxStatus
from models.tasks import Task, TaskStatus
from tests.identity.flows import RESET_REQUEST, rate_limited, sign_in
from tests.support.api import Api
from tests.support.live_server import LiveServer, live_server
from tests.support.live_worker import LiveWorker, live_worker
from tests.support.websocket import bearer, graphql_socket, init, receive, send
from tests.support.world import PASSWORD

pytestmark = pytest.mark.skipif(
    not os.environ.get("CARNET_TEST_DATABASE_URL"),
    reason="several machines share PostgreSQL and Redis; SQLite is one file on one machine "
    "(the PostgreSQL leg runs this)",
)

WRONG = "not the password"
JOB_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Cluster:
    apis: tuple[LiveServer, LiveServer]
    workers: tuple[LiveWorker, LiveWorker]


@pytest.fixture(scope="module")
def cluster(settings):
    with ExitStack() as stack:
        apis = tuple(stack.enter_context(live_server(settings)) for _ in range(2))
        workers = tuple(stack.enter_context(live_worker(settings, name)) for name in "ab")
        yield Cluster(apis=apis, workers=workers)


@asynccontextmanager
async def client_of(server: LiveServer) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=server.url, trust_env=False, timeout=30) as client:
        yield Api(client)


async def test_sign_in_failures_on_one_process_count_on_the_other(cluster, world, settings):
    email = world.loner.user.email
    async with client_of(cluster.apis[0]) as first, client_of(cluster.apis[1]) as second:
        for _ in range(settings.login_max_failures):
            result = await sign_in(first, email, WRONG)
            assert result.payload_codes("tokenCreate") == ["INVALID_CREDENTIALS"]
        rate_limited(await sign_in(second, email, PASSWORD), settings.login_failure_window_seconds)


async def test_a_query_persisted_through_one_process_runs_on_the_other(cluster, world):
    query = f"{{ roles {{ role }} }} # {uuid.uuid4().hex}"
    sha = hashlib.sha256(query.encode()).hexdigest()
    hash_only = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha}}}
    async with httpx.AsyncClient(trust_env=False, timeout=30) as client:
        first, second = cluster.apis
        unknown = (await client.post(second.graphql_url, json=hash_only)).json()
        assert unknown["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        registered = await client.post(first.graphql_url, json={"query": query, **hash_only})
        assert registered.json()["data"]["roles"]
        answered = (await client.post(second.graphql_url, json=hash_only)).json()
    assert "errors" not in answered, answered
    assert answered["data"] == registered.json()["data"]


TAIL = "subscription($o: ID!) { auditEventAdded(organizationId: $o) { action after } }"
RENAME = """mutation($input: OrganizationUpdateInput!) {
  organizationUpdate(input: $input) { errors { code field message } } }"""


async def test_a_subscription_on_one_process_receives_events_caused_through_the_other(
    cluster, world
):
    listening, writing = cluster.apis
    async with graphql_socket(listening) as websocket, client_of(writing) as api:
        assert (await init(websocket, bearer(world.admin.token)))["type"] == "connection_ack"
        payload = {"query": TAIL, "variables": {"o": world.org_gid}}
        await send(websocket, {"id": "tail", "type": "subscribe", "payload": payload})
        # The tail starts after what exists when it first polls: rename until one arrives.
        names = set()
        for attempt in range(40):
            names.add(name := f"Club renamed elsewhere {attempt}")
            variables = {"input": {"id": world.org_gid, "name": name}}
            (await api.as_(world.owner).execute(RENAME, variables)).ok("organizationUpdate")
            try:
                message = await receive(websocket, within=0.5)
            except TimeoutError:
                continue
            break
        else:
            raise AssertionError("the subscription received nothing caused on the other process")
    assert message["type"] == "next", message
    event = message["payload"]["data"]["auditEventAdded"]
    assert event["action"] == "organization.update"
    assert event["after"]["name"] in names


async def test_each_job_runs_once_across_two_workers(cluster, world):
    members = [world.owner, world.admin, world.billing_admin, world.agent, world.viewer,
               world.outsider, world.loner]
    async with client_of(cluster.apis[0]) as first, client_of(cluster.apis[1]) as second:
        for index, member in enumerate(members):
            api = (first, second)[index % 2]
            result = await api.execute(RESET_REQUEST, {"input": {"email": member.user.email}})
            assert result.ok("passwordResetRequest")["ok"] is True
    tasks = await _when_done(len(members))
    assert [(t.status, t.attempts) for t in tasks] == [(TaskStatus.DONE, 1)] * len(members)
    emails = await OutboxMessage.filter(template="password_reset").order_by("id")
    assert sorted(m.recipient for m in emails) == sorted(m.user.email for m in members)
    assert {(m.status, m.attempts) for m in emails} == {(OutboxStatus.SENT, 1)}
    # Each job started on exactly one of the two workers.
    starts = [line for worker in cluster.workers for line in worker.log().splitlines()
              if re.search(r"→ \S+:task:\d+:send_email\(", line)]
    started = sorted(int(re.search(r":task:(\d+):", line).group(1)) for line in starts)
    assert started == sorted(t.id for t in tasks), starts


async def _when_done(count: int) -> list[Task]:
    async with asyncio.timeout(JOB_TIMEOUT_SECONDS):
        while True:
            tasks = await Task.filter(function="send_email").order_by("id")
            if len(tasks) == count and all(t.status is not TaskStatus.PENDING for t in tasks):
                return tasks
            await asyncio.sleep(0.1)
