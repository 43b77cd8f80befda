"""`node(id:)`: any object the caller may see, by global id; others are NOT_FOUND."""

from __future__ import annotations

import strawberry

from resolvers.common.errors import Forbidden, NotFound
from resolvers.common.permissions import Relationship
from schema import ids
from schema.context import NODE_MODELS
from schema.permissions import describe, requires
from schema.types import NODE_ACCESS, Node


async def fetch_node(info: strawberry.Info, global_id: str):
    context = info.context
    type_name, pk = ids.decode(global_id)
    model, access = NODE_MODELS.get(type_name), NODE_ACCESS.get(type_name)
    if model is None:
        raise NotFound(("id",))
    if access is Relationship.SELF:
        owner = {"id": context.user.id} if type_name == "User" else {"user_id": context.user.id}
        record = await model.filter(pk=pk, **owner).first()
    else:
        organization_id = await context.organization_of_record(type_name, pk)
        actor = await context.actor_for(organization_id) if organization_id else None
        if actor is None:
            raise NotFound(("id",))
        if not actor.can(access):
            raise Forbidden()
        record = await model.get_or_none(id=pk)
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
