"""The per-request context: the caller, their locale, cached roles, what each field was
granted on, and DataLoaders.

The bearer token is looked up when a field first needs the caller (`sign_in`, which the
permission directive calls before deciding), together with the caller's role in the
organization that field concerns: one statement per request for a page of a tenant's
list. Nothing of it outlives the request.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from typing import Any

from tortoise.models import Model

from carnet.settings import Settings
from models.identity import Session, User
from models.organizations import Organization
from resolvers.common.actor import Actor, Principal, RequestMeta
from resolvers.identity.caller import look_up
from resolvers.organizations.access import active_actor, actor_for
from resolvers.organizations.stream_guard import still_signs_in

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
    # The bearer token the request came with, until `sign_in` has looked it up.
    token: str | None = field(default=None, repr=False)
    # Whether the signed-in user's locale replaces the negotiated one (no Accept-Language).
    user_locale: bool = False
    _looking_up: asyncio.Lock | None = field(default=None, repr=False)

    @property
    def locale(self) -> str:
        return self.meta.locale

    @property
    def organization_ids(self) -> set[int]:
        """The organizations this request acted in, as far as it got (for the logs)."""
        found = {p.organization_id for p in self.granted.values() if p and p.organization_id}
        found.update(org for org, actor in self._actors.items() if actor is not None)
        return found

    async def sign_in(self, organization_id: int | None = None) -> None:
        """Looks the bearer token up, once per request: the session and its user and, given
        an organization, the caller's role there in the same statement (cached as
        `actor_for`'s). Fields running side by side wait for the one lookup."""
        if self.token is None:
            return
        async with self._lock():
            if self.token is None:  # another field signed in meanwhile
                return
            caller = await look_up(self.token, organization_id)
            self.token = None
            if caller is None:
                return
            self.signed_in(caller.session)
            if organization_id is not None:
                actor = active_actor(self.user, caller.membership, self.meta)
                self._actors[organization_id] = actor

    def signed_in(self, session: Session) -> None:
        self.session, self.user = session, session.user
        if self.user_locale:
            self.meta = replace(self.meta, locale=session.user.locale)

    async def actor_for(self, organization_id: int) -> Actor | None:
        """The caller's role in that organization, resolved once per request."""
        await self.sign_in(organization_id)
        if self.user is None:
            return None
        if organization_id not in self._actors:
            async with self._lock():  # fields side by side, one lookup
                if organization_id not in self._actors:
                    actor = await actor_for(self.user, organization_id, self.meta)
                    self._actors[organization_id] = actor
        return self._actors[organization_id]

    def _lock(self) -> asyncio.Lock:
        if self._looking_up is None:
            self._looking_up = asyncio.Lock()
        return self._looking_up

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
