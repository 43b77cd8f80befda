"""The Starlette application: GraphQL (HTTP and websocket), GraphiQL, health checks.

`create_app(settings)` builds everything; nothing connects until the lifespan starts.
"""

from __future__ import annotations

import logging
import uuid
from contextlib import asynccontextmanager
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from tortoise import connections
from tortoise.contrib.starlette import RegisterTortoise

from carnet import queue
from carnet.auth import token_digest
from carnet.db import tortoise_config
from carnet.i18n import negotiate, translate
from carnet.settings import Settings, configure
from carnet.templates_env import render_page
from carnet.web.graphiql import STATIC_DIR, graphiql_html
from carnet.web.http import CarnetGraphQL
from carnet.web.observe import operations
from carnet.web.persisted_queries import PersistedQueryStore
from carnet.web.proxies import client_address_middleware
from carnet.web.webhooks import email_webhook, sms_status_webhook, sms_webhook
from carnet.web.websocket import CarnetTransportWSHandler
from resolvers.accounts import items as account_items
from resolvers.accounts import member_documents
from resolvers.billing import statement_files
from resolvers.common import downloads
from resolvers.common.actor import RequestMeta
from resolvers.messaging import unsubscribe
from resolvers.privacy import export as privacy_export
from resolvers.transfers import export_downloads
from schema import build_schema
from schema.context import Context

log = logging.getLogger("carnet")

REQUEST_ID_HEADER = "x-request-id"
UPLOAD_OVERHEAD_BYTES = 64 * 1024
_UTF8_BOM = "\ufeff".encode()


def _bearer(value: object) -> str | None:
    # A connection_init payload is any JSON: a non-string is no token, not a crash.
    if isinstance(value, str) and value[:7].lower() == "bearer ":
        return value[7:].strip() or None
    return None


def _meta(connection: HTTPConnection, locale: str | None = None) -> RequestMeta:
    client = connection.client.host if connection.client else ""
    return RequestMeta(
        request_id=connection.scope.get("carnet.request_id", ""),
        ip_address=client,
        user_agent=connection.headers.get("user-agent", "")[:255],
        locale=locale or negotiate(connection.headers.get("accept-language")),
    )


class CarnetView(CarnetGraphQL):
    graphql_transport_ws_handler_class = CarnetTransportWSHandler

    def __init__(self, settings: Settings, store: PersistedQueryStore, extensions=()):
        super().__init__(
            build_schema(settings, extensions),
            persisted_queries=store,
            graphiql_html=graphiql_html,
            allow_queries_via_get=True,
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            # CSRF: a cross-site form can post multipart/form-data without a preflight,
            # but it cannot set the Authorization header, and no cookie ever signs anyone
            # in here (bearer tokens only), so such a request runs anonymously.
            multipart_uploads_enabled=True,
            # The CSV plus the `operations` and `map` fields around it.
            max_upload_bytes=max(settings.import_max_bytes, settings.account_document_max_bytes)
            + UPLOAD_OVERHEAD_BYTES,
            max_body_bytes=settings.max_body_bytes,
        )
        self.settings = settings

    async def get_context(self, request, response) -> Context:
        # The token is looked up when a field first needs the caller (Context.sign_in), so
        # that the role in the organization the field concerns comes in the same statement.
        return Context(
            settings=self.settings,
            request=request,
            response=response,
            meta=_meta(request),
            token=_bearer(request.headers.get("authorization")),
            user_locale=not request.headers.get("accept-language"),
        )

    async def on_ws_connect(self, context: Context):
        """Authenticates a websocket in `connection_init` ({"Authorization": "Bearer …"})."""
        params = getattr(context, "connection_params", None) or {}
        token = _bearer(params.get("Authorization") or params.get("authorization"))
        if token:
            context.token = token
            await context.sign_in()
            if context.user is None:
                from strawberry.exceptions import ConnectionRejectionError

                raise ConnectionRejectionError({"code": "UNAUTHENTICATED"})
        return None


class RequestIdMiddleware:
    """Gives each request an id (or keeps the caller's), echoed in `X-Request-ID`."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        # latin-1 cannot fail: a header may carry any byte (HTTP's obs-text), and a
        # non-ASCII id is replaced below rather than answered with a 500.
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = incoming[:64] if incoming.isascii() and incoming else uuid.uuid4().hex
        scope["carnet.request_id"] = request_id

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (REQUEST_ID_HEADER.encode(), request_id.encode()),
                ]
            await send(message)

        await self.app(scope, receive, send_with_id)


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def _hide_download_token(request: Request, route: str, token: str) -> None:
    """Puts the token's digest in place of the token in the request's path, which uvicorn's
    access log (and whatever logs the path once the route has run) reads: a link is a
    credential, so logs name it only by the first characters of its keyed digest."""
    shown = f"/{route}/sha256:{token_digest(token)[:16]}"
    request.scope["path"] = shown
    request.scope["raw_path"] = shown.encode("ascii")


_PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _attachment(filename: str) -> str:
    """A Content-Disposition naming the file: an ASCII fallback, and the exact name
    (RFC 6266) for clients that read it."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in filename)
    if fallback == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


