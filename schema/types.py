"""Shared GraphQL types: the Node interface, cursor connections, page info."""

from __future__ import annotations

import inspect
from enum import StrEnum
from typing import Any, Generic, TypeVar

import strawberry
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

        def is_type_of(_cls, obj: Any, _info: Any) -> bool:
            return isinstance(obj, model)

        is_type_of.reads_no_info = True  # schema.execution may call it without one
        cls.is_type_of = classmethod(is_type_of)
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


async def related(record: Model, name: str) -> Any:
    """A foreign key's object: the one fetched with the record (select_related, as lists
    do), else one query for it."""
    value = getattr(record, name)
    if value is None or isinstance(value, Model):
        return value
    return await value
