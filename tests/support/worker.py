"""Running jobs the way production does: a real arq worker, here in burst mode."""

from __future__ import annotations

from arq.worker import Worker

from carnet.settings import Settings
from jobs.worker import worker_settings


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
