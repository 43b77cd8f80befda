"""Filtering contacts on their custom-field answers: each condition is a subquery on the
answers table, checked against its question's type first.

The JSON of an answer is read with `json_extract` on SQLite and `jsonb_extract_path_text`
on PostgreSQL (`_value_sql`); the rest of the contacts list is resolvers/contacts/search.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pypika_tortoise.terms import Criterion, Term, ValueWrapper
from tortoise.expressions import Q, Subquery
from tortoise.filters import Like, escape_like
from tortoise.queryset import QuerySet

from carnet.i18n import N_
from models.custom_fields import CustomField, CustomFieldAnswer, CustomFieldType
from resolvers.common.actor import Actor
from resolvers.common.errors import BadUserInput, NotFound
from resolvers.common.sql import Sql, Where
from resolvers.contacts.records import fold
from resolvers.custom_fields.answers import AnswerRefused, clean_value


@dataclass
class CustomFieldCondition:
    """Conditions on one custom field's answer, all of which must hold. `has_equals` tells
    `equals: null` (no answer) from no `equals` at all."""

    field_id: int | None  # None: an id that is not a CustomField's
    has_equals: bool = False
    equals: Any = None
    in_: list[Any] | None = None
    contains: str | None = None
    is_set: bool | None = None
    min: Any = None
    max: Any = None


# Which conditions fit which question type ("is_set" stands for isSet and `equals: null`).
_OPERATORS = {
    CustomFieldType.TEXT: {"contains", "is_set"},
    CustomFieldType.NUMBER: {"equals", "in", "min", "max", "is_set"},
    CustomFieldType.DATE: {"equals", "in", "min", "max", "is_set"},
    CustomFieldType.BOOLEAN: {"equals", "in", "is_set"},
    CustomFieldType.SINGLE_CHOICE: {"equals", "in", "is_set"},
    CustomFieldType.MULTIPLE_CHOICE: {"in", "is_set"},
}
MAX_CUSTOM_FIELD_CONDITIONS = 20
MAX_IN_VALUES = 100


def _value_sql(dialect: str, column: Term, cast: str | None = None) -> Sql:
    """The answer's value (content = {"value": v}) as SQL: text on PostgreSQL (or `cast`),
    the JSON's own type on SQLite (numbers stay numbers, booleans are 1 and 0)."""
    if dialect == "postgres":
        text = "jsonb_extract_path_text({}, 'value')"
        return Sql(f"CAST({text} AS {cast})" if cast else text, column)
    return Sql("json_extract({}, '$.value')", column)


def _sql_param(field: CustomField, value: Any, dialect: str) -> Any:
    """A cleaned value as the parameter compared with `_value_sql`."""
    if field.type is CustomFieldType.BOOLEAN:
        if dialect == "postgres":
            return "true" if value else "false"
        return 1 if value else 0
    return value


def _clean(field: CustomField, value: Any) -> Any:
    try:
        if field.type is CustomFieldType.MULTIPLE_CHOICE:
            cleaned = clean_value(field, [value])
            cleaned = cleaned[0] if cleaned else None
        else:
            cleaned = clean_value(field, value)
    except AnswerRefused as refused:
        raise BadUserInput(refused.message, **refused.params) from None
    if cleaned is None:
        raise BadUserInput(N_("Give a value to compare the answers with."))
    return cleaned


def _used_operators(condition: CustomFieldCondition) -> set[str]:
    used = set()
    if condition.has_equals:
        used.add("equals" if condition.equals is not None else "is_set")
    if condition.in_ is not None:
        used.add("in")
    if condition.contains is not None:
        used.add("contains")
    if condition.is_set is not None:
        used.add("is_set")
    if condition.min is not None:
        used.add("min")
    if condition.max is not None:
        used.add("max")
    return used


