"""The authorization matrix: one example operation per protected field.

Each domain registers, for every field carrying `@requiresPermission`, an operation and
the variables to run it with (built per caller, since a call may need fresh data).
`tests/test_authorization.py` runs every example as every role, anonymously and as a
member of the other organization, and fails when a protected field has no example.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from resolvers.common.permissions import Permission
from tests.support.world import Member, World

Variables = Callable[[World, Member | None], Awaitable[dict[str, Any]]]


async def no_variables(world: World, caller: Member | None) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Example:
    operation: str
    variables: Variables = no_variables
    # For fields whose requirement depends on the record (`node`): what this example's
    # record requires, used instead of the field's directive.
    record_requires: Permission | None = None
    # For subscriptions: what makes the first event happen once subscribed.
    trigger: Callable[[World], Awaitable[None]] | None = None


EXAMPLES: dict[str, Example] = {}


def example(
    coordinate: str,
    operation: str,
    variables: Variables = no_variables,
    record_requires: Permission | None = None,
    trigger: Callable[[World], Awaitable[None]] | None = None,
) -> None:
    """Registers the example for a schema coordinate such as `Mutation.organizationUpdate`."""
    if coordinate in EXAMPLES:
        raise ValueError(f"two examples for {coordinate}")
    if coordinate.startswith("Subscription.") and trigger is None:
        raise ValueError(f"{coordinate}: a subscription example needs a trigger")
    EXAMPLES[coordinate] = Example(operation, variables, record_requires, trigger)
