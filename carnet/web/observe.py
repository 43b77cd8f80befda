"""Per-request observation: metrics (carnet/web/metrics.py) and the JSON request log line.

`ObserveRequests` is an ASGI middleware around the app (inside `RequestIdMiddleware`, so
the request id is known): it times each HTTP request, counts its SQL statements (a
context-variable tally, carnet/statements.py), and once the response is sent, reads what
the `ObservedOperation` schema extension kept of the GraphQL operation that ran (its name,
its result's errors, the caller and the organizations it acted in). Nothing is parsed
twice and nothing is read from the response body.

Only `/graphql` feeds the GraphQL metrics; in JSON log mode every HTTP request gets its
line, named by its route's template (`/exports/{token}`, never the token itself). The query
string is never logged (GET queries carry variables).
"""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from starlette.middleware import Middleware
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from carnet.logs import log_fields
from carnet.settings import Settings
from carnet.statements import enable_tallies, tally_statements
from carnet.web import tracing
from carnet.web.metrics import Metrics, RequestSummary, metrics_endpoint
from carnet.web.protocol import is_request_error

GRAPHQL_PATH = "/graphql"
log = logging.getLogger("carnet.request")


@dataclass
class Operations:
    """What `create_app` wires for metrics, request logs and tracing (empty when all off)."""

    schema_extensions: list[Any] = field(default_factory=list)
    outer_middleware: list[Middleware] = field(default_factory=list)  # before the request id
    inner_middleware: list[Middleware] = field(default_factory=list)  # after it
    routes: list[Route] = field(default_factory=list)
    metrics: Metrics | None = None
    tracing: tracing.Tracing | None = None


def operations(settings: Settings, span_exporter: Any = None) -> Operations:
    ops = Operations(tracing=tracing.setup(settings, span_exporter))
    if ops.tracing is not None:
        ops.schema_extensions.append(ops.tracing.schema_extension)
        ops.outer_middleware.append(Middleware(ops.tracing.wrap))
    if settings.metrics_token.get_secret_value():
        ops.metrics = Metrics(settings)
        ops.routes.append(Route("/metrics", metrics_endpoint(ops.metrics), methods=["GET"]))
    log_requests = settings.log_format == "json"
    if ops.metrics is not None or log_requests:
        enable_tallies()
        ops.schema_extensions.append(ObservedOperation)
        ops.inner_middleware.append(
            Middleware(ObserveRequests, metrics=ops.metrics, log_requests=log_requests)
        )
    return ops


@dataclass
class _Record:
    executions: list[Any] = field(default_factory=list)  # strawberry ExecutionContexts


_current: ContextVar[_Record | None] = ContextVar("carnet_request_record", default=None)


class ObservedOperation(SchemaExtension):
    """Hands the operation's execution context to the request being observed."""

    def on_operation(self):
        record = _current.get()
        if record is not None:
            record.executions.append(self.execution_context)
        yield


class ObserveRequests:
    def __init__(self, app: ASGIApp, *, metrics: Metrics | None, log_requests: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        status = 500  # if the app raises before answering, Starlette answers 500
        record = _Record()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        token = _current.set(record)
        start = time.perf_counter()
        try:
            with tally_statements() as tally:
                await self.app(scope, receive, send_status)
        finally:
            _current.reset(token)
            duration = time.perf_counter() - start
            try:
                self._done(scope, record, status, duration, tally.count)
            except Exception:  # observing must never break the answer
                log.exception("could not record request metrics")

    def _done(self, scope: Scope, record: _Record, status: int, duration: float, count: int):
        graphql = scope["path"] == GRAPHQL_PATH and scope["method"] in ("GET", "POST")
        summary = _summarize(record, status, duration, count)
        if graphql and self.metrics is not None:
            self.metrics.observe(summary)
        if self.log_requests:
            route = scope.get("route")
            line = {
                "event": "request",
                "request_id": scope.get("carnet.request_id", ""),
                "method": scope["method"],
                "path": getattr(route, "path", None) or "(unmatched)",
                "status": status,
                "duration_ms": round(duration * 1000, 2),
                "statements": count,
            }
            if graphql:
                line.update(_graphql_fields(record, summary))
            log.info(
                "%s %s %s %.0f ms", line["method"], line["path"], status, duration * 1000,
                extra=log_fields(line),
            )


def _summarize(record: _Record, status: int, duration: float, count: int) -> RequestSummary:
    executions = record.executions
    last = executions[-1] if executions else None
    result = getattr(last, "result", None)
    errors = [e for ec in executions for e in (getattr(ec.result, "errors", None) or [])]
    return RequestSummary(
        operation=_operation_name(last) if last is not None else None,
        ran=last is not None and result is not None and not is_request_error(result),
        reached=last is not None,
        status=status,
        has_errors=bool(errors),
        duration=duration,
        statements=count,
        error_codes=[str((e.extensions or {}).get("code") or "UNKNOWN") for e in errors],
    )


def _operation_name(execution_context: Any) -> str | None:
    try:
        return execution_context.operation_name
    except Exception:  # an unparsable document has no operation to name
        return None


def _graphql_fields(record: _Record, summary: RequestSummary) -> dict[str, Any]:
    last = record.executions[-1] if record.executions else None
    context = getattr(last, "context", None)
    user = getattr(context, "user", None)
    organizations = sorted(getattr(context, "organization_ids", ()) or ())
    fields: dict[str, Any] = {
        "operation": (summary.operation or "")[:100] or None,
        "operation_type": _operation_type(last),
        "outcome": summary.outcome,
        "user_id": getattr(user, "id", None),
        "organization_id": organizations[0] if len(organizations) == 1 else None,
    }
    if len(organizations) > 1:
        fields["organization_ids"] = organizations
    if summary.error_codes:
        fields["error_codes"] = sorted(set(summary.error_codes))
    return fields


def _operation_type(execution_context: Any) -> str | None:
    if execution_context is None:
        return None
    try:
        return execution_context.operation_type.value
    except Exception:  # no document, or no operation by that name
        return None
