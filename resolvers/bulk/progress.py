"""A bulk operation's progress, live: the worker publishes a snapshot on Redis pub/sub after
every chunk it commits and every change of state; a subscriber follows that channel.

The database stays the truth (polling `bulkOperation` reads the same counters): a message
lost on the way (Redis restarted, a subscriber slow to attach) only delays a snapshot,
since a follower also re-reads the row when the channel has been quiet for a while.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass

from carnet import queue
from carnet.settings import current_settings
from models.bulk import BulkOperation, BulkOperationState
from resolvers.common.errors import NotFound
from resolvers.common.permissions import Permission
from resolvers.organizations.stream_guard import NoLongerPermitted, StreamGuard

log = logging.getLogger(__name__)

# How far along a state is: a snapshot never takes a follower back to an earlier one.
_STAGE = {BulkOperationState.CREATED: 0, BulkOperationState.RUNNING: 1}
# Reading an operation's records needs, besides bulk.run, the permission to read them.
READ_PERMISSIONS = {
    "contact": Permission.CONTACTS_READ,
    "import_row": Permission.CONTACTS_IMPORT_EXPORT,  # a contact import's rows
}
# With no message for this long the row is read again (and access re-checked), so a lost
# message or a revoked access does not leave a socket waiting.
QUIET_SECONDS = 5.0


@dataclass(frozen=True)
class ProgressSnapshot:
    operation_id: int
    state: BulkOperationState
    total: int
    processed: int
    succeeded: int
    skipped: int
    failed: int
    # Nothing more will change: the last chunk has settled the operation. A canceled
    # operation is CANCELED at once, but its remaining chunks still count their skips.
    ended: bool

    @classmethod
    def of(cls, operation: BulkOperation) -> ProgressSnapshot:
        state = BulkOperationState(operation.state)
        return cls(
            operation_id=operation.id,
            state=state,
            total=operation.total,
            processed=operation.processed,
            succeeded=operation.succeeded,
            skipped=operation.skipped,
            failed=operation.failed,
            ended=state.finished and operation.finished_at is not None,
        )

    def later_than(self, other: ProgressSnapshot | None) -> bool:
        """Whether this says more than `other`: chunks of one operation commit on several
        workers and their messages may arrive out of order."""
        if other is None:
            return True
        return self._rank() > other._rank()

    def _rank(self) -> tuple[int, int, int, bool]:
        # total: 0 until a large target's freeze job has frozen it, then fixed.
        return (_STAGE.get(self.state, 2), self.total, self.processed, self.ended)

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "state": self.state.value})

    @classmethod
    def from_json(cls, raw: str | bytes) -> ProgressSnapshot:
        values = json.loads(raw)
        return cls(**{**values, "state": BulkOperationState(values["state"])})


def channel(operation_id: int) -> str:
    return f"{current_settings().redis_prefix}:bulk:progress:{operation_id}"


async def publish(operation: BulkOperation) -> None:
    """Sends the operation's counters and state to whoever follows it; called after the
    chunk or state change is committed. Never fails the caller: progress is advisory."""
    snapshot = ProgressSnapshot.of(operation)
    try:
        await queue.pool().publish(channel(operation.id), snapshot.to_json())
    except Exception:
        log.warning("could not publish the progress of bulk operation %s", operation.id,
                    exc_info=True)


async def read_snapshot(operation_id: int, organization_id: int) -> ProgressSnapshot:
    operation = await BulkOperation.get_or_none(id=operation_id, organization_id=organization_id)
    if operation is None:
        raise NotFound()
    return ProgressSnapshot.of(operation)


async def _check(guard: StreamGuard, record_type: str) -> None:
    """Raises (ending the stream) once the subscriber may no longer read the operation."""
    actor = await guard.actor()
    wanted = READ_PERMISSIONS.get(record_type)
    if wanted is not None and not actor.can(wanted):
        raise NoLongerPermitted()


async def follow(
    guard: StreamGuard,
    operation_id: int,
    quiet_seconds: float = QUIET_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncIterator[ProgressSnapshot]:
    """Yields the operation's snapshot now, then each newer one, until it has finished.

    Access is checked before every snapshot sent (session, membership, bulk.run and the
    permission to read the operation's records); once it has ended the guard raises and
    nothing more is sent.
    """
    await guard.actor()
    operation = await BulkOperation.get_or_none(
        id=operation_id, organization_id=guard.organization_id
    )
    if operation is None:
        raise NotFound()
    record_type = operation.record_type
    await _check(guard, record_type)
    pubsub = queue.pool().pubsub()
    try:
        # Listening before reading the row: a change committed in between is then heard.
        await pubsub.subscribe(channel(operation_id))
        last = await read_snapshot(operation_id, guard.organization_id)
        yield last
        heard_at = clock()
        while not last.ended:
            newest = await _newest_message(pubsub, min(1.0, quiet_seconds))
            if newest is None and clock() - heard_at < quiet_seconds:
                continue
            if newest is None:  # quiet: the row says whether a message was lost
                newest = await read_snapshot(operation_id, guard.organization_id)
            heard_at = clock()
            await _check(guard, record_type)
            if newest.later_than(last):
                last = newest
                yield last
    finally:
        await pubsub.aclose()


async def _newest_message(pubsub, wait_seconds: float) -> ProgressSnapshot | None:
    """Waits up to `wait_seconds` for a message, then takes the others already there: the
    latest of them is the one sent, so a slow subscriber skips rather than lags."""
    newest = None
    wait = wait_seconds
    while True:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=wait)
        if message is None:
            return newest
        if message.get("type") == "message":
            snapshot = ProgressSnapshot.from_json(message["data"])
            if snapshot.later_than(newest):
                newest = snapshot
        wait = 0.0
        await asyncio.sleep(0)