async def _link_download(request: Request, route: str, fetch, prefix: bytes = b"") -> Response:
    """GET /{route}/{token}: a file through its short-lived, single-use link. No session:
    the link is the credential (see resolvers.common.downloads); never cached, never
    sniffed, never logged. `fetch(token, meta)` is the domain's download."""
    token = request.path_params["token"]
    _hide_download_token(request, route, token)
    meta = _meta(request)
    if request.method != "GET":
        # Starlette adds HEAD to a GET route: a link checker's HEAD must not use it up.
        return PlainTextResponse("", status_code=405, headers={**_PRIVATE, "Allow": "GET"})
    try:
        found = await fetch(token, meta)
    except downloads.LinkRefused as refused:
        return PlainTextResponse(
            translate(refused.message, meta.locale), status_code=refused.status, headers=_PRIVATE
        )

    async def body():
        if prefix:
            yield prefix
        async for chunk in found.chunks:
            yield chunk

    # Streamed from storage chunk by chunk: memory stays flat whatever the file's size.
    return StreamingResponse(
        body(),
        media_type=found.content_type,
        headers={
            **_PRIVATE,
            "Content-Disposition": _attachment(found.filename),
            "Content-Length": str(len(prefix) + found.size),
            "X-Content-Type-Options": "nosniff",
        },
    )


async def contact_export_download(request: Request) -> Response:
    """GET /exports/{token}: an export's CSV, with a BOM so Excel reads UTF-8 accents."""
    settings = request.app.state.settings
    return await _link_download(
        request,
        "exports",
        lambda token, meta: export_downloads.download(token, meta, settings),
        prefix=_UTF8_BOM,
    )


async def account_document_download(request: Request) -> Response:
    """GET /documents/{token}: an account document, as it was uploaded."""
    return await _link_download(request, account_items.LINK_ROUTE, account_items.download)


async def member_document_download(request: Request) -> Response:
    """GET /member-documents/{token}: a member's document, as it was uploaded."""
    return await _link_download(request, member_documents.LINK_ROUTE, member_documents.download)


async def statement_pdf_download(request: Request) -> Response:
    """GET /statements/{token}: an account statement's PDF (409 until its job has run)."""
    return await _link_download(request, statement_files.LINK_ROUTE, statement_files.download)


async def invoice_pdf_download(request: Request) -> Response:
    """GET /invoice-pdfs/{token}: an invoice's PDF (409 until its job has run)."""
    route = statement_files.INVOICE_LINK_ROUTE
    return await _link_download(request, route, statement_files.download_invoice)


async def privacy_export_download(request: Request) -> Response:
    """GET /privacy-exports/{token}: a person's data export archive (ZIP), once."""
    return await _link_download(request, privacy_export.LINK_ROUTE, privacy_export.download)


async def unsubscribe_page(request: Request) -> Response:
    """GET /unsubscribe/{token}: asks the recipient to confirm, in their language. POST (the
    page's button, or a mail client's one-click `List-Unsubscribe-Post`) withdraws their
    EMAIL consent at once; a second POST changes nothing. A bad link: 404, never a 500."""
    token = request.path_params["token"]
    meta = _meta(request)
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    if token == unsubscribe.SAMPLE_TOKEN:  # a test mail's link: withdraws nobody's consent
        html = render_page("unsubscribe", meta.locale, state="sample")
        return HTMLResponse(html, headers=headers)
    if request.method == "POST":
        found = await unsubscribe.withdraw(token, meta)
    else:
        found = await unsubscribe.recipient(token)
    if found is None:
        html = render_page("unsubscribe", meta.locale, state="invalid")
        return HTMLResponse(html, status_code=404, headers=headers)
    state = "done" if found.withdrawn else "confirm"
    html = render_page(
        "unsubscribe",
        found.contact.locale.value,
        state=state,
        organization=found.organization.name,
        email=found.contact.email or "",
    )
    return HTMLResponse(html, headers=headers)


async def readyz(request: Request) -> JSONResponse:
    checks = {}
    try:
        await connections.get("default").execute_query("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # reported, not raised: this endpoint exists to say what failed
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        await queue.pool().ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", **checks}, status_code=200 if ready else 503
    )


def create_app(settings: Settings, span_exporter=None) -> Starlette:
    """`span_exporter` replaces the OTLP exporter when tracing is on (tests)."""
    configure(settings)
    ops = operations(settings, span_exporter)  # metrics, request logs, tracing (web/observe.py)
    store = PersistedQueryStore(key_prefix=f"{settings.redis_prefix}:apq:")
    view = CarnetView(settings, store, ops.schema_extensions)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        async with RegisterTortoise(app, config=tortoise_config(settings)):
            store.redis = await queue.connect(settings)
            try:
                yield
            finally:
                await queue.close()
                if ops.tracing is not None:
                    ops.tracing.provider.shutdown()  # sends the spans still batched

    app = Starlette(
        routes=[
            Route("/graphql", view),  # the view answers 405s itself, per GraphQL-over-HTTP
            WebSocketRoute("/graphql", view),
            Mount("/static/graphiql", StaticFiles(directory=STATIC_DIR), name="graphiql"),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/exports/{token}", contact_export_download, methods=["GET"]),
            Route("/documents/{token}", account_document_download, methods=["GET"]),
            Route("/member-documents/{token}", member_document_download, methods=["GET"]),
            Route("/statements/{token}", statement_pdf_download, methods=["GET"]),
            Route("/invoice-pdfs/{token}", invoice_pdf_download, methods=["GET"]),
            Route("/privacy-exports/{token}", privacy_export_download, methods=["GET"]),
            Route("/unsubscribe/{token}", unsubscribe_page, methods=["GET", "POST"]),
            Route("/webhooks/sms", sms_webhook, methods=["POST"]),
            Route("/webhooks/sms/status", sms_status_webhook, methods=["POST"]),
            Route("/webhooks/email", email_webhook, methods=["POST"]),
            *ops.routes,
        ],
        middleware=[
            *client_address_middleware(settings),
            *ops.outer_middleware,
            Middleware(RequestIdMiddleware),
            *ops.inner_middleware,
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type", "accept-language", "x-request-id"],
                expose_headers=["x-request-id"],
                max_age=600,
            ),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.operations = ops
    return app