def _answer_conditions(field: CustomField, condition: CustomFieldCondition) -> list[Q]:
    """What one answer row must satisfy; an empty list when only its existence counts."""
    conditions: list[Q] = []
    numeric = field.type is CustomFieldType.NUMBER
    if condition.has_equals and condition.equals is not None:
        value = _clean(field, condition.equals)

        def equal(table, dialect, value=value):
            column = _value_sql(dialect, table["content"], "NUMERIC" if numeric else None)
            return Sql("{} = {}", column, ValueWrapper(_sql_param(field, value, dialect)))

        conditions.append(Where(equal))
    if condition.in_ is not None:
        if len(condition.in_) > MAX_IN_VALUES:
            raise BadUserInput(N_("Give at most {max} values."), max=MAX_IN_VALUES)
        values = list(dict.fromkeys(_clean(field, v) for v in condition.in_))
        conditions.append(Where(lambda table, dialect: _any_of(field, values, table, dialect)))
    if condition.contains is not None:
        text = fold(condition.contains)
        if text:
            pattern = f"%{escape_like(text)}%"

            def contains(table, dialect):
                return Like(table["search_text"], ValueWrapper(pattern))

            conditions.append(Where(contains))
    for bound, comparison in ((condition.min, ">="), (condition.max, "<=")):
        if bound is not None:
            value = _clean(field, bound)

            def compare(table, dialect, value=value, comparison=comparison):
                column = _value_sql(dialect, table["content"], "NUMERIC" if numeric else None)
                return Sql(f"{{}} {comparison} {{}}", column, ValueWrapper(value))

            conditions.append(Where(compare))
    return conditions


def _any_of(field: CustomField, values: list[Any], table, dialect: str) -> Criterion:
    if not values:
        return Sql("1 = 0")
    params = [ValueWrapper(_sql_param(field, v, dialect)) for v in values]
    slots = ", ".join("{}" for _ in params)
    column = table["content"]
    if field.type is CustomFieldType.MULTIPLE_CHOICE:
        if dialect == "postgres":
            return Sql(
                f"jsonb_exists_any(jsonb_extract_path({{}}, 'value'), ARRAY[{slots}]::text[])",
                column,
                *params,
            )
        return Sql(
            "EXISTS (SELECT 1 FROM json_each({}, '$.value') AS picked "
            f"WHERE picked.value IN ({slots}))",
            column,
            *params,
        )
    numeric = field.type is CustomFieldType.NUMBER
    value = _value_sql(dialect, column, "NUMERIC" if numeric else None)
    return Sql(f"{{}} IN ({slots})", value, *params)


async def by_custom_fields(
    actor: Actor, qs: QuerySet, conditions: list[CustomFieldCondition]
) -> QuerySet:
    if len(conditions) > MAX_CUSTOM_FIELD_CONDITIONS:
        raise BadUserInput(
            N_("Filter on at most {max} custom fields."), max=MAX_CUSTOM_FIELD_CONDITIONS
        )
    wanted = {c.field_id for c in conditions if c.field_id is not None}
    fields = {
        f.id: f
        for f in await CustomField.filter(id__in=wanted, organization_id=actor.organization_id)
    }
    for index, condition in enumerate(conditions):
        field = fields.get(condition.field_id)
        if field is None:
            raise NotFound(("filter", "custom_fields", index, "field_id"))
        used = _used_operators(condition)
        if not used:
            raise BadUserInput(N_("Give a condition for each custom field filtered on."))
        if not used <= _OPERATORS[field.type]:
            raise BadUserInput(N_("This condition does not fit the custom field's type."))
        answers = CustomFieldAnswer.filter(field_id=field.id)
        for answer_condition in _answer_conditions(field, condition):
            answers = answers.filter(answer_condition)
        present = Subquery(answers.values("contact_id"))
        unset = condition.is_set is False or (condition.has_equals and condition.equals is None)
        if unset:
            if used != {"is_set"}:
                return qs.filter(id__in=[])  # no answer, yet a value: nothing matches
            qs = qs.filter(~Q(id__in=present))
        else:
            qs = qs.filter(id__in=present)
    return qs
