"""Durable jobs: record the work in the transaction, enqueue it after commit, run it once.

    async with unit_of_work() as uow:
        message = await OutboxMessage.create(...)
        await uow.defer("send_email", message.id)
    # committed, then enqueued

One unit of work per request or job, carried in a context variable (as Polar's
JobQueueManager): a nested `unit_of_work()` joins the enclosing one, in a savepoint of its
transaction, and its tasks are enqueued once, after the outermost commit. A nested block
that raises takes its tasks with its savepoint, even when its caller catches the error.

A job receives only the task id. `run_task` skips a task already done, so a job that
arq runs twice (a retry, a killed worker, a re-enqueue by the sweeper) does its work once;
the job body must itself be safe to resume (see `resolvers.messaging.deliver`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from arq import Retry
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from carnet import queue
from carnet.settings import current_settings
from models.tasks import Task, TaskStatus
from resolvers.common.time import now

log = logging.getLogger(__name__)


# What to do with a task's records once it is given up for good, by job function name
# (e.g. mark the outbox row FAILED), so no row is left looking "in progress" forever.
_GIVE_UP: dict[str, Callable[..., Awaitable[None]]] = {}


def on_give_up(function: str, handler: Callable[..., Awaitable[None]]) -> None:
    _GIVE_UP[function] = handler


# What to do before a finished task's row is deleted (`purge_finished`), by job function
# name: e.g. delete the file stored under the task's id.
_PURGE: dict[str, Callable[[Task], Awaitable[None]]] = {}


def on_purge(function: str, handler: Callable[[Task], Awaitable[None]]) -> None:
    _PURGE[function] = handler


class UnitOfWork:
    def __init__(self, connection: TransactionalDBClient) -> None:
        self.connection = connection  # the outermost transaction's
        self.tasks: list[Task] = []

    async def defer(self, function: str, *args: int | str) -> Task:
        task = await Task.create(function=function, args=list(args))
        self.tasks.append(task)
        return task


_current: ContextVar[UnitOfWork | None] = ContextVar("carnet_unit_of_work", default=None)


def current_unit_of_work() -> UnitOfWork:
    """The unit of work this code runs in (for what must happen inside a transaction)."""
    uow = _current.get()
    if uow is None:
        raise RuntimeError("this needs a transaction: call it inside unit_of_work()")
    return uow


@asynccontextmanager
async def unit_of_work() -> AsyncIterator[UnitOfWork]:
    """The unit of work of this request or job: a new one (a transaction, its tasks
    enqueued after commit), or the enclosing one, joined in a savepoint."""
    outer = _current.get()
    if outer is not None:
        async with _joined(outer):
            yield outer
        return
    if isinstance(Task._meta.db, TransactionalDBClient):
        # Its tasks would be enqueued before that transaction commits.
        raise RuntimeError("unit_of_work() inside a bare in_transaction(): make it a unit_of_work")
    async with in_transaction() as connection:
        uow = UnitOfWork(connection)
        token = _current.set(uow)
        try:
            yield uow
        finally:
            _current.reset(token)
    await enqueue_tasks(uow.tasks)


@asynccontextmanager
async def _joined(uow: UnitOfWork) -> AsyncIterator[None]:
    """A savepoint in the unit of work; the tasks deferred in it go if it is rolled back."""
    kept = len(uow.tasks)
    try:
        async with in_transaction():
            yield
    except BaseException:
        del uow.tasks[kept:]
        raise


def run_budget_seconds() -> float:
    """How long one run of a long job may work before it hands the rest to a fresh task:
    half the job timeout, so no run outlives it (a job's own longer timeout would lock
    every job that long after a killed worker: arq sizes its locks on the longest)."""
    return max(current_settings().job_timeout_seconds / 2, 1)


def job_id(task: Task) -> str:
    # arq's job keys are global to the Redis database: the prefix keeps deployments (and
    # concurrent test runs) sharing one Redis apart.
    return f"{current_settings().redis_prefix}:task:{task.id}"


async def enqueue_task(task: Task) -> None:
    if await queue.enqueue(task.function, task.id, job_id=job_id(task)):
        await Task.filter(id=task.id).update(enqueued_at=now())


# Tasks enqueued at once after a commit: a bulk operation defers one per chunk, and
# thousands of Redis round trips one after the other took longer than the work.
_ENQUEUED_TOGETHER = 100


async def enqueue_tasks(tasks: Sequence[Task]) -> None:
    """`enqueue_task` for many: a hundred at a time concurrently, those enqueued marked in
    one statement per hundred."""
    for start in range(0, len(tasks), _ENQUEUED_TOGETHER):
        batch = tasks[start : start + _ENQUEUED_TOGETHER]
        sent = await asyncio.gather(
            *(queue.enqueue(task.function, task.id, job_id=job_id(task)) for task in batch)
        )
        enqueued = [task.id for task, ok in zip(batch, sent, strict=True) if ok]
        if enqueued:
            await Task.filter(id__in=enqueued).update(enqueued_at=now())


async def run_task(task_id: int, body: Callable[..., Awaitable[Any]], max_tries: int, job_try: int):
    """Runs `body(*task.args)` unless the task is already done; records the outcome."""
    task = await Task.get_or_none(id=task_id)
    if task is None or task.status is not TaskStatus.PENDING:
        return None
    await Task.filter(id=task_id).update(attempts=F("attempts") + 1)
    try:
        result = await body(*task.args)
    except Exception as exc:
        if job_try >= max_tries:
            await give_up(task, repr(exc))
        raise
    await Task.filter(id=task_id, status=TaskStatus.PENDING).update(
        status=TaskStatus.DONE, finished_at=now()
    )
    return result


async def run_job(ctx: dict, task_id: int, body: Callable[..., Awaitable[Any]]) -> None:
    """An arq job's whole body: `run_task`, and on any failure a retry with a growing
    delay until the last try, which marks the task FAILED. Not only OSError deserves one:
    a relay's 4xx reply (greylisting's "451 try again later") raises aiosmtplib's
    SMTPResponseException, and a job that fails without `Retry` is never run again by arq.
    Bodies are idempotent, or resume where they stopped, so any failure may be retried."""
    settings = ctx["settings"]
    try:
        await run_task(task_id, body, settings.job_max_tries, ctx["job_try"])
    except Exception as exc:
        if ctx["job_try"] >= settings.job_max_tries:
            raise
        raise Retry(defer=ctx["job_try"] * 10) from exc


async def give_up(task: Task, reason: str) -> None:
    await Task.filter(id=task.id).update(
        status=TaskStatus.FAILED, finished_at=now(), last_error=reason[:2000]
    )
    handler = _GIVE_UP.get(task.function)
    if handler is not None:
        await handler(*task.args)


async def sweep(
    *,
    never_enqueued_after: timedelta,
    stalled_after: timedelta,
    max_attempts: int,
    batch: int = 500,
) -> int:
    """Re-enqueues pending tasks that were never enqueued or whose job went missing.

    arq deduplicates on the job id while the job is queued or running, so re-enqueueing
    a task that is merely slow does nothing; the result arq keeps for a job that ended
    without finishing its task is dropped first (`queue.forget_result`).
    """
    moment = now()
    pending = (
        await Task.filter(status=TaskStatus.PENDING, created_at__lt=moment - never_enqueued_after)
        .order_by("id")
        .limit(batch)
    )
    count = 0
    for task in pending:
        if task.attempts >= max_attempts:
            # Each re-enqueue restarts arq's try counter: without this a job that always
            # times out or kills its worker would be retried forever.
            await give_up(task, f"gave up after {task.attempts} attempts")
        elif task.enqueued_at is None or task.enqueued_at < moment - stalled_after:
            # A task still PENDING long after its job finished (timed out, failed without
            # Retry, out of tries) would otherwise wait for arq's kept result to expire.
            await queue.forget_result(job_id(task))
            await enqueue_task(task)
            count += 1
    return count


async def purge_finished(older_than: datetime, batch: int = 5000) -> int:
    """Deletes the tasks finished (DONE or FAILED) before `older_than`, `batch` rows per
    statement, after their functions' `on_purge` handlers; returns how many. Pending
    tasks stay whatever their age: the sweeper still owes them a run."""
    count = 0
    while True:
        finished = await Task.filter(
            status__in=[TaskStatus.DONE, TaskStatus.FAILED], finished_at__lt=older_than
        ).order_by("id").limit(batch)
        for task in finished:
            handler = _PURGE.get(task.function)
            if handler is not None:
                await handler(task)
        if finished:
            await Task.filter(id__in=[task.id for task in finished]).delete()
        count += len(finished)
        if len(finished) < batch:
            return count
