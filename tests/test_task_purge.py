"""Finished tasks are deleted `CARNET_TASK_RETENTION_DAYS` after they finished, with what a
job stored under its task (a rendered statement PDF); pending ones stay whatever their age."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from carnet.storage import current_storage
from jobs.maintenance import purge_tasks
from models.tasks import Task, TaskStatus
from resolvers.billing.statement_files import storage_key
from resolvers.common import tasks
from resolvers.common.time import now
from schema import ids
from tests.billing.flows import household
from tests.billing.test_statement_pdf import PDF, PERIOD
from tests.support.worker import run_worker


async def test_finished_tasks_past_their_retention_are_deleted_with_their_files(
    api, client, world, settings
):
    account, _ = await household(world)
    gid = ids.encode("ClientAccount", account.id)
    asked = (await api.as_(world.owner).execute(PDF, {"a": gid, **PERIOD})).ok("statementPdf")
    await run_worker(settings)
    rendered = await Task.get(function="render_statement_pdf", status=TaskStatus.DONE)
    key = storage_key(world.organization.id, rendered.id)
    assert await current_storage().exists(key)

    days_ago = now() - timedelta(days=settings.task_retention_days, minutes=1)
    recently = now() - timedelta(days=settings.task_retention_days - 1)
    old_done = await Task.create(function="send_email", args=[1], status=TaskStatus.DONE,
                                 finished_at=days_ago)
    old_failed = await Task.create(function="send_sms", args=[2], status=TaskStatus.FAILED,
                                   finished_at=days_ago)
    recent = await Task.create(function="send_email", args=[3], status=TaskStatus.DONE,
                               finished_at=recently)
    pending = await Task.create(function="send_email", args=[4])
    await Task.filter(id=pending.id).update(created_at=now() - timedelta(days=90))
    await Task.filter(id=rendered.id).update(finished_at=days_ago)

    assert await purge_tasks({"settings": settings}) == 3
    left = set(await Task.all().values_list("id", flat=True))
    assert {old_done.id, old_failed.id, rendered.id}.isdisjoint(left)
    assert {recent.id, pending.id} <= left
    assert not await current_storage().exists(key)
    # The PDF's link (long expired in real life) finds no file.
    assert (await client.get(urlsplit(asked["downloadUrl"]).path)).status_code == 410
    assert await purge_tasks({"settings": settings}) == 0


async def test_the_purge_goes_in_batches_until_none_is_left(world):
    finished = now() - timedelta(days=30)
    await Task.bulk_create(
        [Task(function="send_email", args=[n], status=TaskStatus.DONE, finished_at=finished)
         for n in range(7)]
    )
    assert await tasks.purge_finished(older_than=now() - timedelta(days=1), batch=3) == 7
    assert not await Task.filter(function="send_email").exists()
