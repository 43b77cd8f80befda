"""`node(id:)`: any object the caller may see, by global id; others are NOT_FOUND."""

from __future__ import annotations

import strawberry

from resolvers.common.errors import NotFound
from resolvers.common.permissions import Permission, Relationship
from schema.context import NODE_MODELS
from schema.permissions import describe, requires
from schema.scope import RecordRef, authorize, decode_at
from schema.types import NODE_ACCESS, Node


async def fetch_node(info: strawberry.Info, global_id: str):
    """The same decision as the field that lists the record (schema.scope.authorize):
    its permission in the record's organization, or its relationship to the record."""
    type_name, pk = decode_at(global_id, ("id",))
    model, access = NODE_MODELS.get(type_name), NODE_ACCESS.get(type_name)
    if model is None:
        raise NotFound(("id",))
    permission = access if isinstance(access, Permission) else None
    relationship = access if isinstance(access, Relationship) else None
    await authorize(info.context, RecordRef(type_name, pk, ("id",)), permission, relationship)
    record = await model.get_or_none(pk=pk)
    if record is None:
        raise NotFound(("id",))
    return record


@strawberry.type
class NodeQuery:
    @strawberry.field(
        **describe(
            "Any object by its global id, if you may see it (what each type requires is that of "
            "the field that lists it).",
            requires(relationship=Relationship.AUTHENTICATED),
        )
    )
    async def node(self, info: strawberry.Info, id: strawberry.ID) -> Node | None:
        return await fetch_node(info, id)
