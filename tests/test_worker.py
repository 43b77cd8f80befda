"""Jobs are idempotent: run twice, re-enqueued, never enqueued, or killed mid-send, an
email job has the effect of one run — one message on a real SMTP server, one SENT row.

Email goes through the `smtp` backend to an aiosmtpd server in this process; jobs run in
a real arq worker (burst mode, in process) and, for the kill test, in a `carnet worker`
subprocess on the same database, Redis and queue.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import inspect
import json
import os
import pkgutil
import signal
import sys
import time
from datetime import timedelta
from enum import Enum
from pathlib import Path

import pytest
from arq.constants import in_progress_key_prefix, job_key_prefix
from pydantic import SecretStr
from redis.exceptions import ConnectionError as RedisConnectionError

import jobs
import resolvers
from carnet import queue
from carnet.auth import token_digest
from carnet.settings import Settings
from jobs.maintenance import sweep_tasks
from jobs.worker import WorkerSettings, worker_settings
from models.identity import OneTimeToken
from models.messaging import OutboxMessage, OutboxStatus
from models.tasks import Task, TaskStatus
from resolvers.common.tasks import enqueue_task, job_id
from resolvers.common.time import now
from resolvers.messaging.email import SEND_EMAIL
from tests.support.mail import tokens_in
from tests.support.smtp import SmtpServer
from tests.support.worker import run_worker, run_worker_skipping_retry_delays

REPO_ROOT = Path(__file__).resolve().parent.parent

PASSWORD_RESET_REQUEST = """
mutation ($email: String!) {
  passwordResetRequest(input: {email: $email}) { ok errors { code } }
}
"""


async def request_reset(api, email: str) -> tuple[Task, OutboxMessage]:
    result = await api.execute(PASSWORD_RESET_REQUEST, {"email": email})
    assert result.ok("passwordResetRequest")["ok"] is True
    return await Task.get(function=SEND_EMAIL), await OutboxMessage.get(recipient=email)


async def sweep(settings: Settings) -> int:
    return await sweep_tasks({"settings": settings})


async def age(task: Task, *, seconds: int, enqueued: bool = False) -> None:
    """Moves the task's clock back, as if it had been created (and enqueued) that long ago."""
    moment = now() - timedelta(seconds=seconds)
    values = {"created_at": moment, **({"enqueued_at": moment} if enqueued else {})}
    await Task.filter(id=task.id).update(**values)


async def assert_sent_once(smtp: SmtpServer, message: OutboxMessage, task: Task) -> None:
    assert len(smtp.messages) == 1, [m["Message-ID"] for m in smtp.messages]
    received = smtp.messages[0]
    await message.refresh_from_db()
    # Each attempt mints the link anew: the Message-ID names the attempt that sent it.
    assert received["Message-ID"] == f"<outbox-{message.id}.{message.attempts}@carnet>"
    assert received["To"] == message.recipient
    assert received["Subject"] == message.subject
    assert message.status is OutboxStatus.SENT
    assert message.sent_at is not None
    await task.refresh_from_db()
    assert task.status is TaskStatus.DONE
    assert task.finished_at is not None
    # The link received is the token's one secret, and nothing of the mail is kept.
    [token] = tokens_in(received)
    live = OneTimeToken.filter(user__email=message.recipient, used_at=None, revoked_at=None)
    assert await live.values_list("token_hash", flat=True) == [token_digest(token)]
    assert (message.body_text, message.body_html, message.links) == ("", "", [])


async def test_email_job_runs_once_however_often_the_worker_runs(api, world, use_smtp, smtp):
    settings = use_smtp()
    task, message = await request_reset(api, world.viewer.user.email)
    assert task.args == [message.id]  # the job gets ids, never rows
    assert task.enqueued_at is not None  # enqueued once the request's transaction committed
    assert message.status is OutboxStatus.PENDING

    await run_worker(settings)
    await run_worker(settings)

    await assert_sent_once(smtp, message, task)
    assert (task.attempts, message.attempts) == (1, 1)
    assert await OutboxMessage.all().count() == 1


