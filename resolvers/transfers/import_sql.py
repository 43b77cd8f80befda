"""Rows written as raw values: one parameterized multi-row INSERT per table (in batches
under the drivers' parameter limits), on PostgreSQL and SQLite alike, without building a
model object per row. An import chunk writes thousands of rows; constructing, validating
and converting a Tortoise object for each of them cost more than the database did.

Values go to the database as `bulk_create` would send them: each column through its
field's `to_db_value` where the type needs converting (dates, JSON, enums), as they are
otherwise (text, numbers, booleans, ids: already clean). Columns a row leaves out take
the field's default; `auto_now_add` columns the statement's time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import Any

from tortoise import fields
from tortoise.models import Model

from resolvers.common.time import now

# Parameters per statement: asyncpg takes at most 32,767, SQLite (≥ 3.32) 32,766.
MAX_PARAMETERS = 30_000
_AS_IS = (
    fields.CharField,
    fields.TextField,
    fields.IntField,
    fields.BigIntField,
    fields.SmallIntField,
    fields.BooleanField,
)
_NO_DEFAULT = object()


def _converter(field: fields.Field) -> Callable[[Any], Any] | None:
    """None when the value goes as it is; else the field's conversion, its common cases
    (an enum member, a dict or list for JSON, an aware datetime) done directly."""
    if type(field) in _AS_IS:
        return None
    slow = field.to_db_value
    if isinstance(field, fields.data.CharEnumFieldInstance):
        return lambda v: str(v.value) if isinstance(v, Enum) else slow(v, None)
    if isinstance(field, fields.JSONField):
        encode = field.encoder
        return lambda v: encode(v) if type(v) in (dict, list) else slow(v, None)
    if type(field) is fields.DatetimeField:
        return lambda v: v if v is None or v.tzinfo is not None else slow(v, None)
    return lambda v: None if v is None else slow(v, None)


def _automatic(field: fields.Field) -> bool:
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def _default(field: fields.Field, at) -> Any:
    if _automatic(field):
        return at
    default = field.default
    if default is None:
        return None
    return default() if callable(default) else default


class Table:
    """A model's columns for raw inserts: its database projection, without the primary
    key unless `with_id`."""

    def __init__(self, model: type[Model], with_id: bool = False):
        self.model, self.with_id = model, with_id
        self._ready = False

    def _prepare(self) -> None:
        """Read once the models are initialized (foreign keys' id columns exist then)."""
        if self._ready:
            return
        meta = self.model._meta
        projection = meta.fields_db_projection
        self._names = [n for n in projection if self.with_id or n != meta.pk_attr]
        self.columns = [projection[n] for n in self._names]
        self.fields = [meta.fields_map[n] for n in self._names]
        self.converters = [_converter(f) for f in self.fields]
        self.automatic = [_automatic(f) for f in self.fields]
        self._ready = True

    @property
    def names(self) -> list[str]:
        self._prepare()
        return self._names

    def tuples(self, rows: Iterable[dict[str, Any]]) -> list[tuple]:
        """Each row's values in column order, converted; a missing one takes its default
        (a callable default is called per row, as a new object would)."""
        self._prepare()
        at = now()
        constant: list[Any] = []
        for field in self.fields:
            default = field.default
            constant.append(_NO_DEFAULT if callable(default) else _default(field, at))
        plan = list(
            zip(self._names, self.fields, self.converters, constant, self.automatic, strict=True)
        )
        # A row holding every column (a new contact's __dict__, mostly) is read in one
        # call, and only the columns needing a conversion or the time are visited.
        whole = itemgetter(*self._names)
        touched = [
            (index, convert, automatic)
            for index, (_, _, convert, _, automatic) in enumerate(plan)
            if convert is not None or automatic
        ]
        rows = list(rows)
        # Rows that leave columns out (most of the other tables') take the loop below.
        complete = bool(rows) and all(name in rows[0] for name in self._names)
        out = []
        add_row = out.append
        for row in rows:
            values = None
            if complete:
                try:
                    values = list(whole(row)) if len(plan) > 1 else [whole(row)]
                except KeyError:
                    values = None
            if values is not None:
                for index, convert, automatic in touched:
                    value = values[index]
                    if value is None and automatic:
                        value = at
                    values[index] = value if convert is None else convert(value)
                add_row(tuple(values))
                continue
            values = []
            add = values.append
            get = row.get
            for name, field, convert, fallback, automatic in plan:
                # A missing value takes its constant default (its automatic time included),
                # or the callable default's value for this row.
                value = get(name, fallback)
                if value is _NO_DEFAULT:
                    value = _default(field, at)
                elif value is None and automatic:
                    value = at
                add(value if convert is None else convert(value))
            add_row(tuple(values))
        return out

    async def insert(self, rows: Iterable[dict[str, Any]]) -> int:
        self._prepare()
        return await insert_tuples(self.model, self.columns, self.tuples(rows))


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


async def insert_tuples(model: type[Model], columns: Sequence[str], values: list[tuple]) -> int:
    """Inserts the tuples (in `columns` order, already database values) with multi-row
    INSERT statements; returns how many rows."""
    if not values:
        return 0
    db = model._meta.db
    postgres = db.capabilities.dialect == "postgres"
    width = len(columns)
    per_statement = max(1, MAX_PARAMETERS // width)
    names = ", ".join(f'"{column}"' for column in columns)
    head = f'INSERT INTO "{model._meta.db_table}" ({names}) VALUES '
    for start in range(0, len(values), per_statement):
        batch = values[start : start + per_statement]
        params = list(chain.from_iterable(batch))
        await db.execute_query(_statement(head, postgres, width, len(batch)), params)
    return len(values)


@lru_cache(maxsize=256)
def _statement(head: str, postgres: bool, width: int, rows: int) -> str:
    """The INSERT of `rows` rows of `width` parameters: the same few texts every chunk,
    built once (building them was a tenth of an import's CPU), and the same string objects
    (a text of hundreds of kilobytes is hashed once, for the driver's statement cache)."""
    return head + _slots(postgres, width, rows)


def _slots(postgres: bool, width: int, rows: int) -> str:
    if postgres:
        return ", ".join(
            "(" + ", ".join(f"${i * width + j + 1}" for j in range(width)) + ")"
            for i in range(rows)
        )
    one = "(" + ", ".join("?" * width) + ")"
    return ", ".join([one] * rows)
