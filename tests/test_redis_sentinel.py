"""Redis behind Sentinel (CARNET_REDIS_SENTINELS): the API and a worker, started against the
sentinel, keep working through a failover, writing to the new primary."""

from __future__ import annotations

import asyncio
import hashlib
import uuid

import httpx

from carnet import queue
from models.tasks import Task, TaskStatus
from tests.identity.flows import RESET_REQUEST
from tests.support.live_server import live_server
from tests.support.live_worker import live_worker
from tests.support.sentinel import MASTER_NAME, sentinel_setup

JOB_TIMEOUT_SECONDS = 60


async def _persist(client: httpx.AsyncClient, server) -> str:
    """Registers a fresh persisted query through `server`; returns its Redis key's suffix."""
    query = f"{{ roles {{ role }} }} # {uuid.uuid4().hex}"
    sha = hashlib.sha256(query.encode()).hexdigest()
    body = {"query": query, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha}}}
    answer = (await client.post(server.graphql_url, json=body)).json()
    assert answer["data"]["roles"], answer
    return sha


async def test_the_api_and_a_worker_follow_a_failover(services, settings, world, tmp_path):
    with sentinel_setup(tmp_path / "redis") as setup:
        behind_sentinel = services.settings(
            # Only the database (and credentials) of the URL are used: the sentinel names
            # the host.
            redis_url="redis://unused.invalid:6379/0",
            redis_sentinels=setup.sentinels,
            redis_sentinel_master=MASTER_NAME,
        )
        with (live_server(behind_sentinel) as server,
              live_worker(behind_sentinel, "sentinel") as worker):
            async with httpx.AsyncClient(trust_env=False, timeout=30) as client:
                key = f"{settings.redis_prefix}:apq:{await _persist(client, server)}"
                assert setup.client(setup.primary_port).exists(key)

                new_primary = setup.fail_over()
                assert new_primary == setup.replica_port

                key = f"{settings.redis_prefix}:apq:{await _persist(client, server)}"
                assert setup.client(new_primary).exists(key)
                # A job enqueued now goes to the new primary, where the worker, connected
                # before the failover, finds and runs it.
                request = {"query": RESET_REQUEST,
                           "variables": {"input": {"email": world.viewer.user.email}}}
                answer = (await client.post(server.graphql_url, json=request)).json()
                assert answer["data"]["passwordResetRequest"]["ok"] is True, answer
            task = await _when_done()
            assert task.status is TaskStatus.DONE, (task.last_error, worker.log())
    assert "Traceback" not in server.log(), server.log()


async def _when_done() -> Task:
    async with asyncio.timeout(JOB_TIMEOUT_SECONDS):
        while True:
            task = await Task.get_or_none(function="send_email")
            if task is not None and task.status is not TaskStatus.PENDING:
                return task
            await asyncio.sleep(0.1)


def test_sentinel_addresses_are_read_as_host_and_port():
    assert queue._address("10.0.0.5:26379") == ("10.0.0.5", 26379)
    assert queue._address("[::1]:26379") == ("::1", 26379)
