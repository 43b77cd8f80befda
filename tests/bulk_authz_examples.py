"""Authorization-matrix examples for bulk operations (see tests/support/authz.py).

Each call builds its own records. A batch action needs bulk.run AND its own permission.
"""

from __future__ import annotations

from itertools import count

from models.bulk import BulkOperation, BulkOperationKind, BulkOperationState
from schema import ids
from tests.support.authz import example
from tests.support.contacts import gid, new_contact, organization_id

_serial = count()
ERRORS = "errors { code field }"


async def a_running_operation(world, caller):
    operation = await BulkOperation.create(
        organization=world.organization,
        kind=BulkOperationKind.CONTACT_COLOUR_SET,
        record_type="contact",
        state=BulkOperationState.RUNNING,
        total=1,
    )
    return {"id": ids.encode("BulkOperation", operation.id)}


async def a_fresh_contact(world, caller):
    contact = await new_contact(world.organization, f"Bulk {next(_serial)}")
    return {"organizationId": world.org_gid, "c": gid(contact)}


example(
    "Query.bulkOperations",
    "query($organizationId: ID!) { bulkOperations(organizationId: $organizationId, first: 5) "
    "{ edges { node { id state } } } }",
    organization_id,
)
example(
    "Query.bulkOperation",
    "query($id: ID!) { bulkOperation(id: $id) { id state total "
    "results(first: 5) { edges { node { recordId status } } } } }",
    a_running_operation,
)
example(
    "Mutation.bulkOperationCancel",
    "mutation($id: ID!) { bulkOperationCancel(input: {id: $id}) "
    f"{{ operation {{ id state }} {ERRORS} }} }}",
    a_running_operation,
)
example(
    "Mutation.contactsBulkColourSet",
    "mutation($organizationId: ID!, $c: ID!) { contactsBulkColourSet(input: "
    "{organizationId: $organizationId, target: {contactIds: [$c]}}) "
    f"{{ operation {{ id total }} {ERRORS} }} }}",
    a_fresh_contact,
)


async def a_fresh_group_and_contact(world, caller):
    from models.groups import Group

    group = await Group.create(organization=world.organization, name=f"Team {next(_serial)}")
    return {**await a_fresh_contact(world, caller), "g": gid(group)}


for _field in ("contactsBulkGroupAdd", "contactsBulkGroupRemove"):
    example(
        f"Mutation.{_field}",
        f"mutation($organizationId: ID!, $g: ID!, $c: ID!) {{ {_field}(input: "
        "{organizationId: $organizationId, groupId: $g, target: {contactIds: [$c]}}) "
        f"{{ operation {{ id total }} {ERRORS} }} }}",
        a_fresh_group_and_contact,
    )
