"""The per-request context: the caller, their locale, cached roles, what each field was
granted on, and DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tortoise.models import Model

from carnet.settings import Settings
from models.identity import Session, User
from models.organizations import Organization
from resolvers.common.actor import Actor, Principal, RequestMeta
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
    # The principal each guarded field was let in as, by the field's path in the result.
    granted: dict[tuple, Principal | None] = field(default_factory=dict)
    # Set by Strawberry from a websocket's connection_init payload.
    connection_params: dict[str, Any] | None = None

    @property
    def locale(self) -> str:
        return self.meta.locale

    @property
    def organization_ids(self) -> set[int]:
        """The organizations this request acted in, as far as it got (for the logs)."""
        found = {p.organization_id for p in self.granted.values() if p and p.organization_id}
        found.update(org for org, actor in self._actors.items() if actor is not None)
        return found

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

        Superseded by `actor(info)`, which hands over what the guard resolved; kept for the
        audit subscription's body until it moves over.
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

    def principal(self, info: Any) -> Principal:
        """Who the permission directive let this field's caller in as (see schema.permissions):
        a body uses it rather than working out the caller's role again."""
        principal = self.granted.get(field_key(info))
        if principal is None:
            raise RuntimeError(f"{info.field_name}: no principal, is the field guarded?")
        return principal

    def actor(self, info: Any) -> Actor:
        """The caller's staff role in the organization this field was granted on."""
        staff = self.principal(info).staff
        if staff is None:
            raise RuntimeError(f"{info.field_name}: granted by a relationship, not a role")
        return staff

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


def field_key(info: Any) -> tuple:
    return tuple(info.path.as_list())
