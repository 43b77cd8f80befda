"""Authorization-matrix examples for the foundation's fields (see tests/support/authz.py)."""

from __future__ import annotations

from carnet.settings import current_settings
from resolvers.common.actor import RequestMeta
from resolvers.common.permissions import Permission
from resolvers.identity.sessions import start_session
from schema import ids
from tests.support.authz import example
from tests.support.world import PASSWORD


async def org_id(world, caller):
    return {"id": world.org_gid}


async def organization_id(world, caller):
    return {"organizationId": world.org_gid}


async def own_fresh_session(world, caller):
    user = caller.user if caller else world.loner.user
    issued = await start_session(user, "authz", RequestMeta(), current_settings())
    return {"id": ids.encode("Session", issued.session.id)}


async def loner_refresh_token(world, caller):
    issued = await start_session(world.loner.user, "authz", RequestMeta(), current_settings())
    return {"token": issued.refresh_token}


async def email_change_by_caller(world, caller):
    # An address per caller: only a few links an hour may be mailed to any one address.
    who = caller.user.id if caller else "anonymous"
    return {"input": {"newEmail": f"changed.{who}@example.test", "currentPassword": PASSWORD}}


async def any_node(world, caller):
    return {"id": world.org_gid}


example(
    "Query.node",
    "query($id: ID!) { node(id: $id) { id } }",
    any_node,
    record_requires=Permission.ORGANIZATION_READ,
)
example("Query.me", "{ me { id email } }")
example("Query.mySessions", "{ mySessions(first: 5) { edges { node { id device } } } }")
example(
    "Query.mySignInAttempts",
    "{ mySignInAttempts(first: 5) { edges { node { id outcome ipAddress } } } }",
)
example("Query.organization", "query($id: ID!) { organization(id: $id) { id name } }", org_id)
example("Query.myOrganizations", "{ myOrganizations { id } }")
example("Query.roles", "{ roles { role label permissions } }")
example("Query.permissions", "{ permissions { permission description } }")
example(
    "Query.myPermissions",
    "query($organizationId: ID!) { myPermissions(organizationId: $organizationId) }",
    organization_id,
)
example(
    "Query.auditLog",
    "query($organizationId: ID!) { auditLog(organizationId: $organizationId, first: 5) "
    "{ edges { node { action } } } }",
    organization_id,
)

example(
    "Mutation.userRegister",
    'mutation { userRegister(input: {email: "new.person@example.test", '
    'password: "long enough password", firstName: "New"}) { user { id } errors { code } } }',
)
example(
    "Mutation.emailVerify",
    'mutation { emailVerify(input: {token: "not-a-token"}) { errors { code } } }',
)
example(
    "Mutation.emailVerificationResend",
    "mutation { emailVerificationResend { ok errors { code } } }",
)
example(
    "Mutation.tokenCreate",
    'mutation { tokenCreate(input: {email: "loner@example.test", '
    'password: "correct horse battery"}) { accessToken errors { code } } }',
)
example(
    "Mutation.tokenRefresh",
    "mutation($token: String!) { tokenRefresh(input: {refreshToken: $token}) "
    "{ accessToken errors { code } } }",
    loner_refresh_token,
)
example(
    "Mutation.tokenRevoke",
    "mutation($token: String!) { tokenRevoke(input: {refreshToken: $token}) "
    "{ ok errors { code } } }",
    loner_refresh_token,
)
example(
    "Mutation.sessionRevoke",
    "mutation($id: ID!) { sessionRevoke(input: {id: $id}) { session { id } errors { code } } }",
    own_fresh_session,
)
example(
    "Mutation.passwordResetRequest",
    'mutation { passwordResetRequest(input: {email: "loner@example.test"}) { ok } }',
)
example(
    "Mutation.passwordReset",
    'mutation { passwordReset(input: {token: "nope", password: "long enough password"}) '
    "{ errors { code } } }",
)
example(
    "Mutation.emailChangeRequest",
    "mutation($input: EmailChangeRequestInput!) { emailChangeRequest(input: $input) "
    "{ ok errors { code } } }",
    email_change_by_caller,
)
example(
    "Mutation.emailChangeConfirm",
    'mutation { emailChangeConfirm(input: {token: "nope"}) { errors { code } } }',
)
example(
    "Mutation.emailChangeUndo",
    'mutation { emailChangeUndo(input: {token: "nope"}) { user { id } errors { code } } }',
)
example(
    "Mutation.userUpdate",
    'mutation { userUpdate(input: {firstName: "Renamed"}) { user { firstName } errors { code } } }',
)
example(
    "Mutation.organizationCreate",
    'mutation { organizationCreate(input: {name: "New Club"}) { organization { id } '
    "errors { code } } }",
)
example(
    "Mutation.organizationUpdate",
    'mutation($id: ID!) { organizationUpdate(input: {id: $id, city: "Québec"}) '
    "{ organization { address { city } } errors { code } } }",
    org_id,
)


async def billing_event(world):
    from models.audit import AuditEvent

    # A billing action, so that billing administrators see it too.
    await AuditEvent.create(organization_id=world.organization.id, action="billing.test")


example("Subscription.auditEventAdded",
        "subscription($organizationId: ID!) { auditEventAdded(organizationId: $organizationId) "
        "{ action } }", organization_id, trigger=billing_event)
