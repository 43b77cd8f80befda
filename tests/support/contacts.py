"""Contacts made directly in the database, as contactCreate would leave them, and the
global ids of address-book records: shared by the tests and the authorization examples
of every address-book domain.
"""

from __future__ import annotations

from itertools import count

from models.affiliations import Affiliation
from models.colours import Colour
from models.contacts import Contact, ContactKind
from models.groups import Group
from models.organizations import Organization
from resolvers.common.time import now
from schema import ids

_serial = count()


async def new_contact(
    organization: Organization,
    name: str | None = None,
    *,
    kind: ContactKind = ContactKind.PERSON,
    archived: bool = False,
) -> Contact:
    """A contact made directly in the database, as contactCreate would leave it."""
    name = name or f"Contact {next(_serial)}"
    if kind is ContactKind.ORGANIZATION:
        names = {"organization_name": name}
    else:
        first, _, last = name.partition(" ")
        names = {"first_name": first, "last_name": last}
    return await Contact.create(
        organization=organization,
        kind=kind,
        sort_name=name,
        search_text=name.lower(),
        archived_at=now() if archived else None,
        **names,
    )


def gid(record) -> str:
    return ids.encode(
        {Contact: "Contact", Colour: "Colour", Group: "Group", Affiliation: "Affiliation"}[
            type(record)
        ],
        record.id,
    )


async def organization_id(world, caller):
    return {"organizationId": world.org_gid}


async def a_new_name(world, caller):
    return {"organizationId": world.org_gid, "name": f"Name {next(_serial)}"}
