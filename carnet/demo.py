"""Development data: a demo organization with one staff user per role, and a second one.

Idempotent: running it again changes nothing. Refused in production by the CLI.
"""

from __future__ import annotations

from carnet.auth import hash_password
from models.identity import User
from models.messaging import OutboxMessage
from models.organizations import MembershipStatus, Organization, Role, StaffMembership
from resolvers.common.time import now

DEMO_PASSWORD = "demo-password"
DEMO_DOMAIN = "demo.carnet.test"
DEMO_ORGANIZATIONS = [
    ("Club Demo", "club", list(Role)),
    ("Autre Club", "autre", [Role.OWNER]),
]


async def _user(email: str, first_name: str, last_name: str, password_hash: str) -> User:
    user, _ = await User.get_or_create(
        email=email,
        defaults={
            "password_hash": password_hash,
            "first_name": first_name,
            "last_name": last_name,
            "email_verified_at": now(),
        },
    )
    return user


async def seed_demo() -> list[str]:
    password_hash = await hash_password(DEMO_PASSWORD)
    lines = [
        "Demo sign-in details (password for every account: "
        f"{DEMO_PASSWORD}); in GraphiQL run tokenCreate with one of these emails:"
    ]
    for name, slug, roles in DEMO_ORGANIZATIONS:
        organization = await Organization.filter(name=name).first()
        if organization is None:
            organization = await Organization.create(
                name=name,
                legal_name=f"{name} inc.",
                city="Montréal",
                region="QC",
                country="CA",
                locale="fr" if slug == "autre" else "en",
                sender_name=name,
                sender_email=f"info@{slug}.{DEMO_DOMAIN}",
            )
        lines.append(f"  {name}:")
        for role in roles:
            email = f"{role.value.lower().replace('_', '-')}@{slug}.{DEMO_DOMAIN}"
            user = await _user(email, role.value.replace("_", " ").title(), name, password_hash)
            await StaffMembership.get_or_create(
                organization=organization,
                user=user,
                defaults={"role": role, "status": MembershipStatus.ACTIVE},
            )
            lines.append(f"    {role.value:<14} {email}")
    return lines


async def recent_outbox(limit: int) -> list[str]:
    lines = []
    for message in await OutboxMessage.all().order_by("-id").limit(limit):
        lines.append(
            f"#{message.id} {message.created_at:%Y-%m-%d %H:%M} {message.channel} "
            f"{message.status} to {message.recipient}: {message.subject}"
        )
        lines.extend(f"    {link}" for link in message.links)
    return lines
