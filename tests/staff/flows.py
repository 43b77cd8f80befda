"""Shared operations and helpers for the staff tests."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from models.messaging import OutboxMessage
from schema import ids
from tests.support.mail import send_queued_mail

STAFF_ADD = """
mutation($input: StaffAddInput!) {
  staffAdd(input: $input) {
    member { id role status user { email emailVerified } invitation { id state } }
    invitation { id email state expiresAt }
    errors { code field message }
  }
}"""

ACCEPT = """
mutation($input: InvitationAcceptInput!) {
  invitationAccept(input: $input) {
    accessToken refreshToken
    user { email emailVerified firstName }
    organization { name }
    member { status role }
    errors { code field message }
  }
}"""

MEMBER = "member { id role status deactivateOn } errors { code field message }"
ROLE_CHANGE = f"""mutation($id: ID!, $role: Role!) {{
  staffRoleChange(input: {{membershipId: $id, role: $role}}) {{ {MEMBER} }} }}"""
REMOVE = """mutation($id: ID!) { staffRemove(input: {membershipId: $id}) {
  removedMemberId errors { code field message } } }"""
DEACTIVATE = f"""mutation($id: ID!, $on: Date!) {{
  staffDeactivate(input: {{membershipId: $id, on: $on}}) {{ {MEMBER} }} }}"""
CANCEL = f"""mutation($id: ID!) {{
  staffDeactivationCancel(input: {{membershipId: $id}}) {{ {MEMBER} }} }}"""
REACTIVATE = f"""mutation($id: ID!) {{
  staffReactivate(input: {{membershipId: $id}}) {{ {MEMBER} }} }}"""
RESEND = """mutation($id: ID!) { invitationResend(input: {invitationId: $id}) {
  invitation { id state expiresAt sendCount } errors { code field message } } }"""
REVOKE = """mutation($id: ID!) { invitationRevoke(input: {invitationId: $id}) {
  invitation { id state } errors { code field message } } }"""
ORGANIZATION = "query($id: ID!) { organization(id: $id) { name } }"


def member_gid(membership) -> str:
    return ids.encode("StaffMember", membership.id)


async def invitation_links(email: str) -> list[str]:
    """The invitation links mailed to `email`, oldest first (the queued ones sent first)."""
    await send_queued_mail()
    rows = await OutboxMessage.filter(recipient=email, template="staff_invitation").order_by("id")
    return [link for row in rows for link in row.links]


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def add_input(world, email: str, role: str = "AGENT", **extra) -> dict:
    return {
        "input": {
            "organizationId": world.org_gid,
            "email": email,
            "firstName": "Nora",
            "lastName": "Nouvelle",
            "role": role,
            **extra,
        }
    }
