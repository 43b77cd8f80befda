"""Shared operations and helpers for the client-account tests."""

from __future__ import annotations

from datetime import date

from models.messaging import OutboxMessage
from resolvers.common.time import today_in
from schema import ids
from tests.support.mail import send_queued_mail

ERRORS = "errors { code field message }"
ACCOUNT = """account { id name canLogIn primaryContact { id firstName email isUser }
  contacts { id role accessLevel relationship canLogIn activation contact { id firstName } } }"""

CREATE = f"""mutation($input: ClientAccountCreateInput!) {{
  clientAccountCreate(input: $input) {{ {ACCOUNT} existingContactId {ERRORS} }} }}"""
MEMBER_ADD = f"""mutation($input: ClientAccountMemberAddInput!) {{
  clientAccountMemberAdd(input: $input) {{
    accountContact {{ id role accessLevel relationship canLogIn activation
      contact {{ id firstName birthDate }} account {{ id }} }} {ERRORS} }} }}"""
MEMBER_UPDATE = f"""mutation($input: ClientAccountMemberUpdateInput!) {{
  clientAccountMemberUpdate(input: $input) {{
    accountContact {{ id role accessLevel relationship contact {{ id firstName email }} }}
    {ERRORS} }} }}"""
MEMBER_REMOVE = f"""mutation($id: ID!) {{
  clientAccountMemberRemove(input: {{accountContactId: $id}}) {{
    removedAccountContactId account {{ id contacts {{ id }} }} {ERRORS} }} }}"""
PRIMARY_CHANGE = f"""mutation($account: ID!, $contact: ID!) {{
  clientAccountPrimaryChange(input: {{accountId: $account, accountContactId: $contact}}) {{
    {ACCOUNT} {ERRORS} }} }}"""
ACTIVATE = f"""mutation($input: ClientAccountActivateInput!) {{
  clientAccountActivate(input: $input) {{
    accessToken user {{ email emailVerified }} {ERRORS} }} }}"""
ACCOUNTS = """query($o: ID!, $search: String, $first: Int, $after: String) {
  clientAccounts(organizationId: $o, search: $search, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id name primaryContact { firstName } contacts { role contact { id } } } } } }"""
ONE = (
    "query($id: ID!) { clientAccount"
    + ACCOUNT[len("account") :].replace("{", "(id: $id) {", 1)
    + " }"
)


def years_ago(years: int, days: int = 0) -> str:
    # The world's organization's today (America/Toronto), as the age rules count it: the
    # machine's date is a day ahead of it for a few hours every evening.
    today = today_in("America/Toronto")
    try:
        day = today.replace(year=today.year - years)
    except ValueError:
        day = today.replace(year=today.year - years, day=28)
    return date.fromordinal(day.toordinal() + days).isoformat()


def holder(**extra) -> dict:
    return {"firstName": "Marie", "lastName": "Tremblay", "birthDate": years_ago(40), **extra}


def create_input(world, holder_values: dict | None = None, members=(), **extra) -> dict:
    return {
        "input": {
            "organizationId": world.org_gid,
            "holder": holder() if holder_values is None else holder_values,
            "members": list(members),
            **extra,
        }
    }


async def create(api, world, holder_values=None, members=(), who=None, **extra) -> dict:
    result = await api.as_(who or world.agent).execute(
        CREATE, create_input(world, holder_values, members, **extra)
    )
    return result.ok("clientAccountCreate")["account"]


def contact_gid(contact) -> str:
    return ids.encode("Contact", contact.id)


async def mails(email: str, template: str) -> list[OutboxMessage]:
    await send_queued_mail()
    return await OutboxMessage.filter(recipient=email, template=template).order_by("id")


async def activation_links(email: str) -> list[str]:
    return [link for row in await mails(email, "account_activation") for link in row.links]
