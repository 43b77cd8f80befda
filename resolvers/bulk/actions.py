"""The registry of batch actions: what each kind of operation does to a chunk's records.

    register(BulkOperationKind.CONTACT_COLOUR_SET, Action(
        record_type="contact", permission=Permission.CONTACTS_WRITE, apply=set_colour,
        undoable=True))

`apply(context, record_ids)` runs inside the chunk's transaction, on the records still
PENDING in it (ids of `record_type`, frozen when the operation started; some may have been
deleted since). It changes them set-based where it can and returns one `RecordResult` per
record it handled; a record it returns nothing for is SKIPPED as NOT_FOUND. `before` and
`after` are the values it changed (JSON), kept for undo. Domains register their actions
from their own resolvers modules (e.g. resolvers.colours.bulk); jobs.bulk imports them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from models.bulk import BulkItemStatus, BulkOperation
from models.organizations import Organization
from resolvers.common.permissions import Permission


@dataclass(frozen=True)
class RecordResult:
    record_id: int
    status: BulkItemStatus
    reason_code: str = ""
    message: str = ""  # an English msgid (carnet.i18n.N_), translated when read
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


async def _no_wait() -> None:
    return None


@dataclass(frozen=True)
class ChunkContext:
    operation: BulkOperation
    organization: Organization
    started_by_id: int | None  # the user who started it (None if their login is gone)
    params: dict[str, Any]
    connection: BaseDBAsyncClient  # the chunk's transaction
    moment: datetime  # "now" for the whole chunk
    chunk_number: int = 0  # 1.. : which chunk of the operation this is
    # An in-order action's chunk waits here for the chunk before it to commit (see
    # `Action.in_order`); for other actions, and when already taken, it returns at once.
    turn: Callable[[], Awaitable[None]] = field(default=_no_wait)
    alongside: bool = False  # whether the chunk before it may not have committed yet


Apply = Callable[[ChunkContext, Sequence[int]], Awaitable[list[RecordResult]]]
# Called in the last chunk's transaction once the operation has ended (its state set).
Finish = Callable[[BulkOperation], Awaitable[None]]


@dataclass(frozen=True)
class Action:
    record_type: str
    permission: Permission  # besides bulk.run, what starting it requires
    apply: Apply
    undoable: bool = False
    finish: Finish | None = None
    # Chunks committed one after another, in position order, for actions whose records
    # depend on the ones before (an import's rows matching contacts its earlier rows
    # created). A chunk given up fails the chunks after it. On PostgreSQL two chunks run at
    # once: the second does what cannot conflict with the first (reads, new rows of its
    # own), then `await context.turn()` waits for the first to commit before it reads
    # again what it depends on and writes what they share (`turns.Turn`); SQLite, one
    # writer at a time, runs one after the other.
    in_order: bool = False
    # At most this many records per chunk, whatever `bulk_chunk_size` says: for actions
    # whose records each cost a provider call (a delivery, a refund), so that a chunk stays
    # well inside a job's timeout. None: the setting's size (set-based actions).
    max_chunk_size: int | None = None


_ACTIONS: dict[str, Action] = {}


def register(kind: str, action: Action) -> None:
    if kind in _ACTIONS and _ACTIONS[kind] is not action:
        raise ValueError(f"two actions for {kind}")
    _ACTIONS[kind] = action


def action_for(kind: str) -> Action:
    try:
        return _ACTIONS[kind]
    except KeyError:
        raise LookupError(f"no bulk action registered for {kind}") from None


def registered(kind: str) -> bool:
    return kind in _ACTIONS
