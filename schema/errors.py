"""Error rendering: payload `UserError`s and top-level errors with `extensions.code`.

Unexpected exceptions are masked as INTERNAL_SERVER_ERROR with the request id, and
logged with their traceback; messages are translated to the reader's locale.
"""

from __future__ import annotations

import logging
from enum import Enum
from typing import NewType

import strawberry
from graphql import GraphQLError

from carnet.i18n import N_, translate
from resolvers.common.errors import ApiError, FieldError, RateLimited, UserErrorCode

log = logging.getLogger("carnet.errors")

UserErrorCodeEnum = strawberry.enum(
    UserErrorCode, name="UserErrorCode", description="Why an input was refused."
)


def _segment(value: object) -> str | int:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"a path segment is a field name or a list index, not {value!r}")
    return value


FieldPathSegment = NewType("FieldPathSegment", object)
FIELD_PATH_SEGMENT = strawberry.scalar(
    name="FieldPathSegment",
    description="One step of a path into the input: a field name (a String) or, into a list, "
    "an index (an Int).",
    serialize=_segment,
    parse_value=_segment,
)
"""Maps ``FieldPathSegment`` to its GraphQL scalar (the schema's ``scalar_map``)."""


@strawberry.type(description="A problem with the input; nothing was written.")
class UserError:
    code: UserErrorCodeEnum
    field: list[FieldPathSegment] | None = strawberry.field(
        description='Path into the input, list indexes as integers, e.g. ["input", "members", '
        '2, "birthDate"].'
    )
    message: str


def camel(name: str | int) -> str | int:
    """A Python path segment as the API spells it: camelCase names, list indexes kept."""
    if isinstance(name, int):
        return name
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def user_errors(errors: list[FieldError], locale: str) -> list[UserError]:
    return [
        UserError(
            code=e.code,
            field=[camel(p) for p in e.field] or None,
            message=translate(e.message, locale, **e.params),
        )
        for e in errors
    ]


def format_errors(errors: list[GraphQLError], context: object) -> None:
    """Codes, translates and masks every error of a result, in place, in one place.

    Called from `CarnetSchema.process_errors`, which Strawberry runs for every error,
    including parse and validation errors that never reach execution.
    """
    locale = getattr(context, "locale", "en")
    request_id = getattr(getattr(context, "meta", None), "request_id", "")
    for error in errors:
        if (error.extensions or {}).get("code"):
            continue  # already formatted, or coded on purpose where it was raised
        original = error.original_error
        extensions = dict(error.extensions or {})
        if isinstance(original, ApiError):
            error.message = translate(original.message, locale, **original.params)
            extensions["code"] = original.code
            if isinstance(original, RateLimited):
                extensions["retryAfter"] = original.retry_after
        elif original is None or isinstance(original, GraphQLError):
            # Parse and validation errors: the request itself is wrong.
            extensions["code"] = "BAD_USER_INPUT"
        else:
            log.error(
                "unexpected error (request %s) at %s", request_id, error.path, exc_info=original
            )
            error.message = translate(
                N_("Internal server error (request {request_id})."), locale, request_id=request_id
            )
            extensions = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
            error.original_error = None
        error.extensions = extensions


def enum_value(value: Enum | str) -> str:
    return value.value if isinstance(value, Enum) else value
