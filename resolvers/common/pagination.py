"""Keyset (cursor) pagination over a queryset: never OFFSET, stable under inserts.

A cursor is the base64 JSON of the sort-key values of the row it points at; the order
always ends with the primary key, so keys are unique and pages never overlap.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any

from pypika_tortoise.terms import Tuple, ValueWrapper
from tortoise.expressions import Q, RawSQL
from tortoise.fields import (
    BigIntField,
    CharField,
    DatetimeField,
    Field,
    IntField,
    SmallIntField,
    TextField,
)
from tortoise.queryset import QuerySet

from carnet.i18n import N_
from resolvers.common.errors import BadUserInput
from resolvers.common.sql import Where

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


@dataclass
class Page:
    items: list[Any]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool
    count: Callable[[], Awaitable[int]]


# One encoder for every cursor: `json.dumps` with options builds a new one per call, and a
# page encodes a cursor per row.
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))


def _encode(values: list[Any]) -> str:
    plain = [{"dt": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(_COMPACT_JSON.encode(plain).encode()).decode()


# What some list's cursor could hold before we know which list: any int8, any datetime.
_ANY_INT = (-(2**63), 2**63 - 1)


def _value(raw: Any, field: Field | None = None) -> Any:
    """A cursor value checked against its sort field, so it can only reach SQL as that type,
    within its column's range (int4 is narrower than int8 on PostgreSQL) and as text the
    column could hold (no NUL, no lone surrogate, not longer than the column). Without a
    field, the value is checked against what any sort field could hold."""
    if isinstance(field, DatetimeField) or (field is None and isinstance(raw, dict)):
        if not isinstance(raw, dict) or not isinstance(raw.get("dt"), str):
            raise ValueError(raw)
        return datetime.fromisoformat(raw["dt"])
    if isinstance(field, IntField | BigIntField | SmallIntField) or (
        field is None and isinstance(raw, int)
    ):
        low, high = (field.constraints["ge"], field.constraints["le"]) if field else _ANY_INT
        if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
            raise ValueError(raw)
        return raw
    if not isinstance(raw, str) or len(raw) > getattr(field, "max_length", len(raw)):
        raise ValueError(raw)
    raw.encode("utf-8")  # a lone surrogate raises UnicodeEncodeError, a ValueError
    if "\x00" in raw:  # no PostgreSQL text holds NUL
        raise ValueError(raw)
    return raw


_MALFORMED = (ValueError, TypeError, KeyError, binascii.Error, UnicodeError, RecursionError)


def _key_values(cursor: str) -> list[Any]:
    """The sort-key values a cursor holds, each one a value some sort field could hold."""
    values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    if not isinstance(values, list) or not values:
        raise ValueError(cursor)
    for raw in values:
        _value(raw)
    return values


def _decode(cursor: str, fields: list[Field]) -> list[Any]:
    try:
        values = _key_values(cursor)
        if len(values) != len(fields):
            raise ValueError(cursor)
        return [_value(raw, field) for raw, field in zip(values, fields, strict=True)]
    except _MALFORMED:
        raise BadUserInput(N_("Malformed cursor.")) from None


def check_cursor(cursor: str | None) -> None:
    """Refuses what no list could have given as a cursor, before knowing which list it is
    for (the schema checks every connection's arguments before anything runs); `_decode`
    then checks it against the list's own sort keys. A cursor may start with a segment
    letter and a dot (`A.…`, see contacts.search), which base64 never holds."""
    if not cursor:
        return
    segment, _, values = cursor.rpartition(".")
    try:
        if len(segment) > 1:
            raise ValueError(segment)
        _key_values(values)
    except _MALFORMED:
        raise BadUserInput(N_("Malformed cursor.")) from None


def after_condition(model, keys: list[tuple[str, bool]], values: list[Any]) -> Q:
    """Rows strictly after `values` in the order `keys` ((field, descending) pairs).

    Keys of the model's own columns, all in one direction, compare as one row value,
    `(sort_name, id) > ($1, $2)`, from which an index on those columns starts its scan;
    the equivalent OR of conditions would be a filter over every row before the cursor."""
    directions = {descending for _, descending in keys}
    if len(directions) == 1 and not any("__" in name for name, _ in keys):
        fields = [model._meta.fields_map[name] for name, _ in keys]
        columns = [model._meta.fields_db_projection[name] for name, _ in keys]
        params = [field.to_db_value(v, model) for field, v in zip(fields, values, strict=True)]
        operator = "<" if directions == {True} else ">"

        def build(table, dialect: str):
            left = Tuple(*(table[column] for column in columns))
            right = Tuple(*(ValueWrapper(param) for param in params))
            return left < right if operator == "<" else left > right

        return Where(build)
    clauses = []
    for i, (name, descending) in enumerate(keys):
        equal = {k: v for (k, _), v in zip(keys[:i], values[:i], strict=True)}
        beyond = {f"{name}__{'lt' if descending else 'gt'}": values[i]}
        clauses.append(Q(**equal, **beyond))
    return Q(*clauses, join_type="OR")


def _field(model, path: str) -> Field:
    """The field a sort key names, following `related__field` paths."""
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.fields_map[relation].related_model
    return model._meta.fields_map[name]


def check_page_size(first: int | None, last: int | None) -> None:
    if first is not None and last is not None:
        raise BadUserInput(N_("Pass either first or last, not both."))
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 1 <= value <= MAX_PAGE_SIZE:
            raise BadUserInput(
                N_("{name} must be between 1 and {max}."), name=name, max=MAX_PAGE_SIZE
            )


async def paginate(
    queryset: QuerySet,
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    order: Sequence[str] = ("-id",),
    index_order: bool = True,
) -> Page:
    """A page in `order`. `index_order=False` keeps the database from reading an index in
    that order hoping to meet matches early (a name search sorted by name, at a million
    contacts, would walk most of the name index when the matches sort late): the rows are
    found first by the other conditions' indexes, then sorted."""
    check_page_size(first, last)
    keys = [(o.lstrip("-"), o.startswith("-")) for o in order]
    if keys[-1][0] != "id":
        keys.append(("id", keys[-1][1]))
    fields = [_field(queryset.model, name) for name, _ in keys]
    backward = last is not None
    size = last if backward else (first or DEFAULT_PAGE_SIZE)
    page_qs = queryset
    if after:
        page_qs = page_qs.filter(after_condition(queryset.model, keys, _decode(after, fields)))
    if before:
        reversed_keys = [(name, not desc) for name, desc in keys]
        page_qs = page_qs.filter(
            after_condition(queryset.model, reversed_keys, _decode(before, fields))
        )
    scan_keys = [(name, desc != backward) for name, desc in keys]
    if not index_order and isinstance(fields[0], CharField | TextField):
        # The same order, by an expression no index holds: `sort_name || ''`.
        model = queryset.model
        column = model._meta.fields_db_projection[keys[0][0]]
        page_qs = page_qs.annotate(
            unindexed_order=RawSQL(f'"{model._meta.db_table}"."{column}" || \'\'')
        )
        scan_keys[0] = ("unindexed_order", scan_keys[0][1])
    page_qs = page_qs.order_by(*[f"-{n}" if d else n for n, d in scan_keys]).limit(size + 1)
    rows = list(await page_qs)
    has_more = len(rows) > size
    rows = rows[:size]
    if backward:
        rows.reverse()
    # `related__field` reads as row.related.field; the getters are made once per page.
    getters = [attrgetter(name.replace("__", ".")) for name, _ in keys]
    cursors = [_encode([get(r) for get in getters]) for r in rows]

    async def count() -> int:
        return await queryset.count()

    return Page(
        items=rows,
        cursors=cursors,
        has_next_page=has_more if not backward else bool(before),
        has_previous_page=has_more if backward else bool(after),
        count=count,
    )
