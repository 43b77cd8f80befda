"""A few hundred varied, deterministic demo contacts for the demo club (development only).

Accented names, families sharing a surname, organizations with affiliated people, groups,
colours and every consent status, so search, filters and sorting have something to show.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from models.affiliations import Affiliation
from models.colours import Colour
from models.contacts import (
    ConsentChannel,
    ConsentRecord,
    ConsentStatus,
    Contact,
    ContactKind,
    ContactSource,
)
from models.groups import Group, GroupMember
from models.organizations import Organization
from resolvers.common.time import now
from resolvers.contacts.records import refresh_derived

FIRST = [
    "Marie-Ève",
    "Léa",
    "Zoé",
    "Émile",
    "Noah",
    "Chloé",
    "Félix",
    "Camille",
    "Raphaël",
    "Juliette",
    "Thomas",
    "Éloïse",
    "Gabriel",
    "Maëlle",
    "Louis",
    "Océane",
    "Jérémie",
    "Anaïs",
    "Samuel",
    "Inès",
    "Olivier",
    "Béatrice",
    "Nathan",
    "Rosalie",
    "Hugo",
]
LAST = [
    "Tremblay",
    "Gagnon",
    "Roy",
    "Côté",
    "Bouchard",
    "Gauthier",
    "Morin",
    "Lavoie",
    "Fortin",
    "Gagné",
    "Ouellet",
    "Pelletier",
    "Bélanger",
    "Lévesque",
    "Bergeron",
    "Leblanc",
    "Paquette",
    "Girard",
    "Simard",
    "Boucher",
    "Dèsjardins",
    "Caron",
]
ORGANIZATIONS = [
    ("École Saint-Jean", "Directeur"),
    ("Association des parents", "Trésorière"),
    ("Club Rival de Laval", "Entraîneur"),
    ("Ville de Montréal — Loisirs", "Agent"),
    ("Collège Jean-de-Brébeuf", "Professeur d’éducation physique"),
]
GROUPS = ["Juniors", "Seniors", "Parents", "Entraîneurs", "Bénévoles", "Liste d’attente"]
COLOURS = [("VIP", "#d4af37"), ("Bénévole", "#2e8b57"), ("À rappeler", "#dc143c")]
PEOPLE = 300


async def seed_demo_contacts(organization: Organization) -> int:
    """Creates the demo contacts once; returns how many contacts the organization has."""
    if await Contact.filter(organization=organization, source=ContactSource.IMPORT).exists():
        return await Contact.filter(organization=organization).count()
    rng = random.Random(2026)
    colours = [await Colour.create(organization=organization, name=n, hex=h) for n, h in COLOURS]
    groups = [await Group.create(organization=organization, name=n) for n in GROUPS]
    organizations = []
    for name, _ in ORGANIZATIONS:
        contact = Contact(
            organization=organization,
            kind=ContactKind.ORGANIZATION,
            organization_name=name,
            source=ContactSource.IMPORT,
            city="Montréal",
            region="QC",
            country="CA",
        )
        refresh_derived(contact)
        await contact.save()
        organizations.append(contact)
    today = date.today()
    for i in range(PEOPLE):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        has_email = rng.random() < 0.85
        email = f"{fold_ascii(first)}.{fold_ascii(last)}{i}@exemple.test" if has_email else None
        phone = f"+1514555{i:04d}" if rng.random() < 0.6 else None
        age_days = rng.randint(6 * 365, 75 * 365)
        contact = Contact(
            organization=organization,
            kind=ContactKind.PERSON,
            first_name=first,
            last_name=last,
            email=email,
            phone=phone,
            birth_date=today - timedelta(days=age_days) if rng.random() < 0.8 else None,
            locale=rng.choice(["fr", "fr", "en"]),
            city=rng.choice(["Montréal", "Laval", "Longueuil"]),
            region="QC",
            country="CA",
            source=ContactSource.IMPORT,
            colour=rng.choice(colours) if rng.random() < 0.15 else None,
            last_activity_at=now() - timedelta(days=rng.randint(0, 700))
            if rng.random() < 0.7
            else None,
            do_not_contact=rng.random() < 0.03,
        )
        refresh_derived(contact)
        await contact.save()
        await _consent(contact, rng)
        for group in rng.sample(groups, k=rng.choice([0, 1, 1, 2])):
            await GroupMember.create(group=group, contact=contact)
        if rng.random() < 0.08:
            index = rng.randrange(len(organizations))
            await Affiliation.create(
                person=contact,
                organization_contact=organizations[index],
                role_title=ORGANIZATIONS[index][1],
            )
    return await Contact.filter(organization=organization).count()


async def _consent(contact: Contact, rng: random.Random) -> None:
    status = rng.choice(
        [
            ConsentStatus.NOT_ASKED,
            ConsentStatus.EXPRESS,
            ConsentStatus.IMPLIED,
            ConsentStatus.WITHDRAWN,
            ConsentStatus.EXPRESS,
        ]
    )
    if status is ConsentStatus.NOT_ASKED or contact.email is None:
        return
    expires = (
        now() + timedelta(days=rng.randint(-30, 700)) if status is ConsentStatus.IMPLIED else None
    )
    await ConsentRecord.create(
        contact=contact,
        channel=ConsentChannel.EMAIL,
        status=status,
        source="demo import",
        proof="Demo data",
        expires_at=expires,
    )
    contact.email_consent, contact.email_consent_expires_at = status, expires
    await contact.save(update_fields=["email_consent", "email_consent_expires_at"])


def fold_ascii(text: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())
