"""Authorization-matrix examples for the colour palette (see tests/support/authz.py).

Each call builds its own records, so allowed calls never collide with one another.
"""

from __future__ import annotations

from itertools import count

from models.colours import Colour
from tests.support.authz import example
from tests.support.contacts import a_new_name, gid, new_contact, organization_id

_serial = count()
ERRORS = "errors { code field }"


async def a_fresh_colour(world, caller):
    colour = await Colour.create(
        organization=world.organization, name=f"Colour {next(_serial)}", hex="#123456"
    )
    return {"id": gid(colour)}


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


example(
    "Query.colours",
    "query($organizationId: ID!) { colours(organizationId: $organizationId) { id name hex } }",
    organization_id,
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
