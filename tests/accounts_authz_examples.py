"""Authorization-matrix examples for client accounts (see tests/support/authz.py).

Each call builds its own household, so allowed calls never collide with one another.
"""

from __future__ import annotations

from datetime import date
from itertools import count

from models.accounts import AccessLevel, AccountContact, AccountContactKind, ClientAccount
from schema import ids
from tests.support.authz import example
from tests.support.contacts import new_contact, organization_id

_serial = count()
ERRORS = "errors { code field }"


async def a_household(world):
    """An account with an adult primary and an adult member."""
    n = next(_serial)
    holder = await new_contact(world.organization, f"Holder{n} House{n}")
    member = await new_contact(world.organization, f"Member{n} House{n}")
    for contact in (holder, member):
        contact.birth_date = date(1980, 1, 1)
        await contact.save()
    account = await ClientAccount.create(
        organization=world.organization,
        name=f"House{n}",
        sort_name=f"house{n}",
        primary_contact=holder,
    )
    await AccountContact.create(
        account=account,
        contact=holder,
        kind=AccountContactKind.MEMBER,
        access_level=AccessLevel.FULL,
    )
    link = await AccountContact.create(
        account=account, contact=member, kind=AccountContactKind.MEMBER
    )
    return account, link


async def fresh_account(world, caller):
    account, _ = await a_household(world)
    return {"id": ids.encode("ClientAccount", account.id)}


async def fresh_member(world, caller):
    account, link = await a_household(world)
    return {
        "account": ids.encode("ClientAccount", account.id),
        "id": ids.encode("AccountContact", link.id),
    }


async def new_holder(world, caller):
    return {
        "input": {
            "organizationId": world.org_gid,
            "holder": {"firstName": f"New{next(_serial)}", "birthDate": "1980-01-01"},
        }
    }


example(
    "Query.clientAccounts",
    "query($organizationId: ID!) { clientAccounts(organizationId: $organizationId, first: 5) "
    "{ edges { node { id name contacts { role } } } } }",
    organization_id,
)
example(
    "Query.clientAccount",
    "query($id: ID!) { clientAccount(id: $id) { id name canLogIn primaryContact { id } } }",
    fresh_account,
)
example(
    "Mutation.clientAccountCreate",
    "mutation($input: ClientAccountCreateInput!) { clientAccountCreate(input: $input) "
    f"{{ account {{ id }} {ERRORS} }} }}",
    new_holder,
)
example(
    "Mutation.clientAccountMemberAdd",
    "mutation($id: ID!) { clientAccountMemberAdd(input: {accountId: $id, member: "
    f'{{firstName: "Kid"}}}}) {{ accountContact {{ id }} {ERRORS} }} }}',
    fresh_account,
)
example(
    "Mutation.clientAccountMemberUpdate",
    "mutation($id: ID!) { clientAccountMemberUpdate(input: {accountContactId: $id, "
    f'relationship: "co-parent"}}) {{ accountContact {{ id }} {ERRORS} }} }}',
    fresh_member,
)
example(
    "Mutation.clientAccountMemberRemove",
    "mutation($id: ID!) { clientAccountMemberRemove(input: {accountContactId: $id}) "
    f"{{ removedAccountContactId {ERRORS} }} }}",
    fresh_member,
)
example(
    "Mutation.clientAccountPrimaryChange",
    "mutation($account: ID!, $id: ID!) { clientAccountPrimaryChange(input: "
    f"{{accountId: $account, accountContactId: $id}}) {{ account {{ id }} {ERRORS} }} }}",
    fresh_member,
)
example(
    "Mutation.clientAccountActivate",
    'mutation { clientAccountActivate(input: {token: "nope", password: "long enough pw"}) '
    f"{{ accessToken {ERRORS} }} }}",
)
example(
    "User.accounts",
    "{ accounts: me { accounts { id name role accessLevel people { firstName role } } } }",
)


