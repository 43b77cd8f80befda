"""Building contacts with consent and drafts for the sending tests."""

from __future__ import annotations

from datetime import timedelta

from models.contacts import ConsentChannel, ConsentRecord, ConsentStatus, Contact
from models.identity import Locale
from models.messaging import MessageDraft
from resolvers.common.time import now
from schema import ids
from tests.support.contacts import new_contact

ERRORS = "errors { code field message }"
MESSAGE = "message { id state channel sendAt operation { id state total } }"
SEND = f"""mutation($input: MessageSendInput!) {{
  messageSend(input: $input) {{ {MESSAGE} {ERRORS} }} }}"""
CANCEL = f"""mutation($input: MessageSendCancelInput!) {{
  messageSendCancel(input: $input) {{ {MESSAGE} {ERRORS} }} }}"""
READ = """query($id: ID!, $status: MessageDeliveryStatus) { message(id: $id) { id state
  counts { total queued sending sent skipped failed bounced unknown skips { reason count } }
  deliveries(status: $status, first: 50) { edges { node { id status skipReason skipMessage
    recipient locale subject body consentKind consentSource consentAt contactId } } } } }"""


async def person(
    organization,
    name: str,
    *,
    email: str | None = None,
    phone: str | None = None,
    consent: ConsentStatus = ConsentStatus.NOT_ASKED,
    channel: ConsentChannel = ConsentChannel.EMAIL,
    locale: Locale = Locale.EN,
    expired: bool = False,
    **more,
) -> Contact:
    contact = await new_contact(organization, name)
    contact.email, contact.phone, contact.locale = email, phone, locale
    for key, value in more.items():
        setattr(contact, key, value)
    prefix = "email_consent" if channel is ConsentChannel.EMAIL else "sms_consent"
    setattr(contact, prefix, consent)
    if expired:
        setattr(contact, f"{prefix}_expires_at", now() - timedelta(days=1))
    await contact.save()
    if consent is not ConsentStatus.NOT_ASKED:
        await ConsentRecord.create(
            contact=contact, channel=channel, status=consent, source="web form", proof="box"
        )
    return contact


async def draft_for(world, contacts, channel="EMAIL", contents=None, organization=None):
    draft = await MessageDraft.create(
        organization=organization or world.organization,
        channel=channel,
        audience={"contact_ids": sorted(c.id for c in contacts)},
        contents=contents
        or {
            "en": {"subject": "News for {{ contact.first_name }}",
                   "body": "<p>Hello {{ contact.display_name }}</p>"},
            "fr": {"subject": "Nouvelles pour {{ contact.first_name }}",
                   "body": "<p>Bonjour {{ contact.display_name }}</p>"},
        },
    )
    return ids.encode("MessageDraft", draft.id)
