"""Query cost: each field costs 1, a connection multiplies what is under it by its page
size, `totalCount` costs a count. Over the limit → COST_LIMIT_EXCEEDED before anything runs.
The cost is reported in `extensions.cost` of every response.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from strawberry.extensions import SchemaExtension

from resolvers.common.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

TOTAL_COUNT_COST = 10


class CostLimit(SchemaExtension):
    def __init__(self, *, max_cost: int):
        self.max_cost = max_cost
        self.cost: int | None = None

    def on_execute(self):
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            self.cost = _operation_cost(
                context.schema._schema, document, context.operation_name, context.variables or {}
            )
            if self.cost > self.max_cost:
                context.result = ExecutionResult(
                    data=None,
                    errors=[
                        GraphQLError(
                            f"Query cost {self.cost} exceeds the limit of {self.max_cost}: ask for "
                            "smaller pages or fewer nested connections.",
                            extensions={
                                "code": "COST_LIMIT_EXCEEDED",
                                "cost": self.cost,
                                "maxCost": self.max_cost,
                            },
                        )
                    ],
                )
        yield

    def get_results(self) -> dict[str, Any]:
        if self.cost is None:
            return {}
        return {"cost": {"requested": self.cost, "limit": self.max_cost}}


def _operation_cost(schema, document, operation_name, variables) -> int:
    fragments = {}
    operation = None
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            if operation_name is None or (
                definition.name and definition.name.value == operation_name
            ):
                operation = operation or definition
        elif hasattr(definition, "type_condition"):
            fragments[definition.name.value] = definition
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    return _selection_cost(operation.selection_set, root, schema, fragments, variables, set())


def _page_size(field: FieldNode, variables: dict[str, Any]) -> int:
    for argument in field.arguments or ():  # None when the field has no arguments
        if argument.name.value in ("first", "last"):
            value = argument.value
            raw = (
                variables.get(value.name.value)
                if isinstance(value, VariableNode)
                else getattr(value, "value", None)
            )
            try:
                return min(max(int(raw), 1), MAX_PAGE_SIZE)
            except (TypeError, ValueError):
                return DEFAULT_PAGE_SIZE
    return DEFAULT_PAGE_SIZE


def _connection_cost(field: FieldNode, connection, schema, fragments, variables, seen) -> int:
    """What is under `edges`/`nodes` is paid once per row of the page; the rest once."""
    size = _page_size(field, variables)
    total = 0
    for selection in field.selection_set.selections if field.selection_set else ():
        one = SelectionSetNode(selections=(selection,))
        cost = _selection_cost(one, connection, schema, fragments, variables, seen)
        per_row = isinstance(selection, FieldNode) and selection.name.value in ("edges", "nodes")
        total += size * cost if per_row else cost
    return total


def _selection_cost(
    selection_set: SelectionSetNode | None, parent, schema, fragments, variables, seen: set[str]
) -> int:
    if selection_set is None or parent is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            name = selection.name.value
            fields = getattr(parent, "fields", {})
            if name not in fields:
                continue  # __typename and introspection
            field_type = get_named_type(fields[name].type)
            if name == "totalCount":
                total += TOTAL_COUNT_COST
            elif isinstance(field_type, GraphQLObjectType) and field_type.name.endswith(
                "Connection"
            ):
                total += 1 + _connection_cost(
                    selection, field_type, schema, fragments, variables, seen
                )
            else:
                total += 1 + _selection_cost(
                    selection.selection_set, field_type, schema, fragments, variables, seen
                )
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            target = schema.get_type(condition.name.value) if condition else parent
            total += _selection_cost(
                selection.selection_set, target, schema, fragments, variables, seen
            )
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in seen:
                continue
            target = schema.get_type(fragment.type_condition.name.value)
            total += _selection_cost(
                fragment.selection_set, target, schema, fragments, variables, seen | {name}
            )
    return total
