"""Authorization-matrix examples for CSV contact imports (see tests/support/authz.py).

The matrix speaks JSON, not multipart: its `file` is a plain string, which the mutation
answers with a payload error once the permission has let it through. Real uploads, and
the same permission over multipart, are in tests/transfers/test_import.py.
"""

from __future__ import annotations

from models.bulk import BulkOperation
from models.transfers import ContactImport
from schema import ids
from tests.support.authz import example
from tests.support.files import a_stored_file


async def organization_id(world, caller):
    return {"organizationId": world.org_gid}


async def an_import(world, caller):
    file_key = await a_stored_file(world.organization.id, "contact-imports", "Email\n")
    contact_import = await ContactImport.create(
        organization=world.organization, filename="club.csv", file_key=file_key, total_rows=0
    )
    return {"id": ids.encode("ContactImport", contact_import.id)}


example(
    "Query.contactImport",
    "query($id: ID!) { contactImport(id: $id) { id status totalRows "
    "rowErrors(first: 5) { edges { node { row column message } } } } }",
    an_import,
)
example(
    "Query.contactImports",
    "query($organizationId: ID!) { contactImports(organizationId: $organizationId, first: 5) "
    "{ edges { node { id filename } } } }",
    organization_id,
)
example(
    "Mutation.contactsImport",
    "mutation($organizationId: ID!) { contactsImport(input: {organizationId: $organizationId, "
    'file: "Email\\na@example.test"}) { contactImport { id } errors { code field } } }',
    organization_id,
)


async def an_import_with_its_operation(world, caller):
    operation = await BulkOperation.create(
        organization=world.organization, kind="CONTACT_IMPORT", record_type="import_row"
    )
    contact_import = await ContactImport.create(
        organization=world.organization, filename="club.csv", operation=operation
    )
    return {"id": ids.encode("ContactImport", contact_import.id)}


example(
    "ContactImport.operation",
    "query($id: ID!) { operation: contactImport(id: $id) { operation { id state total } } }",
    an_import_with_its_operation,
)
