"""Conditions Tortoise's lookups cannot spell, as `Q` objects that filter like any other."""

from __future__ import annotations

from pypika_tortoise.terms import Criterion, Term
from tortoise.expressions import Q, ResolveContext
from tortoise.query_utils import QueryModifier


class Where(Q):
    """A condition built as a pypika criterion by `build(table, dialect)` when the query is
    made (not negatable with `~`; use `exclude`)."""

    def __init__(self, build) -> None:
        super().__init__()
        self._build = build

    def resolve(self, resolve_context: ResolveContext) -> QueryModifier:
        dialect = resolve_context.model._meta.db.capabilities.dialect
        return QueryModifier(where_criterion=self._build(resolve_context.table, dialect))


class Sql(Criterion):
    """Raw SQL with `{}` slots for terms (columns, parameters), filled in order, so that
    SQLite's positional `?` parameters come out in the order they appear."""

    def __init__(self, template: str, *terms: Term) -> None:
        super().__init__()
        self.template = template
        self.terms = terms

    def get_sql(self, ctx) -> str:
        return self.template.format(*(term.get_sql(ctx) for term in self.terms))
