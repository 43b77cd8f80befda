"""Mutation payloads: the result fields plus `errors`, filled from resolvers' UserErrors."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

import strawberry

from resolvers.common.errors import UserErrors
from schema.errors import UserError, user_errors

P = TypeVar("P")


@strawberry.type
class Payload:
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was written; empty on success."
    )


async def payload(info: strawberry.Info, cls: type[P], result: Awaitable[dict[str, Any]]) -> P:
    """Awaits a resolver call returning the payload's fields; UserErrors become `errors`."""
    try:
        fields = await result
    except UserErrors as e:
        return cls(errors=user_errors(e.errors, info.context.locale))  # type: ignore[call-arg]
    return cls(**fields)
