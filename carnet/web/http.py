"""Carnet's GraphQL endpoint: Strawberry's ASGI view speaking GraphQL-over-HTTP.

``CarnetGraphQL`` is ``strawberry.asgi.GraphQL`` plus what SPAs and mobile
clients expect from the GraphQL-over-HTTP spec
(https://graphql.github.io/graphql-over-http/draft/) and Apollo's Automatic
Persisted Queries. ``tests/http_audit/audit.mjs`` runs the ``graphql-http``
conformance audit against it; it reports no errors and no warnings.

Behaviour, by topic (the hook that implements it in brackets):

Response media type [``get_sub_response``, ``create_response``]
    ``application/graphql-response+json`` when the ``Accept`` header names it
    at least as strongly as ``application/json``; ``application/json``
    otherwise (no ``Accept``, ``*/*``, or nothing we can produce: the spec
    lets us ignore such an ``Accept`` rather than answer 406). Every response
    carries ``Vary: Accept`` because the same GET URL can yield either type,
    or the GraphiQL page.

Status codes [``process_result``, ``create_response``]
    A *request error* (the document does not parse or validate, variables do
    not coerce, the operation name matches nothing) has no ``data`` entry, as
    the GraphQL spec requires. With ``application/graphql-response+json`` it
    is a 400; with legacy ``application/json`` it stays a 200, as the spec
    asks, so older clients keep reading the ``errors``. Field errors (``data``
    present, even ``null``) are 200 in both. A status a resolver sets on the
    sub-response still wins.

Malformed requests [``run``, ``parse_json``, ``parse_http_body``]
    Anything a client can send that is not a GraphQL-over-HTTP request (bad
    JSON or UTF-8, a non-object body, ``variables``/``extensions``/
    ``operationName`` of the wrong type, a bad ``persistedQuery``) is a 4xx,
    never a 500, and its body is a GraphQL response ``{"errors": [{"message",
    "extensions": {"code"}}]}`` in the negotiated media type instead of
    Strawberry's plain text, so clients can surface the message.

Methods [``execute_single``, ``run``]
    POST runs queries and mutations; GET runs queries only (none with
    ``allow_queries_via_get=False``). A mutation over GET is a 405 with
    ``Allow: POST`` (the spec's MUST); other methods are a 405 with
    ``Allow: GET, POST``. A subscription over plain POST is a request error
    pointing to WebSocket (Strawberry would run it like a query and answer
    "Cannot return null"); Strawberry's streaming transports, when enabled,
    still serve subscriptions before this check.

File uploads [``parse_multipart``, ``request_limits.LimitedRequestAdapter``]
    The GraphQL multipart request spec
    (https://github.com/jaydenseric/graphql-multipart-request-spec), when the
    view is built with ``multipart_uploads_enabled=True``. A body larger than
    ``max_upload_bytes`` is a 413 (``PAYLOAD_TOO_LARGE``), from its
    ``Content-Length`` or, without one, as soon as that much has arrived; a
    malformed multipart body, ``operations`` or ``map`` (wrong types, paths
    into nothing, a missing file part) is a 400, never a 500.

Body size [``request_limits.LimitedRequestAdapter.get_body``]
    A JSON body larger than ``max_body_bytes`` is a 413 (``PAYLOAD_TOO_LARGE``),
    from its ``Content-Length`` or, streamed, as soon as that much has arrived: the
    rest is never read. Multipart uploads have ``max_upload_bytes`` instead.

Automatic persisted queries [``apq.resolve_persisted_query``, ``execute_single``]
    ``extensions.persistedQuery = {"version": 1, "sha256Hash": ...}``, over
    POST or GET (``extensions`` as a JSON query parameter):

    * hash only, unknown: HTTP 200, error ``PersistedQueryNotFound`` with
      ``extensions.code = "PERSISTED_QUERY_NOT_FOUND"``, ``Cache-Control:
      private, no-cache, must-revalidate``. Apollo clients retry with the full
      query only on this exact answer; it is 200 even for
      ``application/graphql-response+json`` (as Apollo Server does), the one
      place we knowingly leave the spec, because a 4xx makes clients give up.
    * hash and query: the hash must be the query's SHA-256 (else 400,
      ``BAD_USER_INPUT``, "provided sha does not match query"); the query
      runs and, once it has parsed and validated, is stored, so the store
      never fills with garbage.
    * hash only, known: the stored query runs.

GraphiQL [``render_graphql_ide``, ``should_render_graphql_ide``]
    ``graphiql_html`` (a callable returning the page) replaces Strawberry's
    built-in IDE for browser GETs. A GET carrying ``extensions`` (a hashed
    query) is never mistaken for a browser visit, even with ``Accept: */*``.

Deliberately not overridden: ``get_context`` and ``get_root_value`` (for the
application's subclass), and the streaming transports (SSE / multipart
subscriptions; persisted-query lookups work there too, registration happens
at once since their results bypass ``execute_single``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.typevars import Context, RootValue
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.execution import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET

from carnet.web.apq import (
    NO_CACHE,
    PersistedQueryRequest,
    persisted_query_not_found,
    resolve_persisted_query,
)
from carnet.web.persisted_queries import PersistedQueryStore
from carnet.web.protocol import (
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
    GraphQLHTTPError,
    check_parameters,
    is_request_error,
    negotiate_media_type,
    request_error,
    status_code_name,
    too_large,
)
from carnet.web.request_limits import BodyTooLarge, LimitedRequestAdapter

if TYPE_CHECKING:
    from strawberry.schema import BaseSchema

__all__ = ["CarnetGraphQL"]


class CarnetGraphQL(GraphQL[Context, RootValue]):
    """Strawberry's ASGI GraphQL view, conformant to GraphQL-over-HTTP, with APQ.

    :param schema: the Strawberry schema.
    :param persisted_queries: where APQ hashes are looked up and registered.
    :param graphiql_html: returns the page for browser GETs; given, it
        replaces Strawberry's IDE (and enables the IDE even if
        ``graphql_ide=None`` was passed).
    :param max_upload_bytes: the largest multipart body accepted (None: no limit).
    :param max_body_bytes: the largest other (JSON) body accepted (None: no limit).
    :param kwargs: passed to ``strawberry.asgi.GraphQL`` (``graphql_ide``,
        ``allow_queries_via_get``, ``subscription_protocols``,
        ``multipart_uploads_enabled``, ...).
    """

    def __init__(
        self,
        schema: BaseSchema,
        *,
        persisted_queries: PersistedQueryStore,
        graphiql_html: Callable[[], str] | None = None,
        max_upload_bytes: int | None = None,
        max_body_bytes: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(schema, **kwargs)
        self.persisted_queries = persisted_queries
        self.graphiql_html = graphiql_html
        self.max_upload_bytes = max_upload_bytes
        self.max_body_bytes = max_body_bytes
        self.request_adapter_class = type(
            "UploadRequestAdapter",
            (LimitedRequestAdapter,),
            {"max_upload_bytes": max_upload_bytes, "max_body_bytes": max_body_bytes},
        )
        if graphiql_html is not None and not self.graphql_ide:
            # Strawberry answers 404 instead of calling render_graphql_ide
            # when graphql_ide is falsy.
            self.graphql_ide = "graphiql"

    # -- Response media type and status ---------------------------------------

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        # create_response() only sees the sub-response, so the negotiated
        # type travels on it, in the attribute Starlette uses for exactly this.
        sub_response.media_type = negotiate_media_type(request.headers.get("accept"))
        return sub_response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        media_type = sub_response.media_type or APPLICATION_JSON
        response.headers["content-type"] = f"{media_type}; charset=utf-8"
        response.headers.add_vary_header("Accept")
        if (
            not sub_response.status_code
            and media_type == GRAPHQL_RESPONSE_JSON
            # A batch has one status for many results; it stays 200.
            and isinstance(response_data, dict)
            # process_result() drops `data` exactly for request errors; the
            # spec: no `data` entry => 4xx, and 400 for parse/validation.
            and "data" not in response_data
        ):
            response.status_code = 400
        return response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        # Strawberry always sends `"data": null`; the GraphQL spec says a
        # request error has no `data` entry, and the status depends on that.
        if isinstance(response, dict) and is_request_error(result):
            response.pop("data", None)
        return response

    async def run(
        self,
        request: Request | WebSocket,
        context: Context = UNSET,
        root_value: RootValue | None = UNSET,
    ) -> Response | WebSocket:
        try:
            return await super().run(request, context, root_value)
        except HTTPException as exc:
            if self.is_websocket_request(request):
                raise
            # Replaces GraphQL.__call__'s text/plain answer, which GraphQL
            # clients cannot parse, with a GraphQL response body.
            return self._error_response(request, exc)

    def _error_response(self, request: Request, exc: HTTPException) -> Response:
        media_type = negotiate_media_type(request.headers.get("accept"))
        code = getattr(exc, "code", None) or status_code_name(exc.status_code)
        headers = dict(getattr(exc, "headers", {}))
        if exc.status_code == 405:
            # RFC 9110 15.5.6: a 405 MUST list the allowed methods.
            headers.setdefault("allow", "GET, POST")
        response = Response(
            self.encode_json({"errors": [{"message": exc.reason, "extensions": {"code": code}}]}),
            status_code=exc.status_code,
            headers=headers,
            media_type=f"{media_type}; charset=utf-8",
        )
        response.headers.add_vary_header("Accept")
        return response

    # -- Request parsing -------------------------------------------------------

    def parse_json(self, data: str | bytes) -> Any:
        try:
            parsed = super().parse_json(data)
        except (ValueError, RecursionError) as exc:
            # Strawberry only catches JSONDecodeError; bytes that are not
            # UTF-8 raise UnicodeDecodeError and deep nesting RecursionError,
            # both of which used to be 500s.
            raise GraphQLHTTPError(400, "Unable to parse request body as JSON") from exc
        # JSON may escape a lone surrogate ("\ud800"), which is no character: no
        # database or encoder accepts it, so refuse the request here, once for all fields.
        raw = data if isinstance(data, str) else data.decode("utf-8", "replace")
        if "\\ud" in raw.lower():
            try:
                json.dumps(parsed, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError as exc:
                raise GraphQLHTTPError(
                    400, "The request contains invalid Unicode (a lone surrogate)"
                ) from exc
        return parsed

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        length = request.headers.get("content-length")
        limit = self.max_upload_bytes
        if limit is not None and length and (not length.isdigit() or int(length) > limit):
            raise too_large(limit, "uploads")
        try:
            return await super().parse_multipart(request)
        except BodyTooLarge:
            raise too_large(limit or 0, "uploads") from None
        except HTTPException as exc:
            raise GraphQLHTTPError(400, exc.reason) from exc
        except (
            StarletteHTTPException,
            MultiPartException,
            KeyError,
            IndexError,
            TypeError,
            ValueError,
            AttributeError,
        ) as exc:
            # Strawberry follows `map` paths into `operations` as given: a path into
            # nothing, a non-list of paths or a non-object map raise these.
            raise GraphQLHTTPError(
                400,
                "Malformed multipart request: `operations` must be a JSON object, `map` an "
                "object of file field names to lists of paths (e.g. "
                '{"0": ["variables.input.file"]}), and every mapped file part present.',
            ) from exc

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        try:
            parsed = await super().parse_http_body(request)
        except BodyTooLarge:
            raise too_large(self.max_body_bytes or 0, "request bodies") from None
        except AttributeError as exc:
            # Strawberry calls `.get()` on the decoded JSON: a scalar body
            # (`1`, `"x"`, `null`) or a non-object batch item lands here.
            raise GraphQLHTTPError(
                400, "The request body must be a JSON object (or an array of them, to batch)."
            ) from exc
        items = parsed if isinstance(parsed, list) else [parsed]
        resolved = []
        for item in items:
            check_parameters(item)
            resolved.append(await resolve_persisted_query(self.persisted_queries, item))
        return resolved if isinstance(parsed, list) else resolved[0]


    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET with only a persisted-query hash has no `query` parameter and,
        # from `fetch()`, `Accept: */*`: Strawberry would serve it the IDE.
        return (
            super().should_render_graphql_ide(request)
            and request.query_params.get("extensions") is None
        )

    # -- Execution -------------------------------------------------------------

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: RootValue | None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        apq = request_data if isinstance(request_data, PersistedQueryRequest) else None
        if apq is not None and apq.query is None:
            # An explicit status wins in create_response(): this answer must
            # be a 2xx for Apollo clients to retry with the full query.
            sub_response.status_code = 200
            sub_response.headers["cache-control"] = NO_CACHE
            return ExecutionResult(data=None, errors=[persisted_query_not_found()])
        method = request_adapter.method
        # Strawberry's execute_single() would allow GET subscriptions (meant
        # for its multipart transport, which never reaches this method) and
        # answer a GET mutation with a 400; the spec wants GET for queries
        # only and a 405 otherwise. Plain POST cannot stream a subscription.
        if method == "GET":
            allowed = {OperationType.QUERY} if self.allow_queries_via_get else set()
        else:
            allowed = {OperationType.QUERY, OperationType.MUTATION}
        try:
            result = await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as exc:
            if method == "GET":
                raise GraphQLHTTPError(
                    405, exc.as_http_error_reason(method), headers={"allow": "POST"}
                ) from exc
            return request_error(
                "Subscriptions are served over WebSocket (graphql-transport-ws), not POST.", exc
            )
        except CannotGetOperationTypeError as exc:
            # No operation matches `operationName`: a GraphQL request error,
            # so its status follows the media type like the others
            # (Strawberry: always 400).
            return request_error(exc.as_http_error_reason(), exc)
        except MissingQueryError as exc:
            raise GraphQLHTTPError(400, "No GraphQL query found in the request") from exc
        if apq is not None and apq.register and not is_request_error(result):
            await self.persisted_queries.set(apq.sha256_hash, apq.query)
        return result

    # -- GraphiQL --------------------------------------------------------------

    async def render_graphql_ide(self, request: Request) -> Response:
        if self.graphiql_html is None:
            response = await super().render_graphql_ide(request)
        else:
            response = HTMLResponse(self.graphiql_html())
        response.headers.add_vary_header("Accept")
        return response
