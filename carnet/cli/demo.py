"""Development data: a demo organization with one staff user per role, a pending invitation
and a scheduled deactivation, and a second organization.

Idempotent: running it again changes nothing. Refused in production by the CLI.
"""

from __future__ import annotations

from datetime import timedelta

from carnet.auth import hash_password
from carnet.cli.demo_accounts import seed_demo_accounts
from carnet.cli.demo_billing import seed_demo_billing
from carnet.cli.demo_contacts import seed_demo_contacts
from carnet.cli.demo_documents import seed_demo_documents
from carnet.cli.demo_team_billing import seed_demo_team_billing
from carnet.cli.demo_teams import seed_demo_team
from models.contacts import Contact, ContactSource
from models.identity import User
from models.messaging import OutboxMessage, OutboxStatus
from models.organizations import Organization
from models.staff import Invitation, InvitationKind, MembershipStatus, Role, StaffMembership
from models.tasks import Task
from resolvers.common.time import now, today_in
from resolvers.contacts.interactions import record_interaction
from resolvers.staff.invitations import SEND_INVITATION

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
            await _in_address_book(organization, user)
            lines.append(f"    {role.value:<14} {email}")
    club = await Organization.get(name=DEMO_ORGANIZATIONS[0][0])
    lines += await _staff_lifecycle(club, "club")
    households = await seed_demo_accounts(club, password_hash)
    contacts = await seed_demo_contacts(club)
    lines.append(f"    {contacts} contacts in the address book (search, filters, groups, colours)")
    lines += await seed_demo_team(club, f"club.{DEMO_DOMAIN}")
    lines += households
    lines += await seed_demo_billing(club)
    # After the ledger's demo, which seeds only a club with no invoice yet.
    lines += await seed_demo_team_billing(club, f"club.{DEMO_DOMAIN}")
    lines += await seed_demo_documents(club)
    return lines


async def _in_address_book(organization: Organization, user: User) -> None:
    """Staff land in their organization's address book (source STAFF_MEMBERSHIP), as
    `staffAdd` and `organizationCreate` put them there; the seed writes memberships directly,
    so it takes the same path here. Skipped once the login has its contact (idempotent, and
    it completes a demo database seeded before staff were added)."""
    if await Contact.filter(organization=organization, user=user).exists():
        return
    await record_interaction(
        organization.id,
        user=user,
        first_name=user.first_name,
        last_name=user.last_name,
        source=ContactSource.STAFF_MEMBERSHIP,
    )


async def _staff_lifecycle(organization: Organization, slug: str) -> list[str]:
    """One pending invitation and one scheduled deactivation, to see both in the API."""
    email = f"invited@{slug}.{DEMO_DOMAIN}"
    invitee, created = await User.get_or_create(
        email=email, defaults={"password_hash": "", "first_name": "Invited", "last_name": "Demo"}
    )
    if created:
        owner = await User.get(email=f"owner@{slug}.{DEMO_DOMAIN}")
        membership = await StaffMembership.create(
            organization=organization,
            user=invitee,
            role=Role.AGENT,
            status=MembershipStatus.INVITED,
        )
        invitation = await Invitation.create(
            organization=organization,
            kind=InvitationKind.STAFF,
            user=invitee,
            email=email,
            membership=membership,
            invited_by=owner,
            send_requested_at=now(),
            expires_at=now() + timedelta(days=7),
        )
        # Recorded, not enqueued: the worker's sweeper sends it shortly after start-up.
        await Task.create(function=SEND_INVITATION, args=[invitation.id])
        viewer = await User.get(email=f"viewer@{slug}.{DEMO_DOMAIN}")
        await StaffMembership.filter(organization=organization, user=viewer).update(
            deactivate_on=today_in(organization.timezone) + timedelta(days=30)
        )
    return [
        f"    pending invitation for {email} (its link appears in `carnet outbox`)",
        f"    viewer@{slug}.{DEMO_DOMAIN} is scheduled for deactivation in 30 days",
    ]


async def recent_outbox(limit: int) -> list[str]:
    """The latest messages, with their links as the development `outbox` backend kept them:
    a one-time link is minted when its message is sent, and kept nowhere else."""
    lines = []
    for message in await OutboxMessage.all().order_by("-id").limit(limit):
        lines.append(
            f"#{message.id} {message.created_at:%Y-%m-%d %H:%M} {message.channel} "
            f"{message.status} to {message.recipient}: {message.subject or message.template}"
        )
        lines.extend(f"    {link}" for link in message.links)
        if message.link_path and not message.links:
            lines.append(f"    {_missing_link(message)}")
    return lines


def _missing_link(message: OutboxMessage) -> str:
    if message.status in (OutboxStatus.PENDING, OutboxStatus.SENDING):
        return "(its link is minted when the worker sends it: is `carnet worker` running?)"
    if message.status is OutboxStatus.SENT:
        return "(link not kept: only the outbox email backend keeps it, outside production)"
    return "(not sent)"
