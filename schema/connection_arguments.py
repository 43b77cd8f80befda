"""Every connection's page arguments (first, last, after, before) are checked before the
operation runs, with the rules `paginate` applies (resolvers.common.pagination).

Checked only when the connection resolves, a bad page under a mutation's payload
(`groupCreate { group { members(last: -1) } }`) came after the write: the group was
created and the answer was `group: null` with an error. Now such a request is refused
whole with BAD_USER_INPUT and nothing runs. A cursor that is well formed but belongs to
another list can still only be told apart by the list it is given to.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    BREAK,
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    get_operation_ast,
    visit,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from strawberry.extensions import SchemaExtension

from resolvers.common.errors import BadUserInput
from resolvers.common.pagination import check_cursor, check_page_size


class ConnectionArguments(SchemaExtension):
    def on_execute(self):
        context = self.execution_context
        document = context.graphql_document
        if document is not None and not context.result:
            error = bad_page_argument(
                context.schema._schema, document, context.operation_name, context.variables or {}
            )
            if error is not None:
                context.result = ExecutionResult(data=None, errors=[error])
        yield


def bad_page_argument(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any],
) -> GraphQLError | None:
    """The first connection field of the document (fragments included) whose page
    arguments `paginate` would refuse, as an error that format_errors translates."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None
    values = get_variable_values(schema, operation.variable_definitions or (), variables)
    if not isinstance(values, VariableValues):
        return None  # variables of the wrong type: execution reports them as usual
    type_info = TypeInfo(schema)
    checker = _PageChecker(type_info, values)
    visit(document, TypeInfoVisitor(type_info, checker))
    return checker.error


class _PageChecker(Visitor):
    def __init__(self, type_info: TypeInfo, variables: VariableValues):
        super().__init__()
        self.type_info, self.variables = type_info, variables
        self.error: GraphQLError | None = None

    def enter_field(self, node: FieldNode, *_args):
        definition = self.type_info.get_field_def()
        if definition is None or not get_named_type(definition.type).name.endswith("Connection"):
            return None
        try:
            arguments = get_argument_values(definition, node, self.variables)
        except GraphQLError:
            return None  # a missing required argument: execution reports it as usual
        try:
            check_page_size(arguments.get("first"), arguments.get("last"))
            check_cursor(arguments.get("after"))
            check_cursor(arguments.get("before"))
        except BadUserInput as refused:
            self.error = GraphQLError(refused.message, nodes=[node], original_error=refused)
            return BREAK
        return None