async def test_a_task_enqueued_again_sends_nothing_more(api, world, use_smtp, smtp):
    settings = use_smtp()
    task, message = await request_reset(api, world.viewer.user.email)
    await enqueue_task(task)  # while queued: the same arq job id, so nothing new
    await run_worker(settings)

    await enqueue_task(task)  # once done: arq still holds the job's result under its id
    assert await sweep(settings) == 0  # a done task is never swept
    await run_worker(settings)
    # Past arq's deduplication (its result expired, or a different job id): the job runs,
    # finds its task done, and does nothing.
    await queue.enqueue(SEND_EMAIL, task.id, job_id=f"{job_id(task)}:again")
    worker = await run_worker(settings)

    assert worker.jobs_complete >= 1 and worker.jobs_failed == 0
    await assert_sent_once(smtp, message, task)
    assert (task.attempts, message.attempts) == (1, 1)


async def test_a_job_killed_after_sending_but_before_done_sends_nothing_more(
    api, world, use_smtp, smtp
):
    settings = use_smtp()
    task, message = await request_reset(api, world.viewer.user.email)
    await run_worker(settings)
    # The state a kill leaves between the outbox row's SENT and the task's DONE.
    await Task.filter(id=task.id).update(status=TaskStatus.PENDING, finished_at=None)
    await queue.enqueue(SEND_EMAIL, task.id, job_id=f"{job_id(task)}:again")
    await run_worker(settings)

    await assert_sent_once(smtp, message, task)
    assert (task.attempts, message.attempts) == (2, 1)  # run again, but not sent again


async def test_a_task_never_enqueued_is_sent_once_by_the_sweeper(
    api, world, use_smtp, smtp, monkeypatch
):
    settings = use_smtp()

    async def unreachable(*args, **kwargs):
        raise RedisConnectionError("Redis is unreachable")

    with monkeypatch.context() as patch:
        patch.setattr(queue.pool(), "enqueue_job", unreachable)
        # The request still succeeds: the work is recorded in the database first.
        task, message = await request_reset(api, world.viewer.user.email)
    assert task.enqueued_at is None

    await run_worker(settings)  # nothing in the queue; the task is too young to sweep
    await task.refresh_from_db()
    assert (task.status, task.enqueued_at, smtp.messages) == (TaskStatus.PENDING, None, [])

    await age(task, seconds=31)
    assert await sweep(settings) == 1
    await task.refresh_from_db()
    assert task.enqueued_at is not None
    await run_worker(settings)
    assert await sweep(settings) == 0
    await run_worker(settings)

    await assert_sent_once(smtp, message, task)
    assert (task.attempts, message.attempts) == (1, 1)


async def test_a_job_lost_from_redis_is_sent_once_by_the_sweeper(api, world, use_smtp, smtp):
    settings = use_smtp()
    task, message = await request_reset(api, world.viewer.user.email)
    redis = queue.pool()
    await redis.zrem(settings.queue_name, job_id(task))  # Redis lost the job
    await redis.delete(job_key_prefix + job_id(task))

    stalled = settings.job_timeout_seconds * settings.job_max_tries + 60
    await age(task, seconds=stalled - 5, enqueued=True)
    assert await sweep(settings) == 0  # it may still be retrying: not stalled yet
    await age(task, seconds=stalled + 5, enqueued=True)
    assert await sweep(settings) == 1
    await run_worker(settings)
    await run_worker(settings)

    await assert_sent_once(smtp, message, task)
    assert (task.attempts, message.attempts) == (1, 1)


async def test_a_greylisted_email_is_retried_and_sent_once(api, world, use_smtp, smtp):
    settings = use_smtp()
    smtp.greylist_first()  # "451 try again later" to the first attempt, as relays do
    task, message = await request_reset(api, world.viewer.user.email)
    worker = await asyncio.wait_for(run_worker_skipping_retry_delays(settings, task), 10)

    assert worker.jobs_retried == 1 and worker.jobs_failed == 0
    await assert_sent_once(smtp, message, task)
    assert (task.attempts, message.attempts) == (2, 2)
    assert "451" in message.last_error


