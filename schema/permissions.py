"""The permission directive, declared on each field and enforced here, in one place.

`**requires(Permission.X)` or `**requires(relationship=Relationship.SELF)` adds
`@requiresPermission(...)` to the SDL, says "Requires ..." in the field's description,
and checks it before the resolver runs:

- anonymous caller on a non-public field → UNAUTHENTICATED;
- the organization concerned (from the parent object, `organizationId`, or the record an
  input id names) is missing, or the caller is not active staff there → NOT_FOUND (a payload
  error for mutations), so foreign and missing ids look the same;
- active staff whose role lacks the permission → FORBIDDEN.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location

from carnet.i18n import translate
from resolvers.common.errors import Forbidden, NotFound, Unauthenticated
from resolvers.common.permissions import Permission, Relationship
from schema.errors import UserError, UserErrorCode, camel

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


class Allow(BasePermission):
    def __init__(self, permission: Permission | None, relationship: Relationship | None):
        self.permission = permission
        self.relationship = relationship
        # Only the arguments given, so the SDL reads @requiresPermission(permission: X).
        given = {"permission": permission, "relationship": relationship}
        self._schema_directive = RequiresPermission(
            **{name: value for name, value in given.items() if value is not None}
        )

    async def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        context = info.context
        if self.relationship is Relationship.PUBLIC:
            return True
        if context.user is None:
            raise Unauthenticated()
        if self.relationship is Relationship.AUTHENTICATED:
            return True
        if self.relationship is Relationship.SELF and _is_self(source, context.user.id):
            return True
        if self.permission is None:
            raise Forbidden()
        organization_id, field_path = await context.scope.organization_of(source, kwargs)
        actor = await context.actor_for(organization_id) if organization_id else None
        if actor is None:
            raise NotFound(field_path)
        if not actor.can(self.permission):
            raise Forbidden()
        return True


def _is_self(source: Any, user_id: int) -> bool:
    if source is None:  # a root field such as `me`: it acts on the caller only
        return True
    return getattr(source, "user_id", getattr(source, "id", None)) == user_id


class Guard(PermissionExtension):
    """PermissionExtension whose NOT_FOUND on a mutation becomes a payload error."""

    def apply(self, field) -> None:
        if getattr(self, "field", field) is not field:
            # The guard remembers its field's payload type: sharing one between fields
            # would answer NOT_FOUND with another field's payload.
            raise RuntimeError(f"{field.python_name}: call requires() once per field")
        self.field = field
        super().apply(field)
        self.is_mutation_payload = hasattr(field.type, "__strawberry_definition__") and any(
            f.python_name == "errors" for f in field.type.__strawberry_definition__.fields
        )
        self.payload_type = field.type

    async def resolve_async(self, next_, source, info, **kwargs):
        try:
            return await super().resolve_async(next_, source, info, **kwargs)
        except NotFound as not_found:
            if not self.is_mutation_payload:
                raise
            message = translate(not_found.message, info.context.locale)
            error = UserError(
                code=UserErrorCode.NOT_FOUND,
                field=[camel(p) for p in not_found.field] or None,
                message=message,
            )
            return self.payload_type(errors=[error])


def requires(
    permission: Permission | None = None, *, relationship: Relationship | None = None
) -> dict[str, Any]:
    if permission is None and relationship is None:
        raise ValueError("requires() needs a permission or a relationship")
    parts = []
    if permission is not None:
        parts.append(f"Requires {permission.value}")
    if relationship is Relationship.PUBLIC:
        parts.append("Public: no sign-in needed")
    elif relationship is Relationship.AUTHENTICATED:
        parts.append("Requires a signed-in user")
    elif relationship is not None:
        parts.append(f"{'or' if permission else 'Requires'} the {relationship.value} relationship")
    return {
        "extensions": [Guard([Allow(permission, relationship)], use_directives=True)],
        "description": " ".join(parts) + ".",
    }


def describe(text: str, requirement: dict[str, Any]) -> dict[str, Any]:
    """Puts a field's own description before what it requires."""
    return {**requirement, "description": f"{text}\n\n{requirement['description']}"}
