"""Authorization-matrix examples for privacy requests (see tests/support/authz.py)."""

from __future__ import annotations

from models.privacy import PrivacyRequest, PrivacyRequestKind, PrivacyRequestStatus
from resolvers.common.time import now
from schema import ids
from tests.support.authz import example
from tests.support.contacts import gid, new_contact, organization_id

ERRORS = "errors { code field }"
REQUEST = "request { id kind status }"


async def a_contact(world, caller):
    return {"contactId": gid(await new_contact(world.organization))}


async def a_contact_to_erase(world, caller):
    return {"contactId": gid(await new_contact(world.organization)), "reason": "asked by email"}


async def a_built_export(world, caller):
    contact = await new_contact(world.organization)
    request = await PrivacyRequest.create(
        organization=world.organization,
        kind=PrivacyRequestKind.EXPORT,
        status=PrivacyRequestStatus.DONE,
        contact=contact,
        file_key=f"org/{world.organization.id}/privacy-exports/0.zip",
        finished_at=now(),
    )
    return {"id": ids.encode("PrivacyRequest", request.id)}


async def my_built_export(world, caller):
    user = caller.user if caller else world.loner.user
    request = await PrivacyRequest.create(
        kind=PrivacyRequestKind.MY_EXPORT,
        status=PrivacyRequestStatus.DONE,
        requested_by=user,
        file_key=f"users/{user.id}/privacy-exports/0.zip",
        finished_at=now(),
    )
    return {"id": ids.encode("PrivacyRequest", request.id)}


example(
    "Query.privacyRequests",
    "query($organizationId: ID!) { privacyRequests(organizationId: $organizationId, first: 5) "
    "{ edges { node { id kind } } } }",
    organization_id,
)
example(
    "Mutation.personDataExport",
    f"mutation($contactId: ID!) {{ personDataExport(input: {{contactId: $contactId}}) "
    f"{{ {REQUEST} {ERRORS} }} }}",
    a_contact,
)
example(
    "Mutation.personDataExportLink",
    f"mutation($id: ID!) {{ personDataExportLink(input: {{id: $id}}) "
    f"{{ request {{ id downloadUrl }} {ERRORS} }} }}",
    a_built_export,
)
example(
    "Mutation.personErase",
    "mutation($contactId: ID!, $reason: String!) { personErase(input: {contactId: $contactId, "
    f"reason: $reason}}) {{ {REQUEST} {ERRORS} }} }}",
    a_contact_to_erase,
)
example("Mutation.myDataExport", f"mutation {{ myDataExport {{ {REQUEST} {ERRORS} }} }}")
example(
    "Mutation.myDataExportLink",
    f"mutation($id: ID!) {{ myDataExportLink(input: {{id: $id}}) "
    f"{{ request {{ id downloadUrl }} {ERRORS} }} }}",
    my_built_export,
)
example(
    "Mutation.myAccountDelete",
    'mutation { myAccountDelete(input: {password: "not my password"}) '
    f"{{ organizationsAsked {ERRORS} }} }}",
)
example(
    "Query.retentionDryRun",
    "query($organizationId: ID!) { retentionDryRun(organizationId: $organizationId) "
    "{ archivedContacts inactiveAccounts } }",
    organization_id,
)
