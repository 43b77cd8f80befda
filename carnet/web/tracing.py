"""OpenTelemetry tracing of the API, off unless `CARNET_OTEL_ENDPOINT` is set.

When it is set, `setup()` imports OpenTelemetry (the `otel` extra: pip install
'carnet[otel]'; a clear error if it is missing) and returns what `create_app` wires:

- the ASGI instrumentation (a server span per HTTP request; not for `/healthz`, `/readyz`,
  `/metrics` nor `/exports/…`, whose path is a secret), outermost;
- Strawberry's OpenTelemetry extension (operation, parsing, validation and resolver
  spans), without resolver arguments and without the query text (either can hold a
  password or a token): the operation span carries the query's SHA-256 instead;
- the asyncpg instrumentation (a span per SQL statement on PostgreSQL);
- a BatchSpanProcessor sending OTLP/HTTP to the endpoint (`/v1/traces` is appended to a
  bare collector URL). The service name is `OTEL_SERVICE_NAME`, else "carnet".

With the setting unset nothing of OpenTelemetry is imported. The query string of a GET is
kept from the HTTP span (it carries the query's variables).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from carnet.settings import Settings

EXCLUDED_URLS = "/healthz,/readyz,/metrics,/exports/"
_HIDDEN_QUERY = "carnet.query_string"


class TracingUnavailable(RuntimeError):
    pass


@dataclass
class Tracing:
    provider: Any  # opentelemetry.sdk.trace.TracerProvider
    schema_extension: Callable[[], Any]
    wrap: Callable[[ASGIApp], ASGIApp]


def traces_url(endpoint: str) -> str:
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v1/traces") else f"{endpoint}/v1/traces"


def _exporter(endpoint: str):
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=traces_url(endpoint))


def setup(settings: Settings, exporter: Any = None) -> Tracing | None:
    """None when tracing is off; `exporter` replaces the OTLP one (tests)."""
    if not settings.otel_endpoint:
        return None
    try:
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
        from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from strawberry.extensions.tracing import OpenTelemetryExtension
        from strawberry.extensions.tracing.opentelemetry import LifecycleStep
    except ImportError as exc:
        raise TracingUnavailable(
            "CARNET_OTEL_ENDPOINT is set, but OpenTelemetry is not installed: install "
            f"Carnet with its `otel` extra (pip install 'carnet[otel]'), or unset it ({exc})"
        ) from exc

    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "carnet")})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(exporter or _exporter(settings.otel_endpoint)))
    instrumentor = AsyncPGInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=provider)

    class CarnetTracing(OpenTelemetryExtension):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(tracer_provider=provider, arg_filter=lambda args, info: {}, **kwargs)

        def on_operation(self):
            steps = super().on_operation()
            next(steps)  # the operation span is open, with the query's text: replaced
            query = self.execution_context.query or ""
            digest = hashlib.sha256(query.encode("utf-8", "surrogatepass")).hexdigest()
            self._span_holder[LifecycleStep.OPERATION].set_attribute("query", f"sha256:{digest}")
            yield
            next(steps, None)

    def wrap(app: ASGIApp) -> ASGIApp:
        traced = OpenTelemetryMiddleware(
            _RestoreQueryString(app), excluded_urls=EXCLUDED_URLS, tracer_provider=provider
        )
        return _HideQueryString(traced)

    return Tracing(provider=provider, schema_extension=CarnetTracing, wrap=wrap)


class _HideQueryString:
    """Keeps the query string out of the HTTP span; `_RestoreQueryString` gives it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("query_string"):
            scope = {**scope, _HIDDEN_QUERY: scope["query_string"], "query_string": b""}
        await self.app(scope, receive, send)


class _RestoreQueryString:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if _HIDDEN_QUERY in scope:
            scope = {**scope, "query_string": scope[_HIDDEN_QUERY]}
        await self.app(scope, receive, send)
