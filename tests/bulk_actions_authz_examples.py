"""Authorization-matrix examples for the contact batch actions and undo (see
tests/support/authz.py). Each call builds its own contact, and undo its own finished
operation, so allowed calls never collide."""

from __future__ import annotations

from models.bulk import BulkItemStatus, BulkOperation, BulkOperationItem, BulkOperationState
from resolvers.common.time import now
from schema import ids
from tests.support.authz import example
from tests.support.contacts import gid, new_contact

ERRORS = "errors { code field }"


async def a_fresh_contact(world, caller, **more):
    contact = await new_contact(world.organization)
    return {
        "input": {
            "organizationId": world.org_gid,
            "target": {"contactIds": [gid(contact)]},
            **more,
        }
    }


async def an_update(world, caller):
    return await a_fresh_contact(world, caller, changes={"notesAppend": "Called back"})


async def an_archived_contact(world, caller):
    contact = await new_contact(world.organization, archived=True)
    return {"input": {"organizationId": world.org_gid, "target": {"contactIds": [gid(contact)]}}}


async def a_finished_archive(world, caller):
    """A finished archive of one contact, as the worker leaves it."""
    contact = await new_contact(world.organization, archived=True)
    moment = now()
    operation = await BulkOperation.create(
        organization=world.organization,
        kind="CONTACT_ARCHIVE",
        record_type="contact",
        state=BulkOperationState.COMPLETED,
        total=1,
        processed=1,
        succeeded=1,
        started_at=moment,
        finished_at=moment,
    )
    await BulkOperationItem.create(
        operation=operation,
        position=1,
        record_id=contact.id,
        status=BulkItemStatus.SUCCEEDED,
        before={"archived_at": None},
        after={"archived_at": contact.archived_at.isoformat()},
        processed_at=moment,
    )
    return {"id": ids.encode("BulkOperation", operation.id)}


example(
    "Mutation.contactsBulkUpdate",
    "mutation($input: ContactsBulkUpdateInput!) { contactsBulkUpdate(input: $input) "
    f"{{ operation {{ id kind }} {ERRORS} }} }}",
    an_update,
)
example(
    "Mutation.contactsBulkArchive",
    "mutation($input: ContactsBulkArchiveInput!) { contactsBulkArchive(input: $input) "
    f"{{ operation {{ id kind }} {ERRORS} }} }}",
    a_fresh_contact,
)
example(
    "Mutation.contactsBulkRestore",
    "mutation($input: ContactsBulkRestoreInput!) { contactsBulkRestore(input: $input) "
    f"{{ operation {{ id kind }} {ERRORS} }} }}",
    an_archived_contact,
)
example(
    "Mutation.bulkOperationUndo",
    "mutation($id: ID!) { bulkOperationUndo(input: {id: $id}) "
    f"{{ operation {{ id kind }} {ERRORS} }} }}",
    a_finished_archive,
)
