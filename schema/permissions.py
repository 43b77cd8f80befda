"""The permission directive, declared on each field and enforced here, in one place.

`**requires(Permission.X, scope="input.contactId")` or `**requires(relationship=...)` adds
`@requiresPermission(...)` to the SDL, says "Requires ..." in the field's description,
and checks it before the resolver runs:

- `also=Permission.Y` makes both required (a batch action: bulk.run AND what the action
  changes); the SDL shows `andPermission: Y`;
- anonymous caller on a non-public field → UNAUTHENTICATED;
- the record at hand is the parent object or, on a root field, the one its declared
  `scope` argument names (by default its only id argument): the caller gets in when their
  staff role in its organization has the permission OR they hold the relationship to it
  (schema.scope.authorize). Nothing to it (missing, foreign) → NOT_FOUND (a payload error
  for mutations), so foreign and missing ids look the same; a role that falls short →
  FORBIDDEN.

The principal let in is handed to the body (`info.context.principal(info)` /
`.actor(info)`). On mutations the guard is also the one wrapper of the body: whatever it
raises about the input (UserErrors, NOT_FOUND, a malformed id) becomes the payload's
`errors`, so a body reads: resolve its ids, call one resolver, return the payload.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import strawberry
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location
from strawberry.types.base import StrawberryList, StrawberryOptional
from strawberry.utils.await_maybe import await_maybe

from models.organizations import Organization
from resolvers.common.actor import Principal
from resolvers.common.errors import Forbidden, NotFound, Unauthenticated
from resolvers.common.permissions import Permission, Relationship
from schema import ids
from schema.context import field_key
from schema.errors import camel
from schema.payloads import INPUT_ERRORS, refused
from schema.scope import MalformedId, RecordRef, authorize, decode_at

PermissionEnum = strawberry.enum(Permission, name="Permission")
RelationshipEnum = strawberry.enum(Relationship, name="Relationship")


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="requiresPermission",
    description="Access needs this permission in the organization concerned, or this "
    "relationship to the record (either suffices).",
)
class RequiresPermission:
    permission: PermissionEnum | None = strawberry.UNSET
    relationship: RelationshipEnum | None = strawberry.UNSET
    and_permission: PermissionEnum | None = strawberry.field(
        default=strawberry.UNSET, description="Also needed, besides `permission`."
    )


class Allow(BasePermission):
    """Carries the directive; the decision is `Guard.admit`'s."""

    def __init__(
        self,
        permission: Permission | None,
        relationship: Relationship | None,
        also: Permission | None = None,
    ):
        self.permission = permission
        self.relationship = relationship
        self.also = also
        # Only the arguments given, so the SDL reads @requiresPermission(permission: X).
        given = {"permission": permission, "relationship": relationship, "and_permission": also}
        self._schema_directive = RequiresPermission(
            **{name: value for name, value in given.items() if value is not None}
        )

    async def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        raise NotImplementedError("Guard decides")  # never called: Guard.resolve_async does


@dataclass(frozen=True)
class IdArgument:
    """Where a field takes a global id: its Python and GraphQL paths."""

    python: tuple[str, ...]
    graphql: tuple[str, ...]
    many: bool  # a list of ids, or an id inside a list


def id_arguments(field) -> list[IdArgument]:
    found: list[IdArgument] = []
    for argument in field.arguments:
        _collect(argument.type, (argument.python_name,), found, many=False, depth=0)
    return found


def _collect(type_: Any, python: tuple[str, ...], found: list, many: bool, depth: int) -> None:
    while isinstance(type_, StrawberryOptional | StrawberryList):
        many = many or isinstance(type_, StrawberryList)
        type_ = type_.of_type
    if type_ is strawberry.ID:
        found.append(IdArgument(python, tuple(camel(p) for p in python), many))
        return
    definition = getattr(type_, "__strawberry_definition__", None)
    if definition is not None and definition.is_input and depth < 4:
        for input_field in definition.fields:
            path = (*python, input_field.python_name)
            _collect(input_field.type, path, found, many, depth + 1)


