"""The GraphQL-over-HTTP rules that do not depend on Strawberry's view: media types,
request errors and the HTTP errors rendered as GraphQL response bodies.

``carnet.web.http.CarnetGraphQL`` applies them; see its module docstring for the
behaviour as a whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

from cross_web import HTTPException
from graphql import GraphQLError
from strawberry.http import GraphQLRequestData
from strawberry.types.execution import PreExecutionError

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"


class GraphQLHTTPError(HTTPException):
    """An HTTP-level failure rendered as a GraphQL response body.

    Subclasses Strawberry's ``HTTPException`` so Strawberry code that catches
    that still works; ``code`` goes to ``errors[0].extensions.code`` (default:
    the status name, e.g. ``BAD_REQUEST``) and ``headers`` to the response.
    """

    def __init__(
        self,
        status_code: int,
        reason: str,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status_code, reason)
        self.code = code
        self.headers = dict(headers or {})



def negotiate_media_type(accept: str | None) -> str:
    """Pick the response media type for an ``Accept`` header.

    ``application/graphql-response+json`` only when it is named explicitly
    with a quality > 0 and at least that of ``application/json``: wildcards
    mean a legacy client (``fetch`` sends ``*/*``), which the spec serves
    ``application/json``. Ties go to the new type, as clients that list both
    (Apollo Client, urql) prefer it. Anything unparsable falls back to JSON.
    """
    if not accept:
        return APPLICATION_JSON
    graphql_q: float | None = None
    json_q: float | None = None
    type_wildcard_q: float | None = None  # application/*
    any_q: float | None = None  # */*
    for media_range in accept.split(","):
        mime, _, params = media_range.partition(";")
        mime = mime.strip().lower()
        q = _quality(params)
        if mime == GRAPHQL_RESPONSE_JSON:
            graphql_q = max(graphql_q or 0.0, q)
        elif mime == APPLICATION_JSON:
            json_q = max(json_q or 0.0, q)
        elif mime == "application/*":
            type_wildcard_q = max(type_wildcard_q or 0.0, q)
        elif mime == "*/*":
            any_q = max(any_q or 0.0, q)
    # RFC 9110 12.5.1: the most specific range that matches sets the quality.
    for candidate in (json_q, type_wildcard_q, any_q):
        if candidate is not None:
            json_quality = candidate
            break
    else:
        json_quality = 0.0
    if graphql_q and graphql_q >= json_quality:
        return GRAPHQL_RESPONSE_JSON
    return APPLICATION_JSON


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 1.0
            # Out of range (or NaN) is a client bug; RFC default is 1.
            return q if 0.0 <= q <= 1.0 else 1.0
    return 1.0



def is_request_error(result: object) -> bool:
    """Whether ``result`` failed before execution started (a *request error*).

    Strawberry returns those as a ``PreExecutionError`` (parse, validation) or,
    when graphql-core refuses to start (variable coercion, unknown operation
    type), as a ``data: None`` result whose errors have no ``path``. A field
    error bubbling ``null`` up to the root always has a ``path``, which keeps
    it a (200) execution result.
    """
    errors = getattr(result, "errors", None)
    if not errors or getattr(result, "data", None) is not None:
        return False
    return isinstance(result, PreExecutionError) or all(
        getattr(error, "path", None) is None for error in errors
    )



def check_parameters(data: GraphQLRequestData) -> None:
    """Reject wrongly-typed parameters with a 400 before they reach the schema.

    Strawberry checks ``query``, ``variables`` and ``extensions`` for single
    requests only, and ``operationName`` never (a number becomes "Unknown
    operation named 5"); batch items would fail later with a 500.
    """
    checks = (
        ("query", data.query, str, "a string"),
        ("variables", data.variables, dict, "an object"),
        ("operationName", data.operation_name, str, "a string"),
        ("extensions", data.extensions, dict, "an object"),
    )
    for name, value, expected, description in checks:
        if value is not None and not isinstance(value, expected):
            raise GraphQLHTTPError(
                400,
                f"The GraphQL operation's `{name}` must be {description} or null, if provided.",
            )


def too_large(limit: int, what: str) -> GraphQLHTTPError:
    return GraphQLHTTPError(
        413,
        f"The request is too large: {what} are limited to {limit // (1024 * 1024) or 1} MB.",
        code="PAYLOAD_TOO_LARGE",
    )


def request_error(message: str, cause: Exception) -> PreExecutionError:
    return PreExecutionError(data=None, errors=[GraphQLError(message, original_error=cause)])


def status_code_name(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).name  # e.g. BAD_REQUEST, METHOD_NOT_ALLOWED
    except ValueError:
        return f"HTTP_{status_code}"
