"""Rows written set-based, without a Tortoise instance each: an import chunk writes
thousands of contacts, memberships, consent records and audit events, a group message's
chunk thousands of deliveries and outbox rows. Constructing, validating and converting a
model object per row cost more than the database did.

On PostgreSQL the rows go in one binary COPY per call (the fastest way in, for the server
and for the driver), or, when their new ids are wanted back, one `INSERT … SELECT FROM
unnest(…) RETURNING id`, one array parameter per column: a statement of fixed text,
prepared once per connection, however many rows (a multi-row VALUES of thousands of
parameters is parsed and planned each time, and too long for the driver's statement
cache). Elsewhere (SQLite) multi-row INSERTs under the parameter limit, their texts built
once.

A row is a mapping of field names to values (`Row` for one built from scratch, or a new
instance's `__dict__`). Values go to the database as `bulk_create` would send them: each
column through its field's conversion where the type needs one (enums, JSON, naive
datetimes), as they are otherwise. A column a row leaves out takes the field's default
(a callable one called per row); an `auto_now`/`auto_now_add` column left None the
statement's time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from enum import Enum
from itertools import chain
from typing import Any

from tortoise import fields
from tortoise.models import Model

from resolvers.common.time import now

# Parameters per statement off PostgreSQL: SQLite (≥ 3.32) takes at most 32,766.
MAX_PARAMETERS = 30_000
_AS_IS = (
    fields.CharField,
    fields.TextField,
    fields.IntField,
    fields.BigIntField,
    fields.SmallIntField,
    fields.BooleanField,
)
_MISSING = object()


class Row(dict):
    """An unsaved row of `model` (field names to values), with the model's defaults: a
    chunk builds thousands, and a Tortoise instance costs ten times more. Its values read
    and are set as attributes too (`row.id` once inserted with `ids=True`)."""

    __slots__ = ("model",)

    def __init__(self, model: type[Model], **values: object) -> None:
        super().__init__(_table(model, False).defaults)
        for name, make in _table(model, False).callable_defaults:
            self[name] = make()
        self.update(values)
        object.__setattr__(self, "model", model)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value


def clone(template: Model, values: dict[str, Any]) -> Model:
    """A new object of the template's model with the template's values and `values` (field
    names, clean values of the field's type), without the constructor's per-field
    conversions and checks. The template holds no mutable value."""
    instance = template.__class__.__new__(template.__class__)
    state = instance.__dict__
    state.update(template.__dict__)
    state["_await_when_save"] = {}
    state["_custom_generated_pk"] = "id" in values
    state.update(values)
    return instance


async def insert(
    model: type[Model],
    rows: Sequence[MutableMapping[str, Any]],
    *,
    with_id: bool = False,
    ids: bool = False,
) -> int:
    """Inserts the rows (mappings of field names to values) of one model; returns how many.
    `with_id`: the rows carry their primary key (taken beforehand), else it is generated.
    `ids`: each row is given its generated `id` (RETURNING: rows take their ids in the
    order they are inserted, on SQLite and from a PostgreSQL sequence alike, so the sorted
    ids are the rows' in order)."""
    if not rows:
        return 0
    table = _table(model, with_id)
    moment = now()
    values = [table.column(index, rows, moment) for index in range(len(table.names))]
    db = model._meta.db
    if db.capabilities.dialect == "postgres":
        if not ids:
            async with db.acquire_connection() as connection:
                await connection.copy_records_to_table(
                    table.table, records=list(zip(*values, strict=True)), columns=table.columns
                )
            return len(rows)
        batches = [(table.unnest, values, rows)]
    else:
        width = len(table.names)
        per_statement = max(1, MAX_PARAMETERS // width)
        batches = []
        for start in range(0, len(rows), per_statement):
            part = rows[start : start + per_statement]
            by_row = zip(*(column[start : start + per_statement] for column in values), strict=True)
            params = list(chain.from_iterable(by_row))
            batches.append((_values_insert(table.head, width, len(part)), params, part))
    for sql, params, part in batches:
        if not ids:
            await db.execute_query(sql, params)
            continue
        # execute_query_dict: asyncpg's execute_query drops what an INSERT returns.
        pk = model._meta.pk_attr
        returned = await db.execute_query_dict(sql + f' RETURNING "{pk}" AS "pk"', params)
        new_ids = sorted(int(found["pk"]) for found in returned)
        for row, new_id in zip(part, new_ids, strict=True):
            row[pk] = new_id
    return len(rows)


async def insert_rows(rows: Sequence[Row], *, ids: bool = False) -> int:
    """`insert` for rows built with `Row` (one model)."""
    if not rows:
        return 0
    return await insert(rows[0].model, rows, ids=ids)


class _Table:
    """A model's columns for raw inserts, read once the models are initialized (foreign
    keys' id columns exist then): its database projection, without the primary key unless
    `with_id`."""

    def __init__(self, model: type[Model], with_id: bool):
        meta = model._meta
        projection = meta.fields_db_projection
        self.names = [n for n in projection if with_id or n != meta.pk_attr]
        self.table = meta.db_table
        self.columns = columns = [projection[n] for n in self.names]
        self.fields = [meta.fields_map[n] for n in self.names]
        self.stamped = [_automatic(f) for f in self.fields]
        self.converters = [_converter(f) for f in self.fields]
        self.defaults = {
            name: (None if stamped else field.default)
            for name, field, stamped in zip(self.names, self.fields, self.stamped, strict=True)
            if stamped or not callable(field.default)
        }
        self.callable_defaults = [
            (name, field.default)
            for name, field, stamped in zip(self.names, self.fields, self.stamped, strict=True)
            if not stamped and callable(field.default)
        ]
        self.makers = dict(self.callable_defaults)
        quoted = ", ".join(f'"{column}"' for column in columns)
        self.head = f'INSERT INTO "{meta.db_table}" ({quoted}) VALUES '
        arrays = ", ".join(
            f"${n}::{_array_type(field)}[]" for n, field in enumerate(self.fields, start=1)
        )
        self.unnest = f'INSERT INTO "{meta.db_table}" ({quoted}) SELECT * FROM unnest({arrays})'

    def column(self, index: int, rows: Sequence[Mapping[str, Any]], moment) -> list:
        """One column's database values for the rows: as they are when they need no
        conversion (ids and text, mostly), else converted; a missing one its default."""
        name = self.names[index]
        values = [row.get(name, _MISSING) for row in rows]
        if _MISSING in values:  # identity first: `in` compares values too, cheaply here
            default = self.defaults.get(name, _MISSING)
            make = self.makers.get(name)
            values = [
                (make() if make else default) if value is _MISSING else value
                for value in values
            ]
        if self.stamped[index] and None in values:
            values = [moment if value is None else value for value in values]
        convert = self.converters[index]
        if convert is None:
            return values
        plain, convert = convert
        if plain and {type(value) for value in values} <= plain:
            return values
        return [convert(value) for value in values]


@functools.cache
def _table(model: type[Model], with_id: bool) -> _Table:
    return _Table(model, with_id)


def _automatic(field: fields.Field) -> bool:
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def _converter(field: fields.Field) -> tuple[frozenset, Callable[[Any], Any]] | None:
    """None when the column's values go as they are; else the types that need no
    conversion (the column is left alone when all its values are of them) and the
    conversion, its common cases (an enum member, a dict or list for JSON, an aware
    datetime) done directly."""
    if type(field) in _AS_IS:
        return None
    slow = field.to_db_value
    if isinstance(field, fields.data.CharEnumFieldInstance):
        return frozenset({str, type(None)}), (
            lambda v: str(v.value) if isinstance(v, Enum) else slow(v, None)
        )
    if isinstance(field, fields.JSONField):
        encode = field.encoder
        return frozenset({type(None)}), (
            lambda v: encode(v) if type(v) in (dict, list) else slow(v, None)
        )
    if type(field) is fields.DatetimeField:
        return frozenset({type(None)}), (
            lambda v: v if v is None or v.tzinfo is not None else slow(v, None)
        )
    return frozenset({type(None)}), (lambda v: None if v is None else slow(v, None))


def _array_type(field: fields.Field) -> str:
    sql_type = str(field.get_for_dialect("postgres", "SQL_TYPE")).upper()
    if sql_type.startswith(("VARCHAR", "TEXT", "CHAR")):
        return "text"
    if sql_type in ("INT", "INTEGER", "SMALLINT", "BIGINT", "SERIAL", "BIGSERIAL"):
        return "bigint"
    return sql_type.lower()


@functools.lru_cache(maxsize=256)
def _values_insert(head: str, width: int, count: int) -> str:
    """The multi-row INSERT of `count` rows: the same few texts every chunk, built once."""
    one = "(" + ", ".join("?" * width) + ")"
    return head + ", ".join([one] * count)
