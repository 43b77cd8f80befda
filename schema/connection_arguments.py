"""Every connection's page arguments (first, last, after, before) are checked before the
operation runs, with the rules `paginate` applies (resolvers.common.pagination).

Checked only when the connection resolves, a bad page under a mutation's payload
(`groupCreate { group { members(last: -1) } }`) came after the write: the group was
created and the answer was `group: null` with an error. Now such a request is refused
whole with BAD_USER_INPUT and nothing runs. A cursor that is well formed but belongs to
another list can still only be told apart by the list it is given to.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    get_operation_ast,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from strawberry.extensions import SchemaExtension

from resolvers.common.errors import BadUserInput
from resolvers.common.pagination import check_cursor, check_page_size


class ConnectionArguments(SchemaExtension):
    async def on_execute(self):
        context = self.execution_context
        document = context.graphql_document
        if document is not None and not context.result:
            error = bad_page_argument(
                context.schema._schema, document, context.operation_name, context.variables or {}
            )
            if error is not None:
                # No field ran, so no one has looked the caller up: their locale is the
                # message's when the request names none.
                sign_in = getattr(context.context, "sign_in", None)
                if sign_in is not None:
                    await sign_in()
                context.result = ExecutionResult(data=None, errors=[error])
        yield


def bad_page_argument(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any],
) -> GraphQLError | None:
    """The first connection field of the operation (its fragments included) whose page
    arguments `paginate` would refuse, as an error that format_errors translates."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None
    values = get_variable_values(schema, operation.variable_definitions or (), variables)
    if not isinstance(values, VariableValues):
        return None  # variables of the wrong type: execution reports them as usual
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = schema.get_root_type(operation.operation)
    for node, field in _connections(operation.selection_set, root, schema, fragments, set()):
        try:
            arguments = get_argument_values(field, node, values)
        except GraphQLError:
            continue  # a missing required argument: execution reports it as usual
        try:
            check_page_size(arguments.get("first"), arguments.get("last"))
            check_cursor(arguments.get("after"))
            check_cursor(arguments.get("before"))
        except BadUserInput as refused:
            return GraphQLError(refused.message, nodes=[node], original_error=refused)
    return None


def _connections(
    selection_set: SelectionSetNode, parent, schema: GraphQLSchema, fragments, seen: set[str]
) -> Iterator[tuple[FieldNode, GraphQLField]]:
    """The connection fields selected under `parent`, with their definitions."""
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            field = getattr(parent, "fields", {}).get(selection.name.value)
            if field is None:
                continue  # __typename and introspection
            named = get_named_type(field.type)
            if selection.arguments and named.name.endswith("Connection"):
                yield selection, field
            if selection.selection_set:
                yield from _connections(selection.selection_set, named, schema, fragments, seen)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            target = schema.get_type(condition.name.value) if condition else parent
            yield from _connections(selection.selection_set, target, schema, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in seen:
                continue
            seen.add(name)
            target = schema.get_type(fragment.type_condition.name.value)
            yield from _connections(fragment.selection_set, target, schema, fragments, seen)
