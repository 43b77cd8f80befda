"""Authorization-matrix examples for groups, colours and affiliations (see tests/support/authz.py).

Each call builds its own records, so allowed calls never collide with one another. The
contact builder is shared with tests/contacts, which need contacts before contactCreate
exists.
"""

from __future__ import annotations

from itertools import count

from models.affiliations import Affiliation
from models.colours import Colour
from models.contacts import Contact, ContactKind
from models.groups import Group, GroupMember
from models.organizations import Organization
from resolvers.common.time import now
from schema import ids
from tests.support.authz import example

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


async def a_fresh_colour(world, caller):
    colour = await Colour.create(
        organization=world.organization, name=f"Colour {next(_serial)}", hex="#123456"
    )
    return {"id": gid(colour)}


async def a_fresh_group(world, caller):
    group = await Group.create(organization=world.organization, name=f"Group {next(_serial)}")
    return {"id": gid(group)}


async def a_new_name(world, caller):
    return {"organizationId": world.org_gid, "name": f"Name {next(_serial)}"}


async def a_contact_and_colour(world, caller):
    colour = await a_fresh_colour(world, caller)
    contact = await new_contact(world.organization)
    return {"contactId": gid(contact), "colourId": colour["id"]}


async def contacts_and_colour(world, caller):
    colour = await a_fresh_colour(world, caller)
    contacts = [await new_contact(world.organization) for _ in range(2)]
    return {
        "organizationId": world.org_gid,
        "contactIds": [gid(c) for c in contacts],
        "colourId": colour["id"],
    }


async def a_group_and_contact(world, caller):
    group = await a_fresh_group(world, caller)
    contact = await new_contact(world.organization)
    return {"groupId": group["id"], "contactIds": [gid(contact)]}


async def a_group_with_a_member(world, caller):
    variables = await a_group_and_contact(world, caller)
    await GroupMember.create(
        group_id=ids.decode(variables["groupId"])[1],
        contact_id=ids.decode(variables["contactIds"][0])[1],
    )
    return variables


async def a_person_and_organization(world, caller):
    person = await new_contact(world.organization)
    school = await new_contact(world.organization, kind=ContactKind.ORGANIZATION)
    return {"personId": gid(person), "organizationContactId": gid(school)}


async def a_fresh_affiliation(world, caller):
    person = await new_contact(world.organization)
    school = await new_contact(world.organization, kind=ContactKind.ORGANIZATION)
    affiliation = await Affiliation.create(
        person=person, organization_contact=school, role_title="Coach"
    )
    return {"id": gid(affiliation)}


ERRORS = "errors { code field }"

example(
    "Query.colours",
    "query($organizationId: ID!) { colours(organizationId: $organizationId) { id name hex } }",
    organization_id,
)
example(
    "Query.groups",
    "query($organizationId: ID!) { groups(organizationId: $organizationId, first: 5) "
    "{ edges { node { id name memberCount } } } }",
    organization_id,
)
example(
    "Query.group",
    "query($id: ID!) { group(id: $id) { id name memberCount } }",
    a_fresh_group,
)
example(
    "Mutation.colourCreate",
    "mutation($organizationId: ID!, $name: String!) { colourCreate(input: {organizationId: "
    f'$organizationId, name: $name, hex: "#AbCdEf"}}) {{ colour {{ id hex }} {ERRORS} }} }}',
    a_new_name,
)
example(
    "Mutation.colourUpdate",
    'mutation($id: ID!) { colourUpdate(input: {id: $id, hex: "#000000"}) '
    f"{{ colour {{ id hex }} {ERRORS} }} }}",
    a_fresh_colour,
)
example(
    "Mutation.colourDelete",
    f"mutation($id: ID!) {{ colourDelete(input: {{id: $id}}) {{ deletedColourId {ERRORS} }} }}",
    a_fresh_colour,
)
example(
    "Mutation.contactColourSet",
    "mutation($contactId: ID!, $colourId: ID) { contactColourSet(input: {contactId: "
    f"$contactId, colourId: $colourId}}) {{ contact {{ id }} {ERRORS} }} }}",
    a_contact_and_colour,
)
example(
    "Mutation.contactsColourSet",
    "mutation($organizationId: ID!, $contactIds: [ID!]!, $colourId: ID) { contactsColourSet("
    "input: {organizationId: $organizationId, contactIds: $contactIds, colourId: $colourId}) "
    f"{{ contacts {{ id }} {ERRORS} }} }}",
    contacts_and_colour,
)
example(
    "Mutation.groupCreate",
    "mutation($organizationId: ID!, $name: String!) { groupCreate(input: {organizationId: "
    f"$organizationId, name: $name}}) {{ group {{ id name }} {ERRORS} }} }}",
    a_new_name,
)
example(
    "Mutation.groupUpdate",
    'mutation($id: ID!) { groupUpdate(input: {id: $id, description: "Under 12"}) '
    f"{{ group {{ id description }} {ERRORS} }} }}",
    a_fresh_group,
)
example(
    "Mutation.groupDelete",
    f"mutation($id: ID!) {{ groupDelete(input: {{id: $id}}) {{ deletedGroupId {ERRORS} }} }}",
    a_fresh_group,
)
example(
    "Mutation.groupAddContacts",
    "mutation($groupId: ID!, $contactIds: [ID!]!) { groupAddContacts(input: {groupId: "
    f"$groupId, contactIds: $contactIds}}) {{ addedCount {ERRORS} }} }}",
    a_group_and_contact,
)
example(
    "Mutation.groupRemoveContacts",
    "mutation($groupId: ID!, $contactIds: [ID!]!) { groupRemoveContacts(input: {groupId: "
    f"$groupId, contactIds: $contactIds}}) {{ removedCount {ERRORS} }} }}",
    a_group_with_a_member,
)
example(
    "Mutation.affiliationCreate",
    "mutation($personId: ID!, $organizationContactId: ID!) { affiliationCreate(input: "
    '{personId: $personId, organizationContactId: $organizationContactId, roleTitle: "Coach"}) '
    f"{{ affiliation {{ id roleTitle }} {ERRORS} }} }}",
    a_person_and_organization,
)
example(
    "Mutation.affiliationUpdate",
    'mutation($id: ID!) { affiliationUpdate(input: {id: $id, roleTitle: "Principal"}) '
    f"{{ affiliation {{ id roleTitle }} {ERRORS} }} }}",
    a_fresh_affiliation,
)
example(
    "Mutation.affiliationDelete",
    "mutation($id: ID!) { affiliationDelete(input: {id: $id}) "
    f"{{ deletedAffiliationId {ERRORS} }} }}",
    a_fresh_affiliation,
)
