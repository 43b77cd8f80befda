"""Authorization-matrix examples for contact exports (see tests/support/authz.py).

Each call gets an export of its own; the link example's export is already built, as the
job would leave it, so an allowed call mints a link.
"""

from __future__ import annotations

from itertools import count

from models.bulk import BulkOperation
from models.segments import Segment
from models.transfers import ContactExport, TransferStatus
from resolvers.common.time import now
from schema import ids
from tests.support.authz import example
from tests.support.files import a_stored_file

_serial = count()


async def organization_id(world, caller):
    return {"organizationId": world.org_gid}


async def an_export(world, caller):
    export = await ContactExport.create(organization=world.organization)
    return {"id": ids.encode("ContactExport", export.id)}


async def a_built_export(world, caller):
    export = await ContactExport.create(
        organization=world.organization,
        status=TransferStatus.DONE,
        file_key=await a_stored_file(world.organization.id, "contact-exports", "Kind\r\n"),
        finished_at=now(),
    )
    return {"id": ids.encode("ContactExport", export.id)}


example(
    "Mutation.contactsExport",
    "mutation($organizationId: ID!) { contactsExport(input: {organizationId: $organizationId, "
    'search: "a"}) { export { id status } errors { code } } }',
    organization_id,
)
example(
    "Mutation.contactExportLink",
    "mutation($id: ID!) { contactExportLink(input: {id: $id}) { export { downloadUrl } "
    "errors { code } } }",
    a_built_export,
)
example(
    "Query.contactExport",
    "query($id: ID!) { contactExport(id: $id) { id status downloadable } }",
    an_export,
)
example(
    "Query.contactExports",
    "query($organizationId: ID!) { contactExports(organizationId: $organizationId, first: 5) "
    "{ edges { node { id } } } }",
    organization_id,
)


async def a_segment(world, caller):
    name = f"Exported {next(_serial)}"
    segment = await Segment.create(
        organization=world.organization, name=name, name_key=name.lower()
    )
    return {"id": ids.encode("Segment", segment.id)}


example(
    "Mutation.segmentExport",
    "mutation($id: ID!) { segmentExport(input: {segmentId: $id}) { export { id status } "
    "errors { code } } }",
    a_segment,
)


async def an_export_with_its_operation(world, caller):
    operation = await BulkOperation.create(
        organization=world.organization, kind="CONTACT_EXPORT", record_type="contact"
    )
    export = await ContactExport.create(organization=world.organization, operation=operation)
    return {"id": ids.encode("ContactExport", export.id)}


example(
    "ContactExport.operation",
    "query($id: ID!) { operation: contactExport(id: $id) { operation { id state total } } }",
    an_export_with_its_operation,
)