async def a_minor_of_a_household(world, caller):
    account, _ = await a_household(world)
    child = await new_contact(world.organization, f"Kid{next(_serial)} House")
    child.birth_date = date(date.today().year - 8, 1, 1)
    await child.save()
    link = await AccountContact.create(
        account=account, contact=child, kind=AccountContactKind.MEMBER
    )
    return {"id": ids.encode("AccountContact", link.id)}


example(
    "Mutation.myAccountMemberConsentSet",
    "mutation($id: ID!) { myAccountMemberConsentSet(input: {accountContactId: $id, "
    f"channel: EMAIL, status: EXPRESS}}) {{ person {{ id }} {ERRORS} }} }}",
    a_minor_of_a_household,
)


async def a_pending_activation(world, caller):
    from datetime import timedelta

    from models.staff import Invitation, InvitationKind
    from resolvers.common.time import now

    _, link = await a_household(world)
    invitation = await Invitation.create(
        organization=world.organization,
        kind=InvitationKind.ACCOUNT,
        user=world.loner.user,
        email=world.loner.user.email,
        send_requested_at=now(),
        expires_at=now() + timedelta(days=7),
    )
    link.invitation = invitation
    await link.save()
    return {"id": ids.encode("AccountContact", link.id)}


example(
    "Mutation.clientAccountActivationResend",
    "mutation($id: ID!) { clientAccountActivationResend(input: {accountContactId: $id}) "
    f"{{ accountContact {{ id }} {ERRORS} }} }}",
    a_pending_activation,
)


async def a_group(world, caller):
    from models.accounts import AccessGroup

    account, link = await a_household(world)
    group = await AccessGroup.create(account=account, name="Tax")
    return {
        "account": ids.encode("ClientAccount", account.id),
        "id": ids.encode("AccessGroup", group.id),
        "link": ids.encode("AccountContact", link.id),
    }


example(
    "Mutation.accountAccessGroupCreate",
    'mutation($id: ID!) { accountAccessGroupCreate(input: {accountId: $id, name: "Tax"}) '
    f"{{ accessGroup {{ id name }} {ERRORS} }} }}",
    fresh_account,
)
example(
    "Mutation.accountAccessGroupUpdate",
    'mutation($id: ID!) { accountAccessGroupUpdate(input: {accessGroupId: $id, name: "Taxes"}) '
    f"{{ accessGroup {{ id name }} {ERRORS} }} }}",
    a_group,
)
example(
    "Mutation.accountAccessGroupDelete",
    "mutation($id: ID!) { accountAccessGroupDelete(input: {accessGroupId: $id}) "
    f"{{ deletedAccessGroupId {ERRORS} }} }}",
    a_group,
)
example(
    "Mutation.accountAccessGroupMembersSet",
    "mutation($id: ID!, $link: ID!) { accountAccessGroupMembersSet(input: "
    f"{{accessGroupId: $id, accountContactIds: [$link]}}) {{ accessGroup {{ id }} {ERRORS} }} }}",
    a_group,
)
# The matrix speaks JSON: `file` is a plain string, answered by a payload error once the
# permission has let the call through (real uploads: tests/accounts/test_items.py).
example(
    "Mutation.accountDocumentUpload",
    'mutation($id: ID!) { accountDocumentUpload(input: {accountId: $id, file: "%PDF-"}) '
    f"{{ document {{ id }} {ERRORS} }} }}",
    fresh_account,
)


async def a_document(world, caller):
    from models.accounts import AccountDocument

    account, _ = await a_household(world)
    document = await AccountDocument.create(
        account=account,
        name="receipt.pdf",
        content_type="application/pdf",
        size=5,
        storage_key=f"authz/{next(_serial)}.pdf",
    )
    return {"id": ids.encode("AccountDocument", document.id)}


example(
    "Mutation.accountDocumentDownloadLink",
    "mutation($id: ID!) { accountDocumentDownloadLink(input: {documentId: $id}) "
    f"{{ downloadUrl {ERRORS} }} }}",
    a_document,
)


# Forms, tables, requests, feature switches and member documents: in their own module.
import tests.account_items_authz_examples  # noqa: E402, F401
