"""What every bench script needs: an isolated Carnet environment and uvicorn subprocesses.

By default a SQLite file and an embedded redis-server in a temporary folder. Given a
PostgreSQL URL, the run creates its own database on that server and drops it at the end;
given a Redis URL, it works under a unique key prefix and deletes its keys at the end.
Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

import carnet
from carnet.cli import embedded_redis
from carnet.settings import Environment, Settings

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
LOOPBACK = "127.0.0.1"


def check_checkout() -> None:
    """Refuses to measure an installed Carnet other than the checkout this script is in."""
    imported = Path(carnet.__file__).resolve()
    if not imported.is_relative_to(REPO_ROOT):
        sys.exit(f"carnet is imported from {imported}, not {REPO_ROOT}: "
                 f"run with PYTHONPATH={REPO_ROOT}")


@asynccontextmanager
async def isolated_settings(postgres_url: str = "", redis_url: str = "") -> AsyncIterator[Settings]:
    """Settings for a throwaway environment; everything it created is gone on exit."""
    run_id = uuid.uuid4().hex[:10]
    postgres_url = postgres_url.replace("postgresql://", "postgres://", 1)  # Tortoise's scheme
    async with AsyncExitStack() as stack:
        var_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="carnet-bench-")))
        database_url = ""
        if postgres_url:
            database_url = await _create_database(postgres_url, f"carnet_bench_{run_id}")
            stack.push_async_callback(_drop_database, postgres_url, f"carnet_bench_{run_id}")
        settings = Settings(
            environment=Environment.TEST,
            var_dir=var_dir,
            database_url=database_url,
            redis_url=redis_url,
            redis_prefix=f"carnet-bench-{run_id}",
        )
        if redis_url:
            stack.push_async_callback(_delete_keys, settings)
        else:
            stack.callback(stop_process, embedded_redis.start(settings))
        yield settings


def backend_name(settings: Settings) -> str:
    database = "postgres" if settings.database_url.startswith("postgres") else "sqlite"
    redis = "redis" if settings.redis_url else "embedded redis"
    return f"{database} + {redis}"


def _admin_dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


async def _create_database(admin_url: str, name: str) -> str:
    admin = await asyncpg.connect(_admin_dsn(admin_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))


async def _drop_database(admin_url: str, name: str) -> None:
    admin = await asyncpg.connect(_admin_dsn(admin_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def _delete_keys(settings: Settings) -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(settings.effective_redis_url)
    try:
        for pattern in (f"{settings.redis_prefix}*", f"arq:*{settings.redis_prefix}*"):
            async for key in redis.scan_iter(match=pattern, count=500):
                await redis.delete(key)
    finally:
        await redis.aclose()


def carnet_env(settings: Settings, port: int) -> dict[str, str]:
    """The environment for a `carnet` subprocess: these settings and nothing inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARNET_")}
    env.update(
        CARNET_ENVIRONMENT=settings.environment.value,
        CARNET_VAR_DIR=str(settings.var_dir),
        CARNET_DATABASE_URL=settings.effective_database_url,
        CARNET_REDIS_URL=settings.effective_redis_url,
        CARNET_REDIS_PREFIX=settings.redis_prefix,
        CARNET_SECRET_KEY=settings.secret_key.get_secret_value(),
        CARNET_HOST=LOOPBACK,
        CARNET_PORT=str(port),
    )
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen
    log_path: Path

    def cpu_seconds(self) -> float | None:
        """User + system CPU the server process has used so far (Linux only)."""
        try:
            stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _spawn(argv: Sequence[str], env: dict[str, str], cwd: Path, log_path: Path):
    # PYTHONPATH: the child imports this checkout, as the parent does.
    env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT),
                                                              env.get("PYTHONPATH")]))}
    # A session of its own: Ctrl-C reaches only the bench, which stops the server after
    # the load, rather than the server vanishing under the load generator.
    with open(log_path, "wb") as log:
        return subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


@asynccontextmanager
async def uvicorn_server(name: str, argv: Sequence[str], env: dict[str, str], port: int,
                         cwd: Path, ready_path: str) -> AsyncIterator[Server]:
    """Runs `argv`, a single-process uvicorn, for the block; ready once `ready_path` is a 200."""
    url = f"http://{LOOPBACK}:{port}"
    log_path = cwd / f"{name}.log"
    server = Server(name, url, _spawn(argv, env, cwd, log_path), log_path)
    try:
        await _wait_ready(server, ready_path)
        yield server
    finally:
        stop_process(server.process)


STARTUP_SECONDS = 30


async def _wait_ready(server: Server, path: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    async with httpx.AsyncClient(base_url=server.url, timeout=2) as client:
        while True:
            if server.process.poll() is not None:
                raise RuntimeError(f"{server.name} exited:\n{server.log_tail()}")
            try:
                if (await client.get(path)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{server.name} not ready after {STARTUP_SECONDS}s:\n"
                                   f"{server.log_tail()}")
            await asyncio.sleep(0.1)


def stop_process(process: subprocess.Popen, timeout: float = 15) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_benchmark(args, measure, print_report) -> int:
    """A benchmark's `main()`: runs `measure(args)`, prints its report, exits 0; Ctrl-C or
    SIGTERM unwinds the run (workers stopped, database dropped, temporary files removed)
    and exits 130; a `RuntimeError` it raises is reported and exits 1."""
    check_checkout()

    async def run() -> dict:
        task = asyncio.current_task()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        return await measure(args)

    try:
        result = asyncio.run(run())
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted; everything the run started is stopped and removed", file=sys.stderr)
        return 130
    except RuntimeError as failed:
        print(f"failed: {failed}", file=sys.stderr)
        return 1
    print_report(result)
    return 0
