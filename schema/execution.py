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
- An object whose selection is made of such reads only (a page's edge: its cursor, its node
  and the node's scalars), and a list of them, is completed by a plan made once per request
  and selection: one plain loop per item instead of graphql-core's calls per field. A value
  the plan cannot complete exactly as graphql-core would (a null where none may be, an
  awaitable, an error, a failed type check) sends the object, or the list, back the
  ordinary way, which completes it again and reports what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from types import GeneratorType
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLID,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
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


_TEXT_TYPES = (GraphQLString, GraphQLID)


class _Fallback(Exception):
    """A value the plan cannot complete as graphql-core would (null where none may be, an
    awaitable, an error): the object is completed again the ordinary way, which reports it."""


# A plan: per response name, how to complete that field of an object whose selection is
# made of direct reads only: (name, read, leaf type or None, non-null, object type, subplan).
_Plan = tuple[tuple[str, Any, Any, bool, Any, Any], ...]


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_awaitable = _is_awaitable
        if self.middleware_manager is not None and not self.middleware_manager.middlewares:
            self.middleware_manager = None  # none to wrap resolvers in: skip asking
        self._plans: dict[tuple[str, int], tuple[Any, _Plan | None]] = {}

    def complete_object_value(
        self, return_type, field_details_list, info, path, result, position_context
    ):
        """An object whose selected fields are all direct reads (a page's edge, with its
        cursor and node and the node's scalars) is completed by its plan, in one plain
        loop; anything the plan cannot do goes the ordinary way."""
        plan = None if self.middleware_manager else self._plan(return_type, field_details_list)
        if plan is not None:
            check = return_type.is_type_of
            if check is None or check(result, info) is True:
                try:
                    return self._run(plan, result)
                except _Fallback:
                    pass
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def complete_list_value(
        self, return_type, field_details_list, info, path, result, position_context
    ):
        """A list of such objects (a page's edges) is completed item by item by their plan,
        without graphql-core's per-item path and completion calls."""
        item_type = return_type.of_type
        object_type = get_nullable_type(item_type)
        if (
            self.middleware_manager is None
            and isinstance(object_type, GraphQLObjectType)
            and type(result) in (list, tuple)
            and not any(details.node.directives for details in field_details_list)  # @stream
        ):
            plan = self._plan(object_type, field_details_list)
            if plan is not None:
                non_null, check = is_non_null_type(item_type), object_type.is_type_of
                try:
                    return [self._run_item(plan, non_null, check, item, info) for item in result]
                except _Fallback:
                    pass
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _run_item(self, plan: _Plan, non_null: bool, check: Any, item: Any, info: Any) -> Any:
        if item is None or item is Undefined:
            if non_null:
                raise _Fallback()
            return None
        if check is not None and check(item, info) is not True:
            raise _Fallback()
        return self._run(plan, item)

    def _plan(self, object_type: GraphQLObjectType, field_details_list) -> _Plan | None:
        key = (object_type.name, id(field_details_list))
        cached = self._plans.get(key)
        if cached is not None:
            return cached[1]
        plan = self._make_plan(object_type, field_details_list, depth=0)
        self._plans[key] = (field_details_list, plan)  # keeps the list, and so its id
        return plan

    def _make_plan(self, object_type, field_details_list, depth: int) -> _Plan | None:
        reads = object_type.extensions.get(_DIRECT_READS)
        grouped, defers, *_ = self.collect_subfields(object_type, field_details_list)
        if reads is None or defers or depth > 3:
            return None
        plan = []
        for name, details in grouped.items():
            node = details[0].node
            read = None if node.arguments else reads.get(node.name.value)
            if read is None:
                return None
            subplan = None
            if read.object_type is not None:
                subplan = self._make_plan(read.object_type, details, depth + 1)
                if subplan is None:
                    return None
            plan.append(
                (name, read.read, read.leaf_type, read.non_null, read.object_type, subplan)
            )
        return tuple(plan)

    def _run(self, plan: _Plan, source: Any) -> dict[str, Any]:
        completed = {}
        for name, read, leaf_type, non_null, object_type, subplan in plan:
            try:
                value = read(source)
            except Exception:
                raise _Fallback() from None
            if value is None or value is Undefined:
                if non_null:
                    raise _Fallback()
                completed[name] = None
            elif leaf_type is not None:
                if type(value) is str and leaf_type in _TEXT_TYPES:
                    completed[name] = value  # what String and ID serialize a str to
                    continue
                if self.is_awaitable(value) or isinstance(value, Exception):
                    raise _Fallback()
                try:
                    coerced = leaf_type.coerce_output_value(value)
                except Exception:
                    raise _Fallback() from None
                if coerced is None or coerced is Undefined:
                    raise _Fallback()
                completed[name] = coerced
            else:
                check = object_type.is_type_of
                if self.is_awaitable(value) or (check is not None and not check(value, None)):
                    raise _Fallback()
                completed[name] = self._run(subplan, value)
        return completed

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