async def test_a_job_that_timed_out_is_sent_once_by_the_sweeper(api, world, use_smtp, smtp):
    settings = use_smtp(job_timeout_seconds=1)
    smtp.hold_first_data()
    task, message = await request_reset(api, world.viewer.user.email)
    running = asyncio.create_task(run_worker(settings))
    await asyncio.wait_for(smtp.data_held.wait(), 5)
    # The relay stalls past the job's timeout, then drops the connection (without that,
    # the cancelled job would wait on its QUIT for aiosmtplib's 30 s timeout).
    await asyncio.sleep(settings.job_timeout_seconds + 0.5)
    smtp.release(hang_up=True)
    worker = await asyncio.wait_for(running, 5)
    assert worker.jobs_failed == 1
    await task.refresh_from_db()
    assert (task.status, task.attempts, smtp.messages) == (TaskStatus.PENDING, 1, [])

    await age(task, seconds=3600, enqueued=True)
    assert await sweep(settings) == 1
    # The second run gets a timeout no busy machine reaches: with the same second, a slow
    # CI run timed it out too, and no message went.
    await run_worker(settings, job_timeout=60)

    await assert_sent_once(smtp, message, task)
    assert (task.attempts, message.attempts) == (2, 2)


# The kill test: a `carnet worker` subprocess is SIGKILLed while its SMTP conversation is
# open; the next worker (after arq's lock on the job expires) sends the email once.

KILLED_JOB_TIMEOUT_SECONDS = 2  # arq locks a started job for the timeout + 10 s


def worker_environment(settings: Settings) -> dict[str, str]:
    """The environment in which `carnet worker` reads settings equal to `settings`.

    Every field is passed (a developer's `.env` must not change the worker under test);
    the embedded Redis is named by its socket, so the subprocess reaches this run's server.
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith("CARNET_")}
    values = {
        **dict(settings),
        "database_url": settings.effective_database_url,
        "redis_url": settings.effective_redis_url,
        "var_dir": settings.var_dir.resolve(),
    }
    for name, value in values.items():
        env[f"CARNET_{name.upper()}"] = _env_value(value)
    return env


def _env_value(value: object) -> str:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


def open_log(path: Path):
    return path.open("wb")


async def start_worker_process(settings: Settings, log: Path) -> asyncio.subprocess.Process:
    with open_log(log) as output:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "carnet.cli", "worker",
            cwd=REPO_ROOT, env=worker_environment(settings),
            stdin=asyncio.subprocess.DEVNULL, stdout=output, stderr=output,
        )


async def kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGKILL)
    await asyncio.wait_for(process.wait(), 5)


async def wait_for_lock_to_expire(key: str, *, within: float) -> None:
    deadline = time.monotonic() + within
    redis = queue.pool()
    while await redis.exists(key):
        assert time.monotonic() < deadline, f"{key} still held after {within} s"
        # Never past the deadline: a lock meant to last far longer fails here, not hangs.
        remaining = deadline - time.monotonic()
        await asyncio.sleep(min(max(await redis.pttl(key), 50) / 1000, max(remaining, 0.05)))


async def test_a_worker_killed_mid_send_is_finished_once_by_the_next(
    api, world, use_smtp, smtp, tmp_path
):
    settings = use_smtp(job_timeout_seconds=KILLED_JOB_TIMEOUT_SECONDS)
    smtp.hold_first_data()
    task, message = await request_reset(api, world.viewer.user.email)
    log = tmp_path / "worker.log"
    worker = await start_worker_process(settings, log)
    try:
        await asyncio.wait_for(smtp.data_held.wait(), 10)
    except TimeoutError:
        pytest.fail(f"the worker never reached the SMTP server:\n{log.read_text()}")
    finally:
        await kill(worker)
    assert worker.returncode == -signal.SIGKILL
    smtp.release()
    lock = in_progress_key_prefix + job_id(task)
    assert await queue.pool().exists(lock)  # the dead worker's claim on the job

    # What the kill left: the row claimed, nothing received, the task still to do.
    await message.refresh_from_db()
    await task.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENDING, 1)
    assert (task.status, task.attempts) == (TaskStatus.PENDING, 1)
    assert smtp.messages == []

    # arq keeps the killed job queued, locked until its in-progress key expires.
    await wait_for_lock_to_expire(lock, within=KILLED_JOB_TIMEOUT_SECONDS + 11)
    # The sweeper finds the task stalled; re-enqueueing the queued job adds nothing.
    await age(task, seconds=3600, enqueued=True)
    assert await sweep(settings) == 1
    restarted = await asyncio.wait_for(run_worker(settings), 10)

    assert restarted.jobs_complete >= 1 and restarted.jobs_failed == 0
    await assert_sent_once(smtp, message, task)
    assert (task.attempts, message.attempts) == (2, 2)
    assert smtp.connections == 2


# The registry contract: every job function is registered, every deferred name is a job.


def job_modules():
    for info in pkgutil.iter_modules(jobs.__path__, "jobs."):
        if info.name != "jobs.worker":  # the registry itself: startup and shutdown
            yield importlib.import_module(info.name)


def deferred_names() -> list[tuple[str, str]]:
    """(module, job name) for each `<uow>.defer(name, ...)` call under resolvers/."""
    found = []
    root = Path(resolvers.__file__).parent
    for path in sorted(root.rglob("*.py")):
        module_name = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        if module_name == "resolvers.common.tasks":
            continue  # UnitOfWork itself
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "defer" and node.args):
                module = importlib.import_module(module_name)
                found.append((module_name, _constant(node.args[0], module)))
    return found


def _constant(node: ast.expr, module) -> str:
    """A literal, or a constant the module defines or imports (`SEND_EMAIL`, `email.X`)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return getattr(module, node.id)
    if isinstance(node, ast.Attribute):
        return getattr(_constant(node.value, module), node.attr)
    raise AssertionError(f"{module.__name__}: defer() a job by a constant name, not "
                         f"{ast.unparse(node)}")


