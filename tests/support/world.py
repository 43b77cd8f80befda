"""Fixture data: an organization with one staff user per role, and a second organization."""

from __future__ import annotations

from dataclasses import dataclass, field

from carnet.settings import current_settings
from models.identity import User
from models.organizations import Organization
from models.staff import MembershipStatus, Role, StaffMembership
from resolvers.common.actor import RequestMeta
from resolvers.common.time import now
from resolvers.identity.sessions import start_session
from schema import ids


@dataclass
class Member:
    user: User
    membership: StaffMembership | None
    token: str
    refresh_token: str
    password: str

    @property
    def gid(self) -> str:
        return ids.encode("User", self.user.id)


@dataclass
class World:
    organization: Organization
    other_organization: Organization
    staff: dict[Role, Member] = field(default_factory=dict)
    outsider: Member | None = None  # OWNER of the other organization only
    loner: Member | None = None  # a verified user with no organization

    @property
    def org_gid(self) -> str:
        return ids.encode("Organization", self.organization.id)

    @property
    def other_org_gid(self) -> str:
        return ids.encode("Organization", self.other_organization.id)

    def __getattr__(self, name: str) -> Member:
        try:
            return self.staff[Role[name.upper()]]
        except KeyError:
            raise AttributeError(name) from None


PASSWORD = "correct horse battery"


async def make_member(
    email: str,
    password_hash: str,
    organization: Organization | None,
    role: Role | None,
    *,
    verified: bool = True,
) -> Member:
    """A user (with `email` proven unless `verified` is false) signed in on one device,
    active staff with `role` in `organization` when both are given."""
    user = await User.create(
        email=email,
        password_hash=password_hash,
        first_name=email.split("@")[0].title(),
        last_name="Test",
        email_verified_at=now() if verified else None,
    )
    membership = None
    if organization is not None and role is not None:
        membership = await StaffMembership.create(
            organization=organization, user=user, role=role, status=MembershipStatus.ACTIVE
        )
    issued = await start_session(user, "pytest", RequestMeta(), current_settings())
    return Member(user, membership, issued.access_token, issued.refresh_token, PASSWORD)


async def build_world(password_hash: str) -> World:
    organization = await Organization.create(name="Club Alpha", timezone="America/Toronto")
    other = await Organization.create(name="Club Beta", timezone="America/Vancouver")
    world = World(organization=organization, other_organization=other)
    for role in Role:
        email = f"{role.value.lower().replace('_', '-')}@alpha.test"
        world.staff[role] = await make_member(email, password_hash, organization, role)
    world.outsider = await make_member("owner@beta.test", password_hash, other, Role.OWNER)
    world.loner = await make_member("loner@example.test", password_hash, None, None)
    return world