class Guard(PermissionExtension):
    """Admits the caller (or not), hands the principal to the body, and on mutations turns
    what the body raises about its input into payload errors."""

    def __init__(
        self,
        permission: Permission | None,
        relationship: Relationship | None,
        scope: str | None,
        also: Permission | None = None,
    ):
        self.allow = Allow(permission, relationship, also)
        super().__init__([self.allow], use_directives=True)
        self.declared_scope = scope
        self.scope: IdArgument | None = None
        self.id_arguments: list[IdArgument] = []

    def apply(self, field) -> None:
        if getattr(self, "field", field) is not field:
            # The guard remembers its field's payload type and scope: sharing one between
            # fields would answer with another field's payload.
            raise RuntimeError(f"{field.python_name}: call requires() once per field")
        self.field = field
        super().apply(field)
        self.is_mutation_payload = hasattr(field.type, "__strawberry_definition__") and any(
            f.python_name == "errors" for f in field.type.__strawberry_definition__.fields
        )
        self.payload_type = field.type
        self.id_arguments = id_arguments(field)
        single = [a for a in self.id_arguments if not a.many]
        if self.declared_scope is not None:
            wanted = tuple(self.declared_scope.split("."))
            matches = [a for a in single if wanted in (a.graphql, a.python)]
            if not matches:
                raise RuntimeError(f"{field.python_name}: scope {self.declared_scope} is no id")
            self.scope = matches[0]
        elif len(self.id_arguments) == 1 and single:
            self.scope = single[0]

    async def resolve_async(self, next_, source, info, **kwargs):
        try:
            info.context.granted[field_key(info)] = await self.admit(source, info, kwargs)
            result = next_(source, info, **kwargs)
            return result if inspect.isasyncgen(result) else await await_maybe(result)
        except INPUT_ERRORS as error:
            if not self.is_mutation_payload:
                raise
            return refused(self.payload_type, error, info.context.locale)

    async def admit(self, source: Any, info: strawberry.Info, kwargs: dict) -> Principal | None:
        context = info.context
        if context.token is not None:  # the first guard of the request: who is calling?
            await context.sign_in(self._organization_at_hand(source, kwargs))
        permission, relationship = self.allow.permission, self.allow.relationship
        if relationship is Relationship.PUBLIC:
            return Principal(context.user, context.meta) if context.user else None
        if context.user is None:
            raise Unauthenticated()
        if relationship is Relationship.AUTHENTICATED:
            return Principal(context.user, context.meta)
        record = self._record_at_hand(source, kwargs)
        if record is None:
            if relationship is Relationship.SELF and source is None and permission is None:
                return Principal(context.user, context.meta)  # acts on the caller only
            raise NotFound()
        principal = await authorize(context, record, permission, relationship)
        if self.allow.also is not None and not principal.can(self.allow.also):
            raise Forbidden()
        return principal

    def _organization_at_hand(self, source: Any, kwargs: dict) -> int | None:
        """The organization the call concerns when its id alone tells it (an Organization
        scope, a parent record with its organization id): the sign-in fetches the role
        there in the same statement. Never raises: a malformed id is `admit`'s to report."""
        if source is not None:
            return source.id if isinstance(source, Organization) else None
        try:
            record = self._record_at_hand(None, kwargs)
        except MalformedId:
            return None
        if record is None or record.type_name != "Organization" or record.pk == ids.NO_ROW:
            return None
        return record.pk

    def _record_at_hand(self, source: Any, kwargs: dict) -> RecordRef | None:
        if source is not None:
            return RecordRef.of(source)
        if self.scope is None:
            return None
        value: Any = kwargs
        for name in self.scope.python:
            value = value.get(name) if isinstance(value, dict) else getattr(value, name, None)
        if value is None:
            return None
        type_name, pk = decode_at(value, self.scope.graphql)
        return RecordRef(type_name, pk, self.scope.graphql)


def requires(
    permission: Permission | None = None,
    *,
    relationship: Relationship | None = None,
    scope: str | None = None,
    also: Permission | None = None,
) -> dict[str, Any]:
    """`scope` names the argument carrying the record the permission is checked against,
    as a GraphQL path ("organizationId", "input.contactId"); needed when the field takes
    more than one id (tests/test_scopes.py fails otherwise)."""
    if permission is None and relationship is None:
        raise ValueError("requires() needs a permission or a relationship")
    parts = []
    if also is not None and (permission is None or relationship is not None):
        raise ValueError("requires(also=) adds to a permission, without a relationship")
    if permission is not None:
        parts.append(f"Requires {permission.value}")
    if also is not None:
        parts.append(f"and {also.value}")
    if relationship is Relationship.PUBLIC:
        parts.append("Public: no sign-in needed")
    elif relationship is Relationship.AUTHENTICATED:
        parts.append("Requires a signed-in user")
    elif relationship is not None:
        parts.append(f"{'or' if permission else 'Requires'} the {relationship.value} relationship")
    return {
        "extensions": [Guard(permission, relationship, scope, also)],
        "description": " ".join(parts) + ".",
    }


def describe(text: str, requirement: dict[str, Any]) -> dict[str, Any]:
    """Puts a field's own description before what it requires."""
    return {**requirement, "description": f"{text}\n\n{requirement['description']}"}
