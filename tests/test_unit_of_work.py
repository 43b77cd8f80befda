"""One unit of work per request or job: nested blocks join it, and what they defer is
enqueued once, after the outermost commit; nothing rolled back is ever enqueued.

A job enqueued before its rows are committed may run, find nothing, and leave its task
to the sweeper: so "enqueued" here is observed in Redis (arq's job key) and on the task
row, at the moment each block exits.
"""

from __future__ import annotations

import asyncio
import contextvars
import re
from pathlib import Path

import pytest
from arq.constants import job_key_prefix
from tortoise.transactions import in_transaction

from carnet import queue
from carnet.settings import current_settings
from models.identity import User
from models.messaging import OutboxMessage, OutboxStatus
from models.tasks import Task, TaskStatus
from resolvers.common.tasks import job_id, unit_of_work
from tests.identity.flows import register
from tests.support.worker import run_worker

REPO_ROOT = Path(__file__).resolve().parent.parent
JOB = "send_email"  # never run here: only queued, and the queue is emptied after each test


class Refused(Exception):
    pass


async def queued(task: Task) -> bool:
    return bool(await queue.pool().exists(job_key_prefix + job_id(task)))


async def queued_task_ids() -> list[int]:
    jobs = await queue.pool().queued_jobs(queue_name=current_settings().queue_name)
    return sorted(job.args[0] for job in jobs)


async def test_a_nested_defer_is_enqueued_only_after_the_outer_commit(app):
    async with unit_of_work() as outer:
        first = await outer.defer(JOB, 1)
        async with unit_of_work() as inner:
            nested = await inner.defer(JOB, 2)
        assert inner is outer  # one unit of work: the nested block joined it
        assert not await queued(nested)
        assert (await Task.get(id=nested.id)).enqueued_at is None
        assert not await queued(first)
    for task in (first, nested):
        assert await queued(task)
        assert (await Task.get(id=task.id)).enqueued_at is not None


@pytest.mark.parametrize("raised_in", ["outer block", "nested block"])
async def test_an_exception_in_either_block_rolls_everything_back(app, raised_in):
    with pytest.raises(Refused):
        async with unit_of_work() as outer:
            first = await outer.defer(JOB, 1)
            async with unit_of_work() as inner:
                nested = await inner.defer(JOB, 2)
                if raised_in == "nested block":
                    raise Refused
            raise Refused
    assert not await queued(first)
    assert not await queued(nested)
    assert await Task.all().count() == 0


async def test_a_nested_block_rolled_back_and_caught_drops_only_its_own_tasks(app):
    async with unit_of_work() as outer:
        before = await outer.defer(JOB, 1)
        with pytest.raises(Refused):
            async with unit_of_work() as inner:
                await inner.defer(JOB, 2)
                async with unit_of_work() as innermost:
                    await innermost.defer(JOB, 3)
                raise Refused
        async with unit_of_work() as sibling:
            after = await sibling.defer(JOB, 4)
    # The savepoint took the dropped tasks' rows with it (SQLite may even give their ids
    # to later tasks): what is queued is exactly what was committed.
    committed = await Task.all().order_by("id").values_list("id", "args")
    assert [args for _, args in committed] == [[1], [4]]
    assert await queued_task_ids() == sorted(task_id for task_id, _ in committed)
    assert {before.id, after.id} == {task_id for task_id, _ in committed}


async def test_a_block_after_the_outermost_ended_is_a_new_unit_of_work(app):
    async with unit_of_work() as first:
        await first.defer(JOB, 1)
    async with unit_of_work() as second:
        task = await second.defer(JOB, 2)
        assert second is not first
    assert await queued(task)


async def test_a_unit_of_work_inside_a_bare_transaction_is_refused(app):
    """Its tasks would be enqueued before that transaction commits: the enclosing block
    must be a unit of work itself."""
    with pytest.raises(RuntimeError, match="unit_of_work"):
        async with in_transaction():
            async with unit_of_work() as uow:
                await uow.defer(JOB, 1)
    assert await Task.all().count() == 0


def test_transactions_are_opened_only_by_unit_of_work():
    """A bare `in_transaction()` around code that defers would enqueue before its commit."""
    offenders = [
        str(path.relative_to(REPO_ROOT))
        for folder in ("resolvers", "jobs")
        for path in (REPO_ROOT / folder).rglob("*.py")
        if re.search(r"\bin_transaction\b", path.read_text())
        and path != REPO_ROOT / "resolvers" / "common" / "tasks.py"
    ]
    assert offenders == []


@pytest.fixture
def commit_check(monkeypatch):
    """Records, as each job is enqueued, whether its task row is already committed: read
    from outside the request, as a worker would (on SQLite the read waits for the writer,
    so an uncommitted row shows as a timeout)."""
    outside = contextvars.copy_context()
    seen: dict[int, bool] = {}
    enqueue = queue.enqueue

    async def committed(task_id: int) -> bool:
        return await Task.exists(id=task_id)

    async def checked(function: str, task_id: int, **kwargs) -> bool:
        look = asyncio.create_task(committed(task_id), context=outside.copy())
        try:
            seen[task_id] = await asyncio.wait_for(look, timeout=2)
        except TimeoutError:
            seen[task_id] = False
        return await enqueue(function, task_id, **kwargs)

    monkeypatch.setattr(queue, "enqueue", checked)
    return seen


async def test_a_job_deferred_in_a_nested_block_runs_and_finds_its_rows(
    api, settings, commit_check
):
    """Registration mails its link from a nested unit of work (`_send_verification`)."""
    result = await register(api, "nested@example.test")
    assert result.ok("userRegister") == {"user": None, "errors": []}
    task = await Task.get(function=JOB)
    assert commit_check == {task.id: True}  # enqueued once, after the commit
    await run_worker(settings)
    message = await OutboxMessage.get(recipient="nested@example.test")
    assert message.status is OutboxStatus.SENT
    await task.refresh_from_db()
    assert task.status is TaskStatus.DONE
    assert await User.filter(email="nested@example.test").count() == 1
