"""Batch loaders for contact lists: one query per page for each related list, whatever the
page size. Keys are ids of contacts the caller already may see.
"""

from __future__ import annotations

from collections import defaultdict

from models.affiliations import Affiliation
from models.colours import Colour
from models.contacts import ConsentChannel, ConsentRecord
from models.groups import Group, GroupMember
from resolvers.contacts import consent
from resolvers.contacts.contacts import is_subscriber


async def groups_of(contact_ids: list[int]) -> list[list[Group]]:
    """Each contact's groups, by name."""
    rows = await GroupMember.filter(contact_id__in=contact_ids).select_related("group")
    found: dict[int, list[Group]] = defaultdict(list)
    for row in rows:
        found[row.contact_id].append(row.group)
    return [sorted(found[pk], key=lambda g: (g.name.casefold(), g.id)) for pk in contact_ids]


async def colours(colour_ids: list[int]) -> list[Colour | None]:
    found = {c.id: c for c in await Colour.filter(id__in=colour_ids)}
    return [found.get(pk) for pk in colour_ids]


async def affiliations_of_people(person_ids: list[int]) -> list[list[Affiliation]]:
    """Each person's affiliations, with both contacts fetched in the same query."""
    rows = (
        await Affiliation.filter(person_id__in=person_ids)
        .select_related("person", "organization_contact")
        .order_by("organization_contact__sort_name", "id")
    )
    found: dict[int, list[Affiliation]] = defaultdict(list)
    for row in rows:
        found[row.person_id].append(row)
    return [found[pk] for pk in person_ids]


async def affiliated_people(organization_contact_ids: list[int]) -> list[list[Affiliation]]:
    """The people affiliated with each organization contact, by name."""
    rows = (
        await Affiliation.filter(organization_contact_id__in=organization_contact_ids)
        .select_related("person", "organization_contact")
        .order_by("person__sort_name", "id")
    )
    found: dict[int, list[Affiliation]] = defaultdict(list)
    for row in rows:
        found[row.organization_contact_id].append(row)
    return [found[pk] for pk in organization_contact_ids]


async def subscriber_flags(contact_ids: list[int]) -> list[bool]:
    flags = await is_subscriber(contact_ids)
    return [flags.get(pk, False) for pk in contact_ids]


async def consent_histories(
    keys: list[tuple[int, ConsentChannel | None]],
) -> list[list[ConsentRecord]]:
    """Consent records per (contact id, channel or None for both), newest first."""
    by_contact: dict[int, list[ConsentRecord]] = defaultdict(list)
    for row in await consent.history(list({contact_id for contact_id, _ in keys})):
        by_contact[row.contact_id].append(row)
    return [
        [r for r in by_contact[contact_id] if channel in (None, r.channel)]
        for contact_id, channel in keys
    ]
