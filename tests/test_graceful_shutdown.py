"""SIGTERM lets work under way finish: a `carnet worker` told to stop in the middle of a job
takes no new one but completes it (within CARNET_SHUTDOWN_GRACE_SECONDS) instead of
cancelling it, so a rolling deployment does not throw work away."""

from __future__ import annotations

import asyncio
import re
import signal
import time

from models.transfers import ContactImport
from tests.support.live_worker import live_worker
from tests.transfers.test_import import upload

ROWS = 40_000  # several seconds of work: still running when the signal comes
STOP_TIMEOUT_SECONDS = 60


def _csv(rows: int) -> str:
    lines = ["First name,Last name,Email"]
    lines += [f"Person{i},Graceful,person{i}@example.test" for i in range(rows)]
    return "\r\n".join(lines) + "\r\n"


async def test_a_worker_stopped_mid_job_finishes_it(api, world, settings):
    with live_worker(settings, "graceful") as worker:
        (await upload(api, world.owner, world, _csv(ROWS))).ok("contactsImport")
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        # The import runs on the bulk engine: one bulk_chunk job per chunk of rows.
        while not re.search(r"→ \S+:task:\d+:bulk_chunk\(", worker.log()):
            assert worker.process.poll() is None and time.monotonic() < deadline, worker.log()
            await asyncio.sleep(0.02)
        worker.process.send_signal(signal.SIGTERM)
        assert worker.process.wait(timeout=STOP_TIMEOUT_SECONDS) == 0, worker.log()
    log = worker.log()
    assert "cancelled, will be run again" not in log, log
    assert re.search(r"← \S+:task:\d+:bulk_chunk ●", log), log
    assert (await ContactImport.get()).processed_rows > 0
