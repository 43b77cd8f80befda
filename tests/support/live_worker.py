"""`carnet worker` in a subprocess on the run's settings, as production runs it.

For what a burst worker inside the test process cannot show: several worker processes
sharing one queue. Its log (arq's lines) is kept for the test to read.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from carnet.settings import Settings
from tests.support.live_server import REPO_ROOT, settings_environment

STARTUP_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class LiveWorker:
    process: subprocess.Popen
    log_file: Path

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""


@contextmanager
def live_worker(settings: Settings, name: str) -> Iterator[LiveWorker]:
    """Runs `python -m carnet.cli worker` until the block ends; ready once arq has started."""
    log_file = settings.var_dir.resolve() / f"live-worker-{name}-{os.getpid()}.log"
    env = {**os.environ, **settings_environment(settings)}
    with log_file.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "carnet.cli", "worker"], cwd=REPO_ROOT,
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
    worker = LiveWorker(process, log_file)
    try:
        _wait_until_started(worker)
        yield worker
    finally:
        if process.poll() is None:
            process.terminate()  # arq lets running jobs finish, then exits
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT_SECONDS)


def _wait_until_started(worker: LiveWorker) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while "Starting worker for" not in worker.log():
        if worker.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"carnet worker did not start:\n{worker.log()}")
        time.sleep(0.1)
