"""`node(id:)`: any object the caller may see, by global id; others are NOT_FOUND."""

from __future__ import annotations

import strawberry

from resolvers.common.errors import Forbidden, NotFound
from resolvers.common.permissions import Relationship
from resolvers.identity.sessions import sessions_of
from schema import ids
from schema.context import NODE_MODELS
from schema.permissions import describe, requires
from schema.types import NODE_ACCESS, Node

# What of their own records a user sees, where it is not simply "rows with my user_id":
# the same as the list that shows them (a revoked session is gone from both).
SELF_SCOPES = {"Session": sessions_of}


async def fetch_node(info: strawberry.Info, global_id: str):
    context = info.context
    type_name, pk = ids.decode(global_id)
    model, access = NODE_MODELS.get(type_name), NODE_ACCESS.get(type_name)
    if model is None:
        raise NotFound(("id",))
    if access is Relationship.SELF:
        scope = SELF_SCOPES.get(type_name)
        if scope is not None:
            visible = scope(context.user)
        elif type_name == "User":
            visible = model.filter(id=context.user.id)
        else:
            visible = model.filter(user_id=context.user.id)
        record = await visible.filter(pk=pk).first()
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
