"""Mutation payloads: the result fields plus `errors`, filled from resolvers' UserErrors."""

from __future__ import annotations

from typing import TypeVar

import strawberry

from carnet.i18n import translate
from resolvers.common.errors import NotFound, UserErrorCode, UserErrors
from schema.errors import UserError, camel, user_errors
from schema.scope import MalformedId

P = TypeVar("P")


@strawberry.type
class Payload:
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was written; empty on success."
    )


# What a mutation's input can be refused for, all reported in its payload: validation
# (UserErrors), an id naming nothing the caller may touch, an id that is no id at all.
INPUT_ERRORS = (UserErrors, NotFound, MalformedId)


def refused(payload_type: type[P], error: Exception, locale: str) -> P:
    """The payload saying why nothing was written."""
    if isinstance(error, UserErrors):
        errors = user_errors(error.errors, locale)
    else:
        code = UserErrorCode.NOT_FOUND  # a malformed id names nothing either
        text = error.message if isinstance(error, NotFound) else NotFound.default_message
        message = translate(text, locale, **(error.params if isinstance(error, NotFound) else {}))
        field = [camel(p) for p in error.field] or None
        errors = [UserError(code=code, field=field, message=message)]
    return payload_type(errors=errors)  # type: ignore[call-arg]
