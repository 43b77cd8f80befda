"""Conditions Tortoise's lookups cannot spell, as `Q` objects that filter like any other."""

from __future__ import annotations

from collections.abc import Iterable

from pypika_tortoise.terms import Criterion, Term
from tortoise.expressions import Q, ResolveContext
from tortoise.query_utils import QueryModifier


class Where(Q):
    """A condition built as a pypika criterion by `build(table, dialect)` when the query is
    made. `~` and `exclude` negate it (Q's own negation would copy its children and
    filters, of which it has none, and drop the condition)."""

    def __init__(self, build, negated: bool = False) -> None:
        super().__init__()
        self._build, self._negated = build, negated

    def __invert__(self) -> Where:
        return Where(self._build, not self._negated)

    def resolve(self, resolve_context: ResolveContext) -> QueryModifier:
        dialect = resolve_context.model._meta.db.capabilities.dialect
        criterion = self._build(resolve_context.table, dialect)
        return QueryModifier(where_criterion=NotSql(criterion) if self._negated else criterion)


class Sql(Criterion):
    """Raw SQL with `{}` slots for terms (columns, parameters), filled in order, so that
    SQLite's positional `?` parameters come out in the order they appear."""

    def __init__(self, template: str, *terms: Term) -> None:
        super().__init__()
        self.template = template
        self.terms = terms

    def get_sql(self, ctx) -> str:
        return self.template.format(*(term.get_sql(ctx) for term in self.terms))


class NotSql(Criterion):
    def __init__(self, criterion: Criterion) -> None:
        super().__init__()
        self.criterion = criterion

    def get_sql(self, ctx) -> str:
        return f"NOT ({self.criterion.get_sql(ctx)})"


class _Parameters(Term):
    """Many values as parameters, without a pypika term per value: one array parameter
    (PostgreSQL) or `?, ?, …` (SQLite)."""

    def __init__(self, values: list, as_array: bool) -> None:
        super().__init__()
        self.values, self.as_array = values, as_array

    def get_sql(self, ctx) -> str:
        make = ctx.parameterizer.create_param
        if self.as_array:
            return make(self.values).get_sql(ctx)
        return ", ".join([make(value).get_sql(ctx) for value in self.values])


def one_of(column: str, values: Iterable) -> Where:
    """`column IN (values)` for long lists of plain values (ids, text) that need no
    conversion: on PostgreSQL `column = ANY($n)` with one array parameter, elsewhere
    `IN (?, …)`. Tortoise's `__in` builds and renders a term per value (a few µs each),
    which an import chunk of 500 rows paid in several queries. Negate it with `exclude`."""
    values = list(values)

    def build(table, dialect: str) -> Criterion:
        if not values:
            return Sql("1 = 0")
        if dialect == "postgres":
            return Sql("{} = ANY({})", table[column], _Parameters(values, True))
        return Sql("{} IN ({})", table[column], _Parameters(values, False))

    return Where(build)
