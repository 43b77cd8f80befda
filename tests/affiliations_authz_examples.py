"""Authorization-matrix examples for affiliations (see tests/support/authz.py).

Each call builds its own records, so allowed calls never collide with one another.
"""

from __future__ import annotations

from models.affiliations import Affiliation
from models.contacts import ContactKind
from tests.support.authz import example
from tests.support.contacts import gid, new_contact

ERRORS = "errors { code field }"


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
