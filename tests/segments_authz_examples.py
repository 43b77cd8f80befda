"""Authorization-matrix examples for saved segments (see tests/support/authz.py).

Each call builds its own records, so allowed calls never collide with one another. The
segment's own protected fields are read through `segment`, aliased to the field's name so
the matrix finds the answer where it looks.
"""

from __future__ import annotations

from itertools import count

from models.segments import Segment, SegmentKind
from schema import ids
from tests.support.authz import example
from tests.support.contacts import a_new_name, new_contact, organization_id

_serial = count()
ERRORS = "errors { code field }"


async def a_fresh_segment(world, caller):
    name = f"Segment {next(_serial)}"
    segment = await Segment.create(
        organization=world.organization, name=name, name_key=name.lower()
    )
    return {"id": ids.encode("Segment", segment.id)}


example(
    "Query.segments",
    "query($organizationId: ID!) { segments(organizationId: $organizationId, first: 5) "
    "{ edges { node { id name problems { code } } } } }",
    organization_id,
)
example(
    "Query.segment",
    "query($id: ID!) { segment(id: $id) { id name filter problems { code } } }",
    a_fresh_segment,
)
example(
    "Segment.contacts",
    "query($id: ID!) { contacts: segment(id: $id) { contacts(first: 5) "
    "{ edges { node { id } } } } }",
    a_fresh_segment,
)
example(
    "Segment.count",
    "query($id: ID!) { count: segment(id: $id) { count } }",
    a_fresh_segment,
)
example(
    "Mutation.segmentCreate",
    "mutation($organizationId: ID!, $name: String!) { segmentCreate(input: {organizationId: "
    f"$organizationId, name: $name}}) {{ segment {{ id name }} {ERRORS} }} }}",
    a_new_name,
)
example(
    "Mutation.segmentUpdate",
    'mutation($id: ID!) { segmentUpdate(input: {id: $id, description: "VIP"}) '
    f"{{ segment {{ id description }} {ERRORS} }} }}",
    a_fresh_segment,
)
example(
    "Mutation.segmentDelete",
    f"mutation($id: ID!) {{ segmentDelete(input: {{id: $id}}) {{ deletedSegmentId {ERRORS} }} }}",
    a_fresh_segment,
)


async def a_fresh_static_segment(world, caller):
    name = f"Static {next(_serial)}"
    segment = await Segment.create(
        organization=world.organization, name=name, name_key=name.lower(), kind=SegmentKind.STATIC
    )
    contact = await new_contact(world.organization, name)
    return {"id": ids.encode("Segment", segment.id), "c": ids.encode("Contact", contact.id)}


example(
    "Mutation.segmentMembersAdd",
    "mutation($id: ID!, $c: ID!) { segmentMembersAdd(input: {id: $id, contactIds: [$c]}) "
    f"{{ segment {{ id }} {ERRORS} }} }}",
    a_fresh_static_segment,
)
example(
    "Mutation.segmentMembersRemove",
    "mutation($id: ID!, $c: ID!) { segmentMembersRemove(input: {id: $id, contactIds: [$c]}) "
    f"{{ segment {{ id }} {ERRORS} }} }}",
    a_fresh_static_segment,
)
