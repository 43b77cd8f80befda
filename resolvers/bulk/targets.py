"""Freezing a target: its record ids written as the operation's items by one
`INSERT … SELECT` from the target's own query, never read into Python; and cutting the items
into chunks, set-based too. Item positions run 1..total in record-id order, so a chunk is a
range of positions (a keyset over the frozen ids). A target that is no table's rows (the
rows of an imported file) is `Numbered`: its records are the numbers 1..count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from tortoise.queryset import QuerySet

from models.bulk import BulkChunkState, BulkItemStatus, BulkOperation
from resolvers.common.tasks import current_unit_of_work


def _select_sql(records: QuerySet, columns: tuple[str, ...]) -> tuple[str, list]:
    query = records.values(*columns)
    query._choose_db_if_not_chosen()
    query._make_query()
    return query.query.get_parameterized_sql()


@dataclass(frozen=True)
class Numbered:
    """Records 1..count that are no table's rows (e.g. a file's data rows): record id =
    position."""

    count: int


async def freeze(
    operation: BulkOperation, records: QuerySet | Numbered, order: tuple[str, ...] = ("id",)
) -> int:
    """Writes one PENDING item per distinct record `records` selects; how many it wrote.
    Positions follow `order` (columns of the records, code constants, ending with "id")."""
    if isinstance(records, Numbered):
        return await _freeze_numbers(operation, records.count)
    columns = tuple(dict.fromkeys((*order, "id")))
    inner, params = _select_sql(records, columns)
    return await _freeze_select(operation, inner, list(params), columns, order)


async def _freeze_select(
    operation: BulkOperation, inner: str, params: list, columns: tuple, order: tuple
) -> int:
    connection = current_unit_of_work().connection
    selected = ", ".join(f"target.{c} AS {c}" for c in columns)
    ordered = ", ".join(f"t.{c}" for c in order)
    operation_id = int(operation.id)  # an int: safe to format into the statement
    await connection.execute_query(
        "INSERT INTO bulk_operation_item "
        "(operation_id, position, record_id, status, reason_code, message) "
        f"SELECT {operation_id}, ROW_NUMBER() OVER (ORDER BY {ordered}), t.id, "
        f"'{BulkItemStatus.PENDING.value}', '', '' "
        f"FROM (SELECT DISTINCT {selected} FROM ({inner}) AS target) AS t",
        params,
    )
    _, rows = await connection.execute_query(
        f"SELECT COUNT(*) AS total FROM bulk_operation_item WHERE operation_id = {operation_id}"
    )
    return int(rows[0]["total"])


async def more_than(records: QuerySet, limit: int) -> bool:
    """Whether `records` selects more than `limit` rows: one statement that stops reading
    after limit + 1 of them."""
    connection = current_unit_of_work().connection
    inner, params = _select_sql(records, ("id",))
    _, rows = await connection.execute_query(
        f"SELECT COUNT(*) AS found FROM (SELECT 1 FROM ({inner}) AS target "
        f"LIMIT {int(limit) + 1}) AS counted",
        list(params),
    )
    return int(rows[0]["found"]) > limit


def statement(records: QuerySet, order: tuple[str, ...] = ("id",)) -> dict | None:
    """The target's selection as JSON, for a job to freeze later (`freeze_stored`): the
    statement the request would have run, and its parameters, as they are now (so the
    rights and filter checked in the request are the ones frozen). None when a parameter
    is of a type JSON does not carry here: freeze at once instead."""
    columns = tuple(dict.fromkeys((*order, "id")))
    inner, params = _select_sql(records, columns)
    try:
        values = [_to_json(value) for value in params]
    except TypeError:
        return None
    return {"sql": inner, "params": values, "columns": list(columns), "order": list(order)}


async def freeze_stored(operation: BulkOperation, stored: dict) -> int:
    """`freeze` of a selection `statement` kept."""
    params = [_from_json(value) for value in stored["params"]]
    return await _freeze_select(
        operation, stored["sql"], params, tuple(stored["columns"]), tuple(stored["order"])
    )


async def freeze_stored_slice(
    operation: BulkOperation, stored: dict, after_id: int | None, limit: int
) -> tuple[int, int | None]:
    """One slice of `freeze_stored` for a selection in record-id order: the next `limit`
    distinct records after `after_id` (a keyset on the id, still one INSERT … SELECT),
    positioned after the `operation.total` items frozen before. How many it wrote and
    the last record id among them (None when none)."""
    if tuple(stored["order"]) != ("id",):
        raise ValueError("only a selection in id order is frozen in slices")
    params = [_from_json(value) for value in stored["params"]]
    connection = current_unit_of_work().connection
    operation_id, offset = int(operation.id), int(operation.total)
    after = "" if after_id is None else f"WHERE target.id > {int(after_id)} "
    # ints and constants only in the text: safe to format
    await connection.execute_query(
        "INSERT INTO bulk_operation_item "
        "(operation_id, position, record_id, status, reason_code, message) "
        f"SELECT {operation_id}, {offset} + ROW_NUMBER() OVER (ORDER BY t.id), t.id, "
        f"'{BulkItemStatus.PENDING.value}', '', '' "
        f"FROM (SELECT DISTINCT target.id AS id FROM ({stored['sql']}) AS target {after}"
        f"ORDER BY target.id LIMIT {int(limit)}) AS t",
        params,
    )
    _, rows = await connection.execute_query(
        "SELECT COUNT(*) AS written, MAX(record_id) AS last FROM bulk_operation_item "
        f"WHERE operation_id = {operation_id} AND position > {offset}"
    )
    written, last = int(rows[0]["written"]), rows[0]["last"]
    return written, None if last is None else int(last)


def _to_json(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value  # enums included: str and int ones are what the ORM passes
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, UUID):
        return {"uuid": str(value)}
    if isinstance(value, list | tuple):
        return {"list": [_to_json(v) for v in value]}
    raise TypeError(type(value).__name__)


def _from_json(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    [(kind, raw)] = value.items()
    revive = {
        "datetime": datetime.fromisoformat,
        "date": date.fromisoformat,
        "decimal": Decimal,
        "uuid": UUID,
        "list": lambda items: [_from_json(v) for v in items],
    }
    return revive[kind](raw)


async def _freeze_numbers(operation: BulkOperation, count: int) -> int:
    """Items 1..count in one statement: PostgreSQL's generate_series, SQLite's recursive
    common table expression (neither reads anything into Python)."""
    connection = current_unit_of_work().connection
    operation_id, count = int(operation.id), max(int(count), 0)
    if count == 0:
        return 0
    if connection.capabilities.dialect == "postgres":
        numbers = f"SELECT n FROM generate_series(1, {count}) AS n"
    else:
        numbers = (
            f"WITH RECURSIVE numbers(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM numbers "
            f"WHERE n < {count}) SELECT n FROM numbers"
        )
    await connection.execute_query(
        "INSERT INTO bulk_operation_item "
        "(operation_id, position, record_id, status, reason_code, message) "
        f"SELECT {operation_id}, n, n, '{BulkItemStatus.PENDING.value}', '', '' "
        f"FROM ({numbers}) AS numbered"
    )
    return count


async def cut(
    operation: BulkOperation, chunk_size: int, after_position: int = 0, after_number: int = 0
) -> int:
    """Cuts the items after position `after_position` (all of them by default) into
    chunks of `chunk_size` positions, numbered from `after_number` + 1; how many chunks."""
    connection = current_unit_of_work().connection
    operation_id, size = int(operation.id), int(chunk_size)
    offset, numbered = int(after_position), int(after_number)
    await connection.execute_query(
        "INSERT INTO bulk_operation_chunk "
        "(operation_id, number, first_position, last_position, state) "
        f"SELECT {operation_id}, (position - {offset} - 1) / {size} + {numbered + 1}, "
        f"MIN(position), MAX(position), '{BulkChunkState.PENDING.value}' "
        f"FROM bulk_operation_item WHERE operation_id = {operation_id} "
        f"AND position > {offset} GROUP BY (position - {offset} - 1) / {size}"
    )
    return -(-(operation.total - offset) // size)
