"""The per-request context: the caller, their locale, cached roles and DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tortoise.models import Model

from carnet.settings import Settings
from models.identity import Session, User
from models.organizations import Organization
from resolvers.common.actor import Actor, RequestMeta
from resolvers.common.permissions import Permission
from resolvers.organizations.access import actor_for
from resolvers.organizations.stream_guard import still_signs_in
from schema import ids

# Node type name → model, filled by schema.types.model_node; used to find a record's tenant.
NODE_MODELS: dict[str, type[Model]] = {}
# Node type name → the path from its model to the organization id, where not a column.
NODE_ORGANIZATION_PATHS: dict[str, str] = {}


@dataclass
class Context:
    settings: Settings
    user: User | None = None
    session: Session | None = None
    meta: RequestMeta = field(default_factory=RequestMeta)
    request: Any = None
    response: Any = None
    _actors: dict[int, Actor | None] = field(default_factory=dict)
    _record_orgs: dict[tuple[str, int], int | None] = field(default_factory=dict)
    loaders: dict[str, Any] = field(default_factory=dict)
    # Set by Strawberry from a websocket's connection_init payload.
    connection_params: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.scope = Scope(self)

    @property
    def locale(self) -> str:
        return self.meta.locale

    async def actor_for(self, organization_id: int) -> Actor | None:
        """The caller's role in that organization, resolved once per request."""
        if self.user is None:
            return None
        if organization_id not in self._actors:
            self._actors[organization_id] = await actor_for(self.user, organization_id, self.meta)
        return self._actors[organization_id]

    async def organization_of_record(self, type_name: str, pk: int) -> int | None:
        key = (type_name, pk)
        if key not in self._record_orgs:
            model = NODE_MODELS.get(type_name)
            path = NODE_ORGANIZATION_PATHS.get(type_name, "organization_id")
            if model is Organization:
                org_id = pk
            elif model is None or (
                path == "organization_id" and path not in model._meta.fields_db_projection
            ):
                org_id = None
            else:
                org_id = await model.filter(pk=pk).first().values_list(path, flat=True)
            self._record_orgs[key] = org_id
        return self._record_orgs[key]

    async def actor_of(self, global_id: str, type_name: str, field: tuple = ()) -> Actor:
        """The caller's role in the organization of the `type_name` record this id names.

        The permission guard already checked it; this also rejects an id of another type.
        """
        from resolvers.common.errors import NotFound

        _, pk = ids.decode(global_id)
        if ids.decode_as(global_id, type_name) is None:
            raise NotFound(field)
        organization_id = await self.organization_of_record(type_name, pk)
        actor = await self.actor_for(organization_id) if organization_id else None
        if actor is None:
            raise NotFound(field)
        return actor

    async def actor_allowed(
        self, global_id: str, type_name: str, field: tuple, permission: Permission
    ) -> Actor:
        """`actor_of`, checked again for `permission`: when an input carries several ids,
        the guard scoped the call by one of them, not necessarily this record's."""
        from resolvers.common.errors import Forbidden

        actor = await self.actor_of(global_id, type_name, field)
        if not actor.can(permission):
            raise Forbidden()
        return actor

    async def recheck_access(self) -> None:
        """For a websocket, before each operation: the socket outlives its roles and token."""
        self._actors.clear()
        self._record_orgs.clear()
        self.loaders.clear()
        if self.session is not None and not await still_signs_in(
            self.session.id, self.session.access_token_hash
        ):
            self.session = self.user = None

    def loader(self, name: str, factory):
        """One DataLoader per name per request."""
        if name not in self.loaders:
            self.loaders[name] = factory()
        return self.loaders[name]


class Scope:
    """Finds the organization a field concerns: its parent object or its arguments."""

    def __init__(self, context: Context):
        self.context = context

    async def organization_of(
        self, source: Any, kwargs: dict[str, Any]
    ) -> tuple[int | None, tuple]:
        if source is not None:
            if isinstance(source, Organization):
                return source.id, ()
            return getattr(source, "organization_id", None), ()
        for path, value in _id_arguments(kwargs):
            type_name, pk = ids.decode(value)
            return await self.context.organization_of_record(type_name, pk), path
        return None, ()


def _id_arguments(kwargs: dict[str, Any]):
    """(path, global id) pairs, most specific first: organizationId, id, then input.*Id."""
    if isinstance(kwargs.get("organization_id"), str):
        yield ("organization_id",), kwargs["organization_id"]
    if isinstance(kwargs.get("id"), str):
        yield ("id",), kwargs["id"]
    data = kwargs.get("input")
    if data is None:
        return
    names = ["organization_id", "id"] + sorted(
        n for n in vars(data) if n.endswith("_id") and n != "organization_id"
    )
    for name in names:
        value = getattr(data, name, None)
        if isinstance(value, str):
            yield ("input", name), value
