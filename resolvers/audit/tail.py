"""The live tail of an organization's audit log: new events as they commit, to whom may see them.

Not the paginated log (resolvers.audit.queries), which reads what is already there.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

from models.audit import AuditEvent
from resolvers.audit.queries import visible_events
from resolvers.common.time import now
from resolvers.organizations.stream_guard import StreamGuard

# How long a transaction may hold an audit event uncommitted and still have it delivered
# once it commits: requests and job chunks commit within seconds.
SETTLE_SECONDS = 30.0
# Events fetched, checked and sent together: the guard runs once per batch.
BATCH_SIZE = 100
# Ids re-read per poll at most; under a flood the newest wait for older ones to settle.
WINDOW_LIMIT = 10_000
# With no events, access is still re-checked now and then, so a socket whose access ended
# does not stay open forever.
IDLE_RECHECK_SECONDS = 60.0


class SettlingCursor:
    """Which event ids were handled, such that a row committing late is not skipped.

    PostgreSQL hands out ids at insert, but transactions commit in any order: an id below
    one already read can become visible later. So the tail re-reads every id above
    `settled` and remembers those it handled. An id is settled `settle_seconds` after a
    larger id was first seen: a transaction still holding a smaller, unseen id has then
    been open that long (its id was taken before the larger one, which had committed).
    """

    def __init__(self, settled: int, settle_seconds: float, seen: dict[int, float] | None = None):
        self.settled = settled
        self.settle_seconds = settle_seconds
        self.seen: dict[int, float] = seen or {}  # id above `settled` → when first read

    def take(self, visible_ids: list[int], clock: float) -> list[int]:
        """The ids among those now visible above `settled` not handled before, ascending."""
        new = sorted(i for i in visible_ids if i not in self.seen)
        for pk in new:
            self.seen[pk] = clock
        horizon = clock - self.settle_seconds
        settled = max((pk for pk, seen_at in self.seen.items() if seen_at <= horizon), default=0)
        if settled > self.settled:
            self.settled = settled
            self.seen = {pk: at for pk, at in self.seen.items() if pk > settled}
        return new


async def _ids_above(organization_id: int, settled: int, limit: int | None) -> list[int]:
    query = AuditEvent.filter(organization_id=organization_id, id__gt=settled).order_by("id")
    if limit is not None:
        query = query.limit(limit)
    return list(await query.values_list("id", flat=True))


async def _start(organization_id: int, settle_seconds: float, clock: float) -> SettlingCursor:
    """What exists at subscribe time is history, not news; transactions open then are news.

    Ids older than the settle window are settled; newer ones are recorded as seen, so a
    smaller id that commits after we subscribed still comes through.
    """
    horizon = now() - timedelta(seconds=settle_seconds)
    settled = await (
        AuditEvent.filter(organization_id=organization_id, created_at__lte=horizon)
        .order_by("-created_at", "-id")
        .first()
        .values_list("id", flat=True)
    )
    cursor = SettlingCursor(settled or 0, settle_seconds)
    cursor.take(await _ids_above(organization_id, cursor.settled, None), clock)
    return cursor


async def follow(
    guard: StreamGuard,
    poll_seconds: float,
    settle_seconds: float = SETTLE_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncIterator[AuditEvent]:
    """Yields the organization's audit events as they commit, as the subscriber may see them.

    Before every batch the guard re-checks the subscriber and gives their current role,
    whose filter selects what is sent; when access has ended it raises (Unauthenticated,
    NotFound or Forbidden) and nothing more is sent. A change that rolls back never shows.
    """
    actor = await guard.actor()
    organization_id = actor.organization_id
    cursor = await _start(organization_id, settle_seconds, clock())
    checked_at = clock()
    while True:
        visible = await _ids_above(organization_id, cursor.settled, WINDOW_LIMIT)
        new = cursor.take(visible, clock())
        if not new:
            if clock() - checked_at > IDLE_RECHECK_SECONDS:
                await guard.actor()
                checked_at = clock()
            await asyncio.sleep(poll_seconds)
            continue
        for start in range(0, len(new), BATCH_SIZE):
            actor = await guard.actor()
            checked_at = clock()
            batch = new[start : start + BATCH_SIZE]
            events = visible_events(actor).filter(id__in=batch).order_by("id")
            for event in await events.select_related("actor"):
                yield event
