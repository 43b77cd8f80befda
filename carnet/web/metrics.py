"""Prometheus metrics: `/metrics`, readable with `Authorization: Bearer <CARNET_METRICS_TOKEN>`.

What the API process measures itself (carnet/web/observe.py feeds it, per GraphQL request):
requests by operation name and outcome, their latency and their SQL statements.

What is read at scrape time, so every API process reports the same cluster-wide values:
the job counters the workers keep in Redis (carnet/job_runs.py: runs by function and
outcome, and a duration histogram), the queue's depth, and the outbox backlog.

Labels stay bounded: an operation name becomes a label only once its operation has parsed
and validated, and only the first `CARNET_METRICS_MAX_OPERATIONS` distinct names do; later
names count as "other". Error codes and HTTP statuses come from the server.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import os
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from tortoise.functions import Count, Min

from carnet import queue
from carnet.job_runs import JOB_BUCKETS, jobs_key
from carnet.settings import Settings
from models.messaging import Channel, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
STATEMENT_BUCKETS = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 1000)
UNDELIVERED = (OutboxStatus.PENDING, OutboxStatus.SENDING)

NONE = "none"  # the request never reached an operation (bad body, 413, GraphiQL's page)
INVALID = "invalid"  # it did not parse or validate
ANONYMOUS = "anonymous"
OTHER = "other"
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")
_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,39}")


@dataclass
class RequestSummary:
    """One GraphQL HTTP request, as carnet/web/observe.py saw it."""

    operation: str | None  # as sent (None: anonymous or no operation)
    ran: bool  # an operation was executed (parsed and validated)
    reached: bool  # the request reached the schema at all
    status: int
    has_errors: bool
    duration: float
    statements: int
    error_codes: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        if self.status != 200:
            return str(self.status)
        return "errors" if self.has_errors else "ok"


class Metrics:
    """One app's registry: the request metrics, and the scrape-time collector."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        disable_created_metrics()  # no `_created` twin of every counter and histogram
        self.registry = CollectorRegistry()
        # What a scrape shows: this process's registry, or with PROMETHEUS_MULTIPROC_DIR
        # (several processes behind one port) the request metrics of every process, which
        # prometheus-client then keeps in that directory's files.
        self.exposed = self.registry
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            self.exposed = CollectorRegistry()
            MultiProcessCollector(self.exposed)
        else:
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
            GCCollector(registry=self.registry)
        self.requests = Counter(
            "carnet_graphql_requests",
            "GraphQL HTTP requests, by operation name and outcome (ok, errors, or the "
            "HTTP status when it is not 200).",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.errors = Counter(
            "carnet_graphql_errors",
            "Errors in GraphQL responses, by operation name and extensions.code.",
            ["operation", "code"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "carnet_graphql_request_duration_seconds",
            "GraphQL HTTP requests' duration, from the first byte read to the last sent.",
            ["operation"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.statements = Histogram(
            "carnet_graphql_request_statements",
            "SQL statements per GraphQL HTTP request (sign-in included).",
            ["operation"],
            buckets=STATEMENT_BUCKETS,
            registry=self.registry,
        )
        self._operations: set[str] = set()
        self._scraped = _ScrapeTimeValues()
        self.exposed.register(self._scraped)

    def operation_label(self, summary: RequestSummary) -> str:
        if not summary.reached:
            return NONE
        if not summary.ran:
            return INVALID
        name = summary.operation
        if not name:
            return ANONYMOUS
        if not _NAME.fullmatch(name):
            return OTHER
        if name not in self._operations:
            if len(self._operations) >= self.settings.metrics_max_operations:
                return OTHER
            self._operations.add(name)
        return name

    def observe(self, summary: RequestSummary) -> None:
        operation = self.operation_label(summary)
        self.requests.labels(operation, summary.outcome).inc()
        self.latency.labels(operation).observe(summary.duration)
        self.statements.labels(operation).observe(summary.statements)
        for code in summary.error_codes:
            self.errors.labels(operation, code if _CODE.fullmatch(code) else OTHER).inc()

    async def render(self) -> bytes:
        # Read what lives elsewhere first (awaits), then render at once (no await in
        # between, so two scrapes at the same time cannot mix their values).
        self._scraped.values = await _read_scrape_time_values(self.settings)
        return generate_latest(self.exposed)


class _ScrapeTimeValues:
    """A collector of values read just before rendering (prometheus_client collects
    synchronously; Redis and the database are asynchronous)."""

    def __init__(self) -> None:
        self.values: list[Metric] = []

    def collect(self) -> Iterator[Metric]:
        yield from self.values

    def describe(self) -> Iterable[Metric]:
        return []  # unknown until the first scrape; names do not collide with the others


async def _read_scrape_time_values(settings: Settings) -> list[Metric]:
    up = GaugeMetricFamily(
        "carnet_metrics_source_up",
        "Whether the last scrape could read a source (redis: jobs and queue; database: "
        "outbox).",
        labels=["source"],
    )
    found: list[Metric] = [up]
    try:
        found += await _redis_values(settings)
        up.add_metric(["redis"], 1)
    except Exception:  # a scrape reports what it could read, and says what it could not
        log.warning("metrics: could not read Redis", exc_info=True)
        up.add_metric(["redis"], 0)
    try:
        found += await _database_values()
        up.add_metric(["database"], 1)
    except Exception:
        log.warning("metrics: could not read the database", exc_info=True)
        up.add_metric(["database"], 0)
    return found


async def _redis_values(settings: Settings) -> list[Metric]:
    redis = queue.pool()
    now_ms = int(time.time() * 1000)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.zcard(settings.queue_name)
        pipe.zcount(settings.queue_name, "-inf", now_ms)
        pipe.hgetall(jobs_key(settings))
        depth, due, counters = await pipe.execute()
    queued = GaugeMetricFamily(
        "carnet_job_queue_depth",
        "Jobs in the arq queue: due now, or deferred (retries waiting for their delay).",
        labels=["state"],
    )
    queued.add_metric(["due"], due)
    queued.add_metric(["deferred"], depth - due)
    return [queued, *job_metrics(counters)]


def job_metrics(counters: dict) -> list[Metric]:
    """Prometheus families from the workers' hash (see carnet/job_runs.py for its fields)."""
    runs = CounterMetricFamily(
        "carnet_jobs",
        "Job runs by function and outcome (ok, retry, failed, cancelled), from every worker.",
        labels=["function", "outcome"],
    )
    sums: dict[str, float] = {}
    buckets: dict[str, list[float]] = {}
    for raw_field, raw_value in counters.items():
        parts = _text(raw_field).split("|")
        value = float(_text(raw_value))
        if parts[0] == "runs" and len(parts) == 3:
            runs.add_metric(parts[1:], value)
        elif parts[0] == "sum" and len(parts) == 2:
            sums[parts[1]] = value
        elif parts[0] == "bucket" and len(parts) == 3 and parts[2].isdigit():
            index = int(parts[2])
            if index < len(JOB_BUCKETS):
                buckets.setdefault(parts[1], [0.0] * len(JOB_BUCKETS))[index] += value
    duration = HistogramMetricFamily(
        "carnet_job_duration_seconds",
        "Job run durations by function, from every worker.",
        labels=["function"],
    )
    for function, counts in sorted(buckets.items()):
        cumulative, total = [], 0.0
        for bound, count in zip(JOB_BUCKETS, counts, strict=True):
            total += count
            cumulative.append(("+Inf" if math.isinf(bound) else str(bound), total))
        duration.add_metric([function], cumulative, sum_value=sums.get(function, 0.0))
    return [runs, duration]


async def _database_values() -> list[Metric]:
    rows = (
        await OutboxMessage.filter(status__in=UNDELIVERED)
        .annotate(count=Count("id"), oldest=Min("created_at"))
        .group_by("channel", "status")
        .values("channel", "status", "count", "oldest")
    )
    backlog = GaugeMetricFamily(
        "carnet_outbox_undelivered",
        "Outbox messages not delivered yet (PENDING or SENDING), by channel and status.",
        labels=["channel", "status"],
    )
    age = GaugeMetricFamily(
        "carnet_outbox_oldest_undelivered_age_seconds",
        "Age of the oldest undelivered outbox message (0 when there is none).",
    )
    # Every series, zeros included: an absent series would make an alert on it silent.
    counts = {(channel.value, status.value): 0 for channel in Channel for status in UNDELIVERED}
    oldest = None
    for row in rows:
        counts[(str(row["channel"]), str(row["status"]))] = row["count"]
        if row["oldest"] is not None and (oldest is None or row["oldest"] < oldest):
            oldest = row["oldest"]
    for (channel, status), count in counts.items():
        backlog.add_metric([channel.lower(), status.lower()], count)
    age.add_metric([], max(time.time() - oldest.timestamp(), 0.0) if oldest else 0.0)
    return [backlog, age]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


def authorized(header: str | None, token: str) -> bool:
    """`Bearer <token>`, compared in constant time (digests: the length leaks nothing)."""
    scheme, _, presented = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return False
    return hmac.compare_digest(_digest(presented.strip()), _digest(token))


def metrics_endpoint(metrics: Metrics):
    token = metrics.settings.metrics_token.get_secret_value()

    async def endpoint(request: Request) -> Response:
        if not authorized(request.headers.get("authorization"), token):
            return PlainTextResponse(
                "Unauthorized: send Authorization: Bearer <CARNET_METRICS_TOKEN>.",
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="metrics"', "Cache-Control": "no-store"},
            )
        return Response(
            await metrics.render(),
            media_type=CONTENT_TYPE_LATEST,
            headers={"Cache-Control": "no-store"},
        )

    return endpoint
