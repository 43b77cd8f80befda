"""Running jobs the way production does: a real arq worker, here in burst mode."""

from __future__ import annotations

import asyncio
import time

from arq.worker import Worker

from carnet import queue
from carnet.settings import Settings
from jobs.worker import worker_settings
from models.tasks import Task
from resolvers.common.tasks import job_id


async def run_worker(settings: Settings, **overrides) -> Worker:
    """Runs queued jobs until the queue is empty (in this process, sharing its database)."""
    options = worker_settings(settings)
    options["ctx"] = {**options["ctx"], "manage_db": False}
    options.update(burst=True, poll_delay=0.05, handle_signals=False, **overrides)
    worker = Worker(**options)
    try:
        await worker.async_run()
    finally:
        await worker.close()
    return worker


async def run_worker_skipping_retry_delays(settings: Settings, task: Task) -> Worker:
    """A burst worker whose job, when deferred by `Retry`, is made due at once."""
    redis = queue.pool()
    worker = asyncio.create_task(run_worker(settings))
    while not worker.done():
        score = await redis.zscore(settings.queue_name, job_id(task))
        if score is not None and score > time.time() * 1000 + 2000:
            await redis.zadd(settings.queue_name, {job_id(task): time.time() * 1000})
        await asyncio.wait([worker], timeout=0.02)
    return await worker
