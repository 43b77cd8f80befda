"""Authorization-matrix example for `bulkOperationProgress` (see tests/support/authz.py)."""

from __future__ import annotations

from tests.bulk_authz_examples import a_running_operation
from tests.support.authz import example


async def nothing_needed(world) -> None:
    """The subscription answers with the operation as it stands at once."""


example(
    "Subscription.bulkOperationProgress",
    "subscription($id: ID!) { bulkOperationProgress(id: $id) { id state processed total } }",
    a_running_operation,
    trigger=nothing_needed,
)
