"""Observing job runs in the worker: counters in Redis, one log line per run, every failure.

`observed(function)` wraps an arq job (jobs/worker.py registers every job and cron through
it). Each run:

- counts itself in the Redis hash `<prefix>:metrics:jobs` (`HINCRBY`/`HINCRBYFLOAT`, one
  round trip): `runs|<function>|<outcome>`, `sum|<function>` (seconds) and
  `bucket|<function>|<i>` (the first of `JOB_BUCKETS` that holds its
  duration). The worker is another process, often several: Redis adds their counts up,
  and the API's `/metrics` reads the hash at scrape time. Nothing here depends on the
  metrics being switched on; a failure to count is logged and never fails the job.
- logs every failure, in both log formats, with its task id, try and exception: a retry
  (`run_job` turns the exception into arq's `Retry`: the cause is logged, with its
  traceback), a last failure, a cancellation (the job timed out, or the worker stopped);
- with `CARNET_LOG_FORMAT=json`, logs one line per run: function, job and task ids, try,
  duration, SQL statements and outcome (`ok`, `retry`, `failed`, `cancelled`).
"""

from __future__ import annotations

import asyncio
import bisect
import functools
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from arq import Retry

from carnet.logs import log_fields
from carnet.settings import Settings
from carnet.statements import enable_tallies, tally_statements

log = logging.getLogger("carnet.job")

# Each run counts in the first bucket that holds its duration; carnet/web/metrics.py adds them
# up into Prometheus' cumulative buckets at scrape time.
JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, math.inf)


def jobs_key(settings: Settings) -> str:
    """The Redis hash where workers count job runs (shared by every worker and API)."""
    return f"{settings.redis_prefix}:metrics:jobs"


def observed(function: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    name = function.__name__

    @functools.wraps(function)
    async def run(ctx: dict, *args: Any, **kwargs: Any) -> Any:
        settings: Settings = ctx["settings"]
        if settings.log_format == "json":
            enable_tallies()
        start = time.perf_counter()
        outcome, error = "ok", None
        with tally_statements() as tally:
            try:
                return await function(ctx, *args, **kwargs)
            except Retry as retry:
                outcome, error = "retry", retry.__cause__ or retry
                raise
            except asyncio.CancelledError:
                outcome = "cancelled"
                raise
            except Exception as exc:
                outcome, error = "failed", exc
                raise
            finally:
                duration = time.perf_counter() - start
                _Run(name, ctx, args, settings, outcome, error, duration, tally.count).log()
                await _count(ctx, settings, name, outcome, duration)

    return run


class _Run:
    def __init__(self, name, ctx, args, settings, outcome, error, duration, statements):
        self.name, self.ctx, self.settings = name, ctx, settings
        self.outcome, self.error, self.duration = outcome, error, duration
        self.statements = statements
        # Task-based jobs take the task id alone (resolvers/common/tasks.py); crons, nothing.
        self.task_id = args[0] if len(args) == 1 and isinstance(args[0], int) else None

    def fields(self) -> dict[str, Any]:
        return {
            "event": "job",
            "function": self.name,
            "job_id": self.ctx.get("job_id"),
            "task_id": self.task_id,
            "try": self.ctx.get("job_try"),
            "max_tries": self.settings.job_max_tries,
            "duration_ms": round(self.duration * 1000, 2),
            "statements": self.statements,
            "outcome": self.outcome,
        }

    def log(self) -> None:
        fields = self.fields()
        tries = f"try {fields['try']} of {fields['max_tries']}"
        where = f"job {self.name} (task {self.task_id}, {tries})"
        if self.outcome == "retry":
            fields["error"] = repr(self.error)
            log.warning("%s failed, will be retried: %r", where, self.error,
                        exc_info=_exc_info(self.error), extra=log_fields(fields))
        elif self.outcome == "failed":
            fields["error"] = repr(self.error)
            log.error("%s failed, not retried: %r", where, self.error,
                      exc_info=_exc_info(self.error), extra=log_fields(fields))
        elif self.outcome == "cancelled":
            log.warning("%s cancelled: it timed out (%s s) or the worker stopped", where,
                        self.settings.job_timeout_seconds, extra=log_fields(fields))
        elif self.settings.log_format == "json":
            log.info("%s done in %.0f ms", where, self.duration * 1000, extra=log_fields(fields))


def _exc_info(error: BaseException | None):
    if error is None:
        return None
    return (type(error), error, error.__traceback__)


async def _count(ctx: dict, settings: Settings, name: str, outcome: str, duration: float) -> None:
    redis = ctx.get("redis")
    if redis is None:
        return
    bucket = min(bisect.bisect_left(JOB_BUCKETS, duration), len(JOB_BUCKETS) - 1)
    key = jobs_key(settings)
    try:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(key, f"runs|{name}|{outcome}", 1)
            pipe.hincrbyfloat(key, f"sum|{name}", duration)
            pipe.hincrby(key, f"bucket|{name}|{bucket}", 1)
            await asyncio.shield(pipe.execute())
    except Exception:  # counting is best effort: the job's own outcome stands
        log.warning("could not count job %s in Redis", name, exc_info=True)
