"""How to tell whether a user holds a relationship to a record: one check per
(relationship, record type), registered by the domain that owns the record and read by
the permission directive, by `node(id:)` and by resolvers alike.

A check takes the signed-in user and the record (a model instance) and answers yes or
no; a relationship with no check registered for the record's type is never held.

Ties (`tied_to_organization`) answer a broader question: is a user already known to an
organization at all (its staff, and later its account contacts and team members)?
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import Any

from models.identity import User
from models.staff import StaffMembership
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


# Ties to an organization: who is already known to it, so that naming them there tells
# nothing new (its staff today; account contacts and team members when those domains
# register theirs). One query per kind of tie, given an organization and user ids,
# answering those of the ids it ties to the organization.
Tie = Callable[[int, Collection[int]], Awaitable[set[int]]]

TIES: dict[str, Tie] = {}


def register_tie(name: str, tie: Tie) -> None:
    if name in TIES:
        raise ValueError(f"the tie {name} is already registered")
    TIES[name] = tie


async def tied_to_organization(organization_id: int, user_ids: Collection[int]) -> set[int]:
    """Those of `user_ids` tied to the organization in any registered way."""
    wanted, tied = set(user_ids), set()
    for tie in TIES.values():
        if not wanted - tied:
            break
        tied |= await tie(organization_id, wanted - tied)
    return tied


async def _staff(organization_id: int, user_ids: Collection[int]) -> set[int]:
    # Any membership, invited or deactivated too: the staff list shows them all.
    rows = StaffMembership.filter(organization_id=organization_id, user_id__in=list(user_ids))
    return set(await rows.values_list("user_id", flat=True))


register_tie("staff", _staff)
