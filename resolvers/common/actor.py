"""Who is acting: the signed-in user and, for tenant work, their role in one organization."""

from __future__ import annotations

from dataclasses import dataclass

from models.identity import User
from models.organizations import Organization
from models.staff import Role, StaffMembership
from resolvers.common.permissions import ROLE_PERMISSIONS, Permission, Relationship


@dataclass(frozen=True)
class RequestMeta:
    request_id: str = ""
    ip_address: str = ""
    user_agent: str = ""
    locale: str = "en"


@dataclass(frozen=True)
class Actor:
    user: User
    organization: Organization
    membership: StaffMembership
    meta: RequestMeta = RequestMeta()

    @property
    def role(self) -> Role:
        return self.membership.role

    @property
    def permissions(self) -> frozenset[Permission]:
        return ROLE_PERMISSIONS[self.membership.role]

    @property
    def organization_id(self) -> int:
        return self.organization.id

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


@dataclass(frozen=True)
class Principal:
    """The signed-in user and what they are to the record at hand: a staff role in its
    organization (`staff`), relationships to it, or both. Either may grant a field."""

    user: User
    meta: RequestMeta = RequestMeta()
    organization_id: int | None = None  # the record's organization, if it has one
    staff: Actor | None = None
    relationships: frozenset[Relationship] = frozenset()

    def can(self, permission: Permission) -> bool:
        return self.staff is not None and self.staff.can(permission)

    def holds(self, relationship: Relationship) -> bool:
        return relationship in self.relationships
