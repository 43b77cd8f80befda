"""The real API served over real HTTP: `carnet serve` in a subprocess on the run's settings.

For what an in-process ASGI client cannot show: a conformance audit written in another
language, websockets through uvicorn. The subprocess shares the test run's database and
Redis (and key prefix), so rows a test creates are visible to it and cleaned up as usual.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import httpx
from pydantic import SecretStr

from carnet.settings import Environment, Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class LiveServer:
    host: str
    port: int
    log_file: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    @property
    def websocket_url(self) -> str:
        return f"ws://{self.host}:{self.port}/graphql"

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def settings_environment(settings: Settings, **overrides: object) -> dict[str, str]:
    """`CARNET_*` variables that make a `Settings()` read from them equal to `settings`.

    Every field is passed, not only the connection URLs, so a server subprocess hashes,
    limits and signs exactly as the test process does; the embedded Redis is named by
    its socket URL, since the subprocess must reach the run's redis-server, not start one.
    """
    values = dict(settings)
    values.update(
        redis_url=settings.effective_redis_url,
        environment=Environment.TEST,
        var_dir=settings.var_dir.resolve(),
    )
    values.update(overrides)
    return {f"CARNET_{name.upper()}": _env_value(value) for name, value in values.items()}


def _env_value(value: object) -> str:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, list | dict | tuple):
        return json.dumps(value)  # pydantic-settings parses complex fields as JSON
    return str(value)


@contextmanager
def live_server(
    settings: Settings, host: str = "127.0.0.1", arguments: tuple[str, ...] = ()
) -> Iterator[LiveServer]:
    """Runs `python -m carnet.cli serve [arguments]` until the block ends; ready when
    /healthz answers."""
    port = free_port(host)
    log_file = settings.var_dir.resolve() / f"live-server-{port}.log"
    server = LiveServer(host=host, port=port, log_file=log_file)
    env = {**os.environ, **settings_environment(settings, host=host, port=port)}
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "carnet.cli", "serve", *arguments],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(server, process)
        yield server
    finally:
        _stop(process)


def _wait_until_healthy(server: LiveServer, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(
                f"carnet serve exited with {process.returncode} before answering /healthz:\n"
                + server.log()
            )
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"carnet serve did not answer /healthz within {STARTUP_TIMEOUT_SECONDS}s:\n"
                + server.log()
            )
        time.sleep(0.1)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()  # uvicorn shuts down gracefully on SIGTERM, running the lifespan's exit
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
