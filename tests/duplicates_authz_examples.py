"""Authorization-matrix examples for duplicate contacts (see tests/support/authz.py).

Each merge acts on two contacts of its own, so allowed calls never collide.
"""

from __future__ import annotations

from resolvers.duplicates import suggestions
from tests.support.authz import example
from tests.support.contacts import gid, new_contact, organization_id


async def two_fresh_contacts(world, caller):
    survivor = await new_contact(world.organization)
    other = await new_contact(world.organization)
    return {"survivorId": gid(survivor), "otherIds": [gid(other)]}


example(
    "Query.contactDuplicates",
    "query($organizationId: ID!) { contactDuplicates(organizationId: $organizationId, "
    "first: 5) { edges { node { first { id } second { id } reasons } } } }",
    organization_id,
)
example(
    "Mutation.contactMerge",
    "mutation($survivorId: ID!, $otherIds: [ID!]!) { contactMerge(input: "
    "{survivorId: $survivorId, otherIds: $otherIds}) { contact { id } errors { code } } }",
    two_fresh_contacts,
)


async def a_fresh_suggested_pair(world, caller):
    first = await new_contact(world.organization)
    second = await new_contact(world.organization)
    for contact in (first, second):
        contact.email = f"pair{first.id}@example.test"
        await contact.save(update_fields=["email"])
    await suggestions.refresh_suggestions(world.organization.id, [first.id, second.id])
    return {"firstId": gid(first), "secondId": gid(second)}


example(
    "Mutation.contactDuplicateDismiss",
    "mutation($firstId: ID!, $secondId: ID!) { contactDuplicateDismiss(input: "
    "{firstId: $firstId, secondId: $secondId}) { duplicate { dismissedAt } errors { code } } }",
    a_fresh_suggested_pair,
)
