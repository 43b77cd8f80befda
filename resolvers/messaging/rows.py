"""Rows written set-based, without a Tortoise instance each: a group message's chunk
builds thousands (its deliveries and outbox rows) and writes them in one statement per
table on PostgreSQL (`INSERT … SELECT FROM unnest(…)`, one array parameter per column), in
multi-row INSERTs elsewhere.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import Enum

from tortoise.models import Model

from resolvers.common.tasks import current_unit_of_work
from resolvers.common.time import now

# Rows per INSERT off PostgreSQL: well under SQLite's parameter limit (32,766) for the
# widest row written here (a delivery, 21 columns).
_ROWS_PER_STATEMENT = 1000


class Row:
    """An unsaved row of `model`, its columns as attributes by field name, with the model's
    defaults: a chunk builds thousands, and a Tortoise instance costs ten times more."""

    def __init__(self, model: type[Model], **values: object) -> None:
        self.__dict__.update(_defaults(model))
        for name, make in _callable_defaults(model).items():
            self.__dict__[name] = make()
        self.__dict__.update(values)
        self.__dict__["_model"] = model


@functools.cache
def _columns(model: type[Model]) -> tuple[tuple[str, str], ...]:
    """(field name, column) of what an INSERT writes: every column but the generated id."""
    meta = model._meta
    return tuple(
        (name, column) for name, column in meta.fields_db_projection.items() if name != meta.pk_attr
    )


@functools.cache
def _defaults(model: type[Model]) -> dict[str, object]:
    fields_map = model._meta.fields_map
    found: dict[str, object] = {}
    for name, _ in _columns(model):
        field = fields_map[name]
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            found[name] = None  # the INSERT's moment
        elif not callable(field.default):
            found[name] = field.default
    return found


@functools.cache
def _callable_defaults(model: type[Model]) -> dict[str, Callable[[], object]]:
    fields_map = model._meta.fields_map
    return {
        name: fields_map[name].default
        for name, _ in _columns(model)
        if callable(fields_map[name].default)
    }


def _db_value(value: object, stamped: bool, moment: datetime) -> object:
    if value is None:
        return moment if stamped else None
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


async def insert_rows(rows: Sequence[Row], *, ids: bool = False) -> None:
    """Inserts rows of one model set-based: on PostgreSQL one `INSERT … SELECT FROM
    unnest(one array per column)` (a statement of fixed text, prepared once per worker,
    with one parameter per column however many rows); elsewhere multi-row INSERTs (one per
    thousand rows). With `ids`, each row gets its new `id` (RETURNING id: rows take their
    ids in the order they are inserted, on SQLite and from a PostgreSQL sequence alike, so
    the sorted ids are the rows' in order)."""
    if not rows:
        return
    model = rows[0]._model
    meta = model._meta
    columns = _columns(model)
    stamped = _stamped(model)
    connection = current_unit_of_work().connection
    postgres = connection.capabilities.dialect == "postgres"
    moment = now()
    batches = [rows] if postgres else [
        rows[start : start + _ROWS_PER_STATEMENT]
        for start in range(0, len(rows), _ROWS_PER_STATEMENT)
    ]
    for batch in batches:
        values = [_column(batch, name, name in stamped, moment) for name, _ in columns]
        if postgres:
            sql, params = _unnest_insert(model), values
        else:
            sql, params = _values_insert(model, len(batch)), _by_row(values)
        if not ids:
            await connection.execute_query(sql, params)
            continue
        # execute_query_dict: asyncpg's execute_query drops what an INSERT returns.
        returned = await connection.execute_query_dict(
            sql + f' RETURNING "{meta.pk_attr}" AS "pk"', params
        )
        new_ids = sorted(int(found["pk"]) for found in returned)
        for row, pk in zip(batch, new_ids, strict=True):
            row.__dict__["id"] = pk


_AS_IS = frozenset({int, str, float, bool, datetime})


def _column(batch: Sequence[Row], name: str, stamped: bool, moment: datetime) -> list:
    """One column's values for the database; as they are when they need no conversion
    (the common case: ids, text)."""
    column = [row.__dict__[name] for row in batch]
    if {type(value) for value in column} <= _AS_IS:
        return column
    return [_db_value(value, stamped, moment) for value in column]


def _by_row(values: list[list]) -> list:
    return [value for row in zip(*values, strict=True) for value in row]


@functools.cache
def _stamped(model: type[Model]) -> frozenset[str]:
    """Columns set to the INSERT's moment when left None (auto_now, auto_now_add)."""
    fields_map = model._meta.fields_map
    return frozenset(
        name
        for name, _ in _columns(model)
        if getattr(fields_map[name], "auto_now", False)
        or getattr(fields_map[name], "auto_now_add", False)
    )


def _names(model: type[Model]) -> str:
    return ", ".join(f'"{column}"' for _, column in _columns(model))


@functools.cache
def _unnest_insert(model: type[Model]) -> str:
    fields_map = model._meta.fields_map
    arrays = ", ".join(
        f"${n}::{_array_type(fields_map[name])}[]"
        for n, (name, _) in enumerate(_columns(model), start=1)
    )
    return f'INSERT INTO "{model._meta.db_table}" ({_names(model)}) SELECT * FROM unnest({arrays})'


def _array_type(field) -> str:
    sql_type = str(field.get_for_dialect("postgres", "SQL_TYPE")).upper()
    if sql_type.startswith(("VARCHAR", "TEXT", "CHAR")):
        return "text"
    if sql_type in ("INT", "INTEGER", "SMALLINT", "BIGINT"):
        return "bigint"
    return sql_type.lower()


@functools.cache
def _values_insert(model: type[Model], count: int) -> str:
    row = "(" + ", ".join("?" * len(_columns(model))) + ")"
    return (
        f'INSERT INTO "{model._meta.db_table}" ({_names(model)}) '
        f"VALUES {', '.join([row] * count)}"
    )
