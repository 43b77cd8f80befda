"""The schema's executor: graphql-core's, with two shortcuts for the rows of a page.

- A Tortoise model is awaitable (`await record` gives the record back, so that a foreign key
  reads the same fetched or not), but a resolver that returns one has its result ready:
  seen as awaitable, every node of a page became a task to gather. Whether a type's values
  can be awaited is learnt once per type.
- Strawberry's basic fields (an attribute, or a `schema.types.ParentField`) without
  arguments are read straight from the parent and completed as graphql-core would, without
  the GraphQLResolveInfo it builds for every field (found once per schema, by
  `prepare_direct_reads`): of a page's row, only the fields with a resolver of their own
  still get one.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from types import GeneratorType
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    get_nullable_type,
    is_leaf_type,
    is_non_null_type,
)
from graphql.execution.executor import invalid_return_type_error, to_nodes
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField
from tortoise.models import Model

from schema.types import ParentField

# Whether values of a type can be awaited, learnt once per type: graphql-core asks of every
# value it completes.
_AWAITABLE_TYPES: dict[type, bool] = {}


def _is_awaitable(value: Any) -> bool:
    known = _AWAITABLE_TYPES.get(type(value))
    if known is not None:
        return known
    kind = type(value)
    if kind is GeneratorType:  # an old-style coroutine or not, depending on the generator
        return optimized_is_awaitable(value)
    known = _AWAITABLE_TYPES[kind] = not issubclass(kind, Model) and hasattr(kind, "__await__")
    return known


@dataclass(frozen=True)
class _DirectRead:
    field: GraphQLField
    read: Any  # parent -> value
    leaf_type: Any  # the scalar or enum type to serialize with; None for an object
    object_type: GraphQLObjectType | None  # the object type whose fields come next
    non_null: bool


_DIRECT_READS = "carnet.direct_reads"  # in each object type's extensions: name → _DirectRead


def prepare_direct_reads(schema: GraphQLSchema) -> None:
    for named_type in schema.type_map.values():
        if not isinstance(named_type, GraphQLObjectType) or named_type.name.startswith("__"):
            continue
        reads = {}
        for name, field in named_type.fields.items():
            read = _direct_read(field)
            if read is not None:
                reads[name] = read
        named_type.extensions = {**(named_type.extensions or {}), _DIRECT_READS: reads}


def _direct_read(field: GraphQLField) -> _DirectRead | None:
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if (
        not isinstance(definition, StrawberryField)
        or not definition.is_basic_field
        or not getattr(field.resolve, "_is_default", False)
        or field.args
    ):
        return None
    named = get_nullable_type(field.type)
    non_null = is_non_null_type(field.type)
    if is_leaf_type(named):
        return _DirectRead(field, _reader(definition), named, None, non_null)
    if isinstance(named, GraphQLObjectType) and _type_check_needs_no_info(named):
        return _DirectRead(field, _reader(definition), None, named, non_null)
    return None


def _type_check_needs_no_info(object_type: GraphQLObjectType) -> bool:
    check = object_type.is_type_of
    if check is None:
        return True
    function = getattr(check, "__func__", check)
    # model_node's, or the one Strawberry makes for a type with interfaces: neither reads it.
    return getattr(function, "reads_no_info", False) or (
        function.__module__ == "strawberry.schema.schema_converter"
        and function.__qualname__.endswith("_get_is_type_of.<locals>.is_type_of")
    )


def _reader(field: StrawberryField) -> Any:
    if isinstance(field, ParentField):
        return field.base_resolver.wrapped_func
    if field.base_resolver is None and field.default_resolver is getattr:
        return attrgetter(field.python_name)
    return lambda source: field.get_result(source, None, [], {})


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_awaitable = _is_awaitable
        if self.middleware_manager is not None and not self.middleware_manager.middlewares:
            self.middleware_manager = None  # none to wrap resolvers in: skip asking

    def execute_field(self, parent_type, source, field_details_list, path, position_context):
        node = field_details_list[0].node
        reads = parent_type.extensions.get(_DIRECT_READS)
        read = None if node.arguments or reads is None else reads.get(node.name.value)
        if read is None or self.middleware_manager is not None:
            return super().execute_field(
                parent_type, source, field_details_list, path, position_context
            )
        # What execute_field then complete_value do, minus the resolve info.
        try:
            result = read.read(source)
            if self.is_awaitable(result):
                nodes = to_nodes(field_details_list)
                info = self.build_resolve_info(read.field, nodes, parent_type, path)
                return self.complete_awaitable_value(
                    read.field.type, field_details_list, info, path, result, position_context
                )
            if isinstance(result, Exception):
                raise result
            if result is None or result is Undefined:
                if read.non_null:
                    raise TypeError(
                        "Cannot return null for non-nullable field"
                        f" {parent_type.name}.{node.name.value}."
                    )
                return None
            if read.object_type is None:
                return self.complete_leaf_value(read.leaf_type, result)
            return self._complete_object(read, field_details_list, path, result, position_context)
        except Exception as raw_error:
            self.handle_field_error(raw_error, read.field.type, field_details_list, path)
            return None

    def _complete_object(self, read, field_details_list, path, result, position_context):
        object_type = read.object_type
        if object_type.is_type_of and not object_type.is_type_of(result, None):
            raise invalid_return_type_error(object_type, result, field_details_list)
        completed = self.collect_and_execute_subfields(
            object_type, field_details_list, path, result, position_context
        )
        if not self.is_awaitable(completed):
            return completed

        async def await_completed() -> Any:
            try:
                return await completed
            except Exception as raw_error:
                self.handle_field_error(raw_error, read.field.type, field_details_list, path)
                return None

        return await_completed()
