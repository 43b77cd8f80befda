"""Authorization-matrix examples for the contact fields (see tests/support/authz.py).

Each call acts on contacts (and users) of its own, so allowed calls never collide.
"""

from __future__ import annotations

from itertools import count

from models.contacts import Contact
from resolvers.common.time import now
from resolvers.contacts.records import refresh_derived
from schema import ids
from tests.support.authz import example
from tests.support.world import make_member

_serial = count()


async def _contact(world, **fields) -> Contact:
    contact = Contact(
        organization_id=world.organization.id, first_name=f"Authz {next(_serial)}", **fields
    )
    refresh_derived(contact)
    await contact.save()
    return contact


async def organization_id(world, caller):
    return {"organizationId": world.org_gid}


async def a_fresh_contact(world, caller):
    return {"id": ids.encode("Contact", (await _contact(world)).id)}


async def a_fresh_archived_contact(world, caller):
    return {"id": ids.encode("Contact", (await _contact(world, archived_at=now())).id)}


async def a_fresh_contact_and_user(world, caller):
    # The contact has the login's (verified) address: a user one may link.
    member = await make_member(f"linkable{next(_serial)}@example.test", "", None, None)
    contact = await _contact(world, email=member.user.email)
    return {"id": ids.encode("Contact", contact.id), "userId": member.gid}


async def a_fresh_linked_contact(world, caller):
    member = await make_member(f"linked{next(_serial)}@example.test", "", None, None)
    contact = await _contact(world, user_id=member.user.id)
    return {"id": ids.encode("Contact", contact.id)}


CONTACT = "contact { id } errors { code }"

example(
    "Query.contact",
    "query($id: ID!) { contact(id: $id) { id displayName consentHistory { status } } }",
    a_fresh_contact,
)
example(
    "Query.contacts",
    "query($organizationId: ID!) { contacts(organizationId: $organizationId, first: 5) "
    "{ edges { node { id displayName } } } }",
    organization_id,
)
example(
    "Mutation.contactCreate",
    "mutation($organizationId: ID!) { contactCreate(input: {organizationId: $organizationId, "
    f'firstName: "New"}}) {{ {CONTACT} }} }}',
    organization_id,
)
example(
    "Mutation.contactUpdate",
    f'mutation($id: ID!) {{ contactUpdate(input: {{id: $id, city: "Laval"}}) {{ {CONTACT} }} }}',
    a_fresh_contact,
)
example(
    "Mutation.contactArchive",
    f"mutation($id: ID!) {{ contactArchive(input: {{id: $id}}) {{ {CONTACT} }} }}",
    a_fresh_contact,
)
example(
    "Mutation.contactRestore",
    f"mutation($id: ID!) {{ contactRestore(input: {{id: $id}}) {{ {CONTACT} }} }}",
    a_fresh_archived_contact,
)
example(
    "Mutation.contactConsentSet",
    "mutation($id: ID!) { contactConsentSet(input: {contactId: $id, channel: EMAIL, "
    f'status: EXPRESS, source: "phone call"}}) {{ {CONTACT} }} }}',
    a_fresh_contact,
)
example(
    "Mutation.contactUserLink",
    "mutation($id: ID!, $userId: ID!) { contactUserLink(input: {contactId: $id, "
    f"userId: $userId}}) {{ {CONTACT} }} }}",
    a_fresh_contact_and_user,
)
example(
    "Mutation.contactUserUnlink",
    f"mutation($id: ID!) {{ contactUserUnlink(input: {{contactId: $id}}) {{ {CONTACT} }} }}",
    a_fresh_linked_contact,
)