def test_every_job_is_registered_and_every_deferred_name_is_a_job(settings):
    registered = {function.__name__ for function in WorkerSettings.functions}
    assert [f.__name__ for f in worker_settings(settings)["functions"]] == [
        f.__name__ for f in WorkerSettings.functions
    ]
    crons = {cron.coroutine.__name__ for cron in WorkerSettings.cron_jobs}
    assert crons == {cron.coroutine.__name__ for cron in worker_settings(settings)["cron_jobs"]}

    defined = {
        name
        for module in job_modules()
        for name, function in inspect.getmembers(module, inspect.iscoroutinefunction)
        if function.__module__ == module.__name__ and not name.startswith("_")
    }
    assert defined - registered - crons == set(), "job functions missing from WorkerSettings"

    assert SEND_EMAIL in registered
    deferred = deferred_names()
    assert ("resolvers.messaging.email", SEND_EMAIL) in deferred
    unknown = [(module, name) for module, name in deferred if name not in registered]
    assert unknown == [], "deferred names that no worker runs"


async def test_a_task_that_keeps_failing_is_given_up_and_its_email_marked_failed(
    api, world, settings
):
    from models.messaging import OutboxStatus
    from models.tasks import TaskStatus

    task, message = await request_reset(api, world.owner.user.email)
    await age(task, seconds=3600, enqueued=True)
    await Task.filter(id=task.id).update(attempts=settings.job_max_tries * 3)
    await OutboxMessage.filter(id=message.id).update(status=OutboxStatus.SENDING)
    assert await sweep(settings) == 0  # given up, not re-enqueued
    task = await Task.get(id=task.id)
    assert task.status is TaskStatus.FAILED and "gave up" in task.last_error
    assert (await OutboxMessage.get(id=message.id)).status is OutboxStatus.FAILED
