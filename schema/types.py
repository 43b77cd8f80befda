"""Shared GraphQL types: the Node interface, cursor connections, page info."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from enum import StrEnum
from operator import attrgetter
from types import GeneratorType
from typing import Any, Generic, TypeVar

import strawberry
from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    get_nullable_type,
    is_leaf_type,
    is_non_null_type,
)
from graphql.execution.executor import to_nodes
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField
from tortoise.models import Model

from resolvers.common.pagination import Page
from resolvers.common.permissions import Permission, Relationship
from schema import ids
from schema.context import NODE_MODELS, NODE_ORGANIZATION_PATHS

NODE_ACCESS: dict[str, Permission | Relationship] = {}

T = TypeVar("T")


@strawberry.interface(description="An object with a global ID, fetchable with `node(id:)`.")
class Node:
    @strawberry.field(description="Global ID.")
    def id(self) -> strawberry.ID:  # `self` is the model instance
        raise NotImplementedError


class ParentField(StrawberryField):
    """A field computed from its parent object alone: a plain function of `self`, with no
    argument, no `info`, nothing awaited and no extension. Strawberry then calls it as it
    reads a plain attribute, without the Info object, argument conversion and extension
    chain it otherwise builds on every call (for a page of 50, on every row)."""

    @property
    def is_basic_field(self) -> bool:
        return not self.extensions

    def get_result(self, source: Any, info: Any, args: list[Any], kwargs: Any) -> Any:
        if info is None:  # the basic path: no arguments to pass
            return self.base_resolver.wrapped_func(source)
        return super().get_result(source, info, args, kwargs)


def _needs_only_parent(field: Any) -> bool:
    if type(field) is not StrawberryField or field.base_resolver is None or field.extensions:
        return False
    function = field.base_resolver.wrapped_func
    if not inspect.isfunction(function) or inspect.iscoroutinefunction(function):
        return False
    return list(inspect.signature(function).parameters) in (["self"], ["root"])


def model_node(
    type_name: str,
    model: type[Model],
    access: Permission | Relationship,
    organization_path: str = "organization_id",
):
    """Registers a model-backed node type: global IDs, type checks, tenant lookup (through
    `organization_path` when the model has no organization column), and what
    `node(id:)` requires to return it."""

    def decorate(cls):
        NODE_MODELS[type_name] = model
        NODE_ACCESS[type_name] = access
        if organization_path != "organization_id":
            NODE_ORGANIZATION_PATHS[type_name] = organization_path

        def id_(root) -> strawberry.ID:
            return strawberry.ID(ids.encode(type_name, root.id))

        cls.id = ParentField(description="Global ID.")(id_)
        for value in vars(cls).values():
            if _needs_only_parent(value):
                value.__class__ = ParentField  # the same field, resolved without Info
        cls.is_type_of = classmethod(lambda _cls, obj, _info: isinstance(obj, model))
        return strawberry.type(name=type_name)(cls)

    return decorate


@strawberry.enum
class SortDirection(StrEnum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of results; `totalCount` is computed only when asked.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    _page: strawberry.Private[Page]

    @strawberry.field(description="The nodes of this page, without cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="How many results in all (costs one extra query).")
    async def total_count(self) -> int:
        return await self._page.count()

    @classmethod
    def of(cls, page: Page) -> Any:
        return cls(
            edges=[Edge(cursor=c, node=n) for c, n in zip(page.cursors, page.items, strict=True)],
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=page.cursors[0] if page.cursors else None,
                end_cursor=page.cursors[-1] if page.cursors else None,
            ),
            _page=page,
        )


# Whether values of a type can be awaited, learnt once per type: graphql-core asks of every
# value it completes (about 15 times per row of a page).
_AWAITABLE_TYPES: dict[type, bool] = {}


def _is_awaitable(value: Any) -> bool:
    known = _AWAITABLE_TYPES.get(type(value))
    if known is not None:
        return known
    kind = type(value)
    if kind is GeneratorType:  # an old-style coroutine or not, depending on the generator
        return optimized_is_awaitable(value)
    # A Tortoise model is awaitable (`await record` gives the record back, so that a
    # foreign key reads the same fetched or not), but a resolver that returns one has its
    # result ready: seen as awaitable, every node of a page became a task to gather.
    known = _AWAITABLE_TYPES[kind] = not issubclass(kind, Model) and hasattr(kind, "__await__")
    return known


@dataclass(frozen=True)
class _LeafRead:
    """A field graphql-core can complete without its resolve info: a scalar or enum read
    from the parent (an attribute, or a `ParentField`), with no argument to coerce."""

    field: GraphQLField
    read: Any  # parent -> value
    leaf_type: GraphQLLeafType
    non_null: bool


_LEAF_READS = "carnet.leaf_reads"  # in each object type's extensions: field name → _LeafRead


def prepare_leaf_reads(schema: GraphQLSchema) -> None:
    """Finds, once per schema, the fields `ExecutionContext.execute_field` reads directly:
    Strawberry's basic fields (no resolver, or a `ParentField`) of a scalar or enum type,
    without arguments."""
    for named_type in schema.type_map.values():
        if not isinstance(named_type, GraphQLObjectType) or named_type.name.startswith("__"):
            continue
        reads = {}
        for name, field in named_type.fields.items():
            definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            leaf_type = get_nullable_type(field.type)
            if (
                isinstance(definition, StrawberryField)
                and definition.is_basic_field
                and getattr(field.resolve, "_is_default", False)
                and not field.args
                and is_leaf_type(leaf_type)
            ):
                reads[name] = _LeafRead(
                    field, _reader(definition), leaf_type, is_non_null_type(field.type)
                )
        named_type.extensions = {**(named_type.extensions or {}), _LEAF_READS: reads}


def _reader(field: StrawberryField) -> Any:
    if isinstance(field, ParentField):
        return field.base_resolver.wrapped_func
    if field.base_resolver is None and field.default_resolver is getattr:
        return attrgetter(field.python_name)
    return lambda source: field.get_result(source, None, [], {})


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, completing returned models at once instead of awaiting them,
    and reading plain scalar fields without building a resolve info for each."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_awaitable = _is_awaitable
        if self.middleware_manager is not None and not self.middleware_manager.middlewares:
            self.middleware_manager = None  # none to wrap resolvers in: skip asking

    def execute_field(self, parent_type, source, field_details_list, path, position_context):
        node = field_details_list[0].node
        reads = parent_type.extensions.get(_LEAF_READS)
        read = None if node.arguments or reads is None else reads.get(node.name.value)
        if read is None or self.middleware_manager is not None:
            return super().execute_field(
                parent_type, source, field_details_list, path, position_context
            )
        # What execute_field then complete_value do for a leaf, minus the resolve info,
        # which a basic field's resolver never reads.
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
            return self.complete_leaf_value(read.leaf_type, result)
        except Exception as raw_error:
            self.handle_field_error(raw_error, read.field.type, field_details_list, path)
            return None


async def related(record: Model, name: str) -> Any:
    """A foreign key's object: the one fetched with the record (select_related, as lists
    do), else one query for it."""
    value = getattr(record, name)
    if value is None or isinstance(value, Model):
        return value
    return await value
