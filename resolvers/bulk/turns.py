"""An in-order action's chunks on PostgreSQL, two at once (`Action.in_order`): the later
one waits for its turn (`Turn`) before it touches what they share."""

from __future__ import annotations

import asyncio
import time

from models.bulk import BulkChunkState
from resolvers.common.tasks import current_unit_of_work, run_budget_seconds


class Respeculate(Exception):
    """Raised by an in-order action after its turn when what it did before the turn no
    longer holds (the chunk before it wrote what this one depends on): the chunk's
    transaction is rolled back and the chunk run again, now after the one before it."""


class PredecessorFailed(Exception):
    pass


class NotYourTurn(Exception):
    """The chunk before it has not committed within a run's budget (its job waits for a
    retry, or for the sweeper after its worker died)."""


class Turn:
    """An in-order chunk's wait for the chunk before it to commit (PostgreSQL, where two
    run at once): the previous chunk's state is read until it is DONE, each read seeing
    the latest commit. Read without a lock: a lock held while the previous chunk has not
    started would keep it from starting. It raises when the previous chunk failed (this
    one fails too: `fail_chunk`), and when it has waited a run's budget (`NotYourTurn`)."""

    POLL_SECONDS = (0.005, 0.05)  # the first wait, then at most this

    def __init__(self, operation_id: int, number: int, waits: bool):
        self.operation_id, self.number = operation_id, number
        self.taken = not waits or number == 1
        # From the chunk's start: what it does before and after its turn counts against
        # the job's timeout too.
        self.deadline = time.monotonic() + run_budget_seconds()

    async def __call__(self) -> None:
        if self.taken:
            return
        connection = current_unit_of_work().connection
        pause, longest = self.POLL_SECONDS
        while True:
            rows = await connection.execute_query_dict(
                "SELECT state FROM bulk_operation_chunk WHERE operation_id = $1 AND number = $2",
                [self.operation_id, self.number - 1],
            )
            state = rows[0]["state"] if rows else BulkChunkState.DONE.value
            if state == BulkChunkState.DONE.value:
                break
            if state != BulkChunkState.PENDING.value:
                raise PredecessorFailed()
            if time.monotonic() > self.deadline:
                raise NotYourTurn()
            await asyncio.sleep(pause)
            pause = min(pause * 2, longest)
        self.taken = True
