"""Demo client accounts for the demo club (development only): a household managed by the
organization (no email), one whose holder's activation is pending, and one whose holder
signs in (client@club...) and shares a child with the first (separated parents).

Idempotent: once the club has accounts, nothing is added.
"""

from __future__ import annotations

from datetime import date, timedelta

from models.accounts import AccessLevel, AccountContact, AccountContactKind, ClientAccount
from models.contacts import Contact
from models.identity import User
from models.organizations import Organization
from models.staff import Invitation, InvitationKind
from models.tasks import Task
from resolvers.accounts.activation import SEND_ACCOUNT_INVITATION
from resolvers.common.time import now
from resolvers.contacts.records import fold, refresh_derived

CLIENT_EMAIL = "client@club.demo.carnet.test"
PENDING_EMAIL = "julie.gagnon@club.demo.carnet.test"


async def _person(organization, first, last, born, email=None, user=None) -> Contact:
    contact = Contact(
        organization=organization,
        first_name=first,
        last_name=last,
        birth_date=born,
        email=email,
        user=user,
    )
    refresh_derived(contact)
    await contact.save()
    return contact


async def _household(organization, name, holder, members) -> tuple[ClientAccount, AccountContact]:
    account = await ClientAccount.create(
        organization=organization, name=name, sort_name=fold(name), primary_contact=holder
    )
    link = await AccountContact.create(
        account=account,
        contact=holder,
        kind=AccountContactKind.MEMBER,
        access_level=AccessLevel.FULL,
    )
    for member in members:
        await AccountContact.create(account=account, contact=member, kind=AccountContactKind.MEMBER)
    return account, link


async def seed_demo_accounts(club: Organization, password_hash: str) -> list[str]:
    lines = [
        "    client accounts: Tremblay (managed, no email), Gagnon (activation pending, "
        f"see `carnet outbox`), Roy ({CLIENT_EMAIL} signs in: `me {{ accounts }}`)"
    ]
    if await ClientAccount.filter(organization=club).exists():
        return lines
    marie = await _person(club, "Marie", "Tremblay", date(1982, 3, 14))
    lea = await _person(club, "Léa", "Tremblay", date(2015, 6, 2))
    noah = await _person(club, "Noah", "Tremblay", date(2018, 9, 21))
    await _household(club, "Tremblay", marie, [lea, noah])

    invitee, _ = await User.get_or_create(
        email=PENDING_EMAIL,
        defaults={"password_hash": "", "first_name": "Julie", "last_name": "Gagnon"},
    )
    julie = await _person(club, "Julie", "Gagnon", date(1979, 11, 5), email=PENDING_EMAIL)
    felix = await _person(club, "Félix", "Gagnon", date(2012, 1, 30))
    _, link = await _household(club, "Gagnon", julie, [felix])
    invitation = await Invitation.create(
        organization=club,
        kind=InvitationKind.ACCOUNT,
        user=invitee,
        email=PENDING_EMAIL,
        first_name="Julie",
        last_name="Gagnon",
        send_requested_at=now(),
        expires_at=now() + timedelta(days=7),
    )
    link.invitation = invitation
    await link.save()
    # Recorded, not enqueued: the worker's sweeper sends it shortly after start-up.
    await Task.create(function=SEND_ACCOUNT_INVITATION, args=[invitation.id])

    client, _ = await User.get_or_create(
        email=CLIENT_EMAIL,
        defaults={
            "password_hash": password_hash,
            "first_name": "Paul",
            "last_name": "Roy",
            "email_verified_at": now(),
        },
    )
    paul = await _person(club, "Paul", "Roy", date(1980, 7, 9), email=CLIENT_EMAIL, user=client)
    await _household(club, "Roy", paul, [lea])
    return lines
