"""Authorization-matrix examples for contact groups (see tests/support/authz.py).

Each call builds its own records, so allowed calls never collide with one another.
"""

from __future__ import annotations

from itertools import count

from models.groups import Group, GroupMember
from schema import ids
from tests.support.authz import example
from tests.support.contacts import a_new_name, gid, new_contact, organization_id

_serial = count()
ERRORS = "errors { code field }"


async def a_fresh_group(world, caller):
    group = await Group.create(organization=world.organization, name=f"Group {next(_serial)}")
    return {"id": gid(group)}


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
