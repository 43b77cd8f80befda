"""Shared operations and builders for the contact tests."""

from __future__ import annotations

from typing import Any

from models.contacts import Contact
from models.organizations import Organization
from resolvers.contacts.records import refresh_derived
from schema import ids

CONTACT_FIELDS = """
  id kind firstName lastName organizationName displayName email phone birthDate locale notes
  source doNotContact archived archivedAt lastActivityAt isUser isSubscriber
  address { line1 line2 city region postalCode country }
  emailConsent { status recordedStatus expiresAt lapsed }
  smsConsent { status recordedStatus expiresAt lapsed }
  marketingAllowed { email sms }
"""

CREATE = f"""mutation($input: ContactCreateInput!) {{
  contactCreate(input: $input) {{
    contact {{ {CONTACT_FIELDS} }}
    possibleDuplicates {{ id }}
    errors {{ code field message }}
  }} }}"""

UPDATE = f"""mutation($input: ContactUpdateInput!) {{
  contactUpdate(input: $input) {{
    contact {{ {CONTACT_FIELDS} }}
    possibleDuplicates {{ id }}
    errors {{ code field message }}
  }} }}"""

ARCHIVE = """mutation($id: ID!) { contactArchive(input: {id: $id}) {
  contact { id archived } errors { code field message } } }"""
RESTORE = """mutation($id: ID!) { contactRestore(input: {id: $id}) {
  contact { id archived } errors { code field message } } }"""

CONTACT = f"query($id: ID!) {{ contact(id: $id) {{ {CONTACT_FIELDS} }} }}"

CONSENT_SET = f"""mutation($input: ContactConsentSetInput!) {{
  contactConsentSet(input: $input) {{
    contact {{ {CONTACT_FIELDS} }}
    errors {{ code field message }}
  }} }}"""

LINK = """mutation($contactId: ID!, $userId: ID!) {
  contactUserLink(input: {contactId: $contactId, userId: $userId}) {
    contact { id isUser } errors { code field message } } }"""
UNLINK = """mutation($contactId: ID!) { contactUserUnlink(input: {contactId: $contactId}) {
  contact { id isUser } errors { code field message } } }"""

LIST = """query($o: ID!, $search: String, $filter: ContactFilterInput, $sort: ContactSortInput,
               $first: Int, $after: String, $last: Int, $before: String) {
  contacts(organizationId: $o, search: $search, filter: $filter, sort: $sort, first: $first,
           after: $after, last: $last, before: $before) {
    edges { cursor node { id displayName } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  } }"""


def gid(contact: Contact | int) -> str:
    return ids.encode("Contact", contact if isinstance(contact, int) else contact.id)


def pk(global_id: str) -> int:
    return ids.decode(global_id)[1]


def create_input(world, **fields: Any) -> dict[str, Any]:
    return {"input": {"organizationId": world.org_gid, **fields}}


async def create(api, world, **fields: Any) -> dict[str, Any]:
    """Creates a contact through the API as the admin; the payload's contact."""
    result = await api.as_(world.admin).execute(CREATE, create_input(world, **fields))
    return result.ok("contactCreate")["contact"]


async def make_contact(organization: Organization, **fields: Any) -> Contact:
    """A contact written directly, derived columns included (for lists of many)."""
    contact = Contact(organization_id=organization.id, **fields)
    refresh_derived(contact)
    await contact.save()
    return contact


def names(result, field: str = "contacts") -> list[str]:
    assert not result.errors, result.errors
    return [edge["node"]["displayName"] for edge in result.data[field]["edges"]]
