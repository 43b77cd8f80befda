"""Narrow locks: one per invariant and organization, held until the unit of work ends.

Locking the organization's row for an invariant would make every unrelated write there
wait too (on PostgreSQL even an insert that merely references the organization waits on
a row locked FOR UPDATE), so bulk jobs, numbering and refunds would queue behind staff
changes. Each invariant takes the lock of its `Purpose` instead, with no table of its
own: a transaction-scoped advisory lock on PostgreSQL.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TypeVar

from resolvers.common.actor import Actor
from resolvers.common.errors import FieldPath, NotFound
from resolvers.common.tasks import current_unit_of_work

Record = TypeVar("Record")


class Purpose(IntEnum):
    """What a lock protects; the values are the locks' first key, so never reuse one."""

    STAFF = 1  # memberships and invitations: an active owner always remains
    CONTACT_MATCHING = 2  # `record_interaction` finds or adds a person once
    CONTACT_EXPORTS = 3  # at most `MAX_EXPORTS_IN_PROGRESS` exports under way


async def advisory_lock(organization_id: int, purpose: Purpose) -> None:
    """Waits for, then holds until the unit of work ends, `purpose`'s lock in the
    organization. Several are taken in the order of `Purpose`, so two units of work
    never wait for each other's."""
    connection = current_unit_of_work().connection
    if connection.capabilities.dialect != "postgres":
        # SQLite: Tortoise runs one transaction at a time on its single connection, so
        # every unit of work already holds every lock.
        return
    # Two int4 keys: the purpose, and the organization id folded into 32 bits (ids 2**32
    # apart would share a lock: more waiting, never less exclusion). Both are ints, so
    # formatting them into the statement is safe.
    key = (organization_id & 0xFFFFFFFF) - ((organization_id & 0x80000000) << 1)
    await connection.execute_query(f"SELECT pg_advisory_xact_lock({int(purpose)}, {int(key)})")


async def locked_row(model: type[Record], actor: Actor, pk: int | None, field: FieldPath) -> Record:
    """The actor's organization's `model` row `pk`, locked for the current transaction;
    NOT_FOUND on `field` when it is missing or another organization's."""
    row = None
    if pk is not None:
        row = (
            await model.filter(id=pk, organization_id=actor.organization_id)
            .select_for_update()
            .first()
        )
    if row is None:
        raise NotFound(field)
    return row
