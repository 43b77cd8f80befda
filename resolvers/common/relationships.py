"""How to tell whether a user holds a relationship to a record: one check per
(relationship, record type), registered by the domain that owns the record and read by
the permission directive, by `node(id:)` and by resolvers alike.

A check takes the signed-in user and the record (a model instance) and answers yes or
no; a relationship with no check registered for the record's type is never held.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from models.identity import User
from resolvers.common.permissions import CALLER_RELATIONSHIPS, Relationship

Check = Callable[[User, Any], Awaitable[bool]]

CHECKS: dict[tuple[Relationship, type], Check] = {}


def register(relationship: Relationship, model: type, check: Check) -> None:
    """Says how to tell that a user holds `relationship` to a `model` record."""
    if relationship in CALLER_RELATIONSHIPS:
        raise ValueError(f"{relationship} depends on the caller only, not on a record")
    if (relationship, model) in CHECKS:
        raise ValueError(f"{relationship} to {model.__name__} is already registered")
    CHECKS[(relationship, model)] = check


def unregister(relationship: Relationship, model: type) -> None:
    CHECKS.pop((relationship, model), None)


def checkable(relationship: Relationship, model: type) -> bool:
    return (relationship, model) in CHECKS


async def holds(user: User, relationship: Relationship, record: Any) -> bool:
    check = CHECKS.get((relationship, type(record)))
    return check is not None and await check(user, record)


async def _is_the_user(user: User, record: User) -> bool:
    return record.id == user.id


register(Relationship.SELF, User, _is_the_user)
