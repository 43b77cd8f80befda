"""The arq connection used to enqueue jobs, set up by the app's lifespan or the worker.

Resolvers enqueue by function name through `enqueue()`; they never import `jobs/`.
"""

from __future__ import annotations

import logging
from typing import Any

from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.constants import result_key_prefix

from carnet.settings import Settings

log = logging.getLogger(__name__)

_pool: ArqRedis | None = None
_queue_name: str = "arq:queue"


def redis_settings(settings: Settings) -> RedisSettings:
    redis = RedisSettings.from_dsn(settings.effective_redis_url)
    if settings.redis_sentinels:
        # arq asks the sentinels for the primary on each new connection; the URL still
        # gives the database and credentials.
        redis.host = [_address(sentinel) for sentinel in settings.redis_sentinels]
        redis.sentinel = True
        redis.sentinel_master = settings.redis_sentinel_master
    return redis


def _address(sentinel: str) -> tuple[str, int]:
    host, _, port = sentinel.strip().rpartition(":")
    return host.strip("[]"), int(port)


async def connect(settings: Settings) -> ArqRedis:
    global _pool, _queue_name
    _pool = await create_pool(redis_settings(settings), default_queue_name=settings.queue_name)
    _queue_name = settings.queue_name
    return _pool


def use(pool: ArqRedis, queue_name: str) -> None:
    """Adopts an existing pool (the worker's own)."""
    global _pool, _queue_name
    _pool, _queue_name = pool, queue_name


async def close() -> None:
    global _pool
    if _pool is not None:
        await _pool.aclose()
        _pool = None


def pool() -> ArqRedis:
    if _pool is None:
        raise RuntimeError("the job queue is not connected")
    return _pool


async def enqueue(function: str, *args: Any, job_id: str, **kwargs: Any) -> bool:
    """Enqueues a job; False when Redis is unreachable (the sweeper will retry from the DB)."""
    try:
        await pool().enqueue_job(function, *args, _job_id=job_id, _queue_name=_queue_name, **kwargs)
    except Exception:  # the task row is committed: losing the enqueue only delays the work
        log.exception("could not enqueue %s (%s); the sweeper will retry", function, job_id)
        return False
    return True


async def forget_result(job_id: str) -> None:
    """Drops the result arq keeps for a finished job, so the same job id can run again.

    arq refuses a job id while it keeps that job's result (`job_keep_result_seconds`),
    failed results included; a job still queued or running keeps its job key, which
    still deduplicates on its own.
    """
    await pool().delete(result_key_prefix + job_id)
