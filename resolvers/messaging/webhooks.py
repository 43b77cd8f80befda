"""Provider callbacks: inbound SMS replies (STOP / START) and email bounces and complaints.

Inbound SMS (`POST /webhooks/sms`, Twilio's form and signature): a STOP word (STOP, ARRET,
ARRÊT, UNSUBSCRIBE...) withdraws SMS consent at once for every contact with that number in
each organization that texted it (only the organization whose sending number received the
reply, when that is one of them), recorded with the source "SMS STOP reply" and the reply
as proof. START re-allows SMS only where the law lets a text do it: CASL and the carriers'
rules (CTIA) treat a START sent to the number the person had stopped as their express
request to resume that sender's texts, so START restores EXPRESS consent only for contacts
whose SMS consent was last withdrawn by a STOP reply. A withdrawal made any other way (told
to staff, an unsubscribe link, a form) is not undone by a text, and DO_NOT_CONTACT stays.

Email callbacks (`POST /webhooks/email`, JSON signed with HMAC-SHA256 by a shared secret):
a hard bounce marks the delivery BOUNCED and the address undeliverable (later sends skip
it: UNDELIVERABLE); a complaint ("this is spam") withdraws the contact's EMAIL consent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass

from models.contacts import ConsentChannel, ConsentRecord, ConsentStatus, Contact
from models.message_sends import Delivery, DeliveryStatus, UndeliverableAddress
from models.messaging import MessageChannel
from models.organizations import Organization
from resolvers.common.actor import RequestMeta
from resolvers.common.errors import ErrorCollector
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.contacts import consent

STOP_SOURCE = "SMS STOP reply"
START_SOURCE = "SMS START reply"
COMPLAINT_SOURCE = "email complaint"
STOP_WORDS = frozenset({"STOP", "STOPALL", "ARRET", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})
_OUTBOX_ID = re.compile(r"<outbox-(\d{1,18})(?:\.\d+)?@")


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's X-Twilio-Signature: base64 HMAC-SHA1 of the URL and the sorted form."""
    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def email_signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def keyword(body: str) -> str:
    """The reply's first word, upper-case and without accents (ARRÊT → ARRET)."""
    words = body.strip().split()
    if not words:
        return ""
    plain = unicodedata.normalize("NFKD", words[0]).encode("ascii", "ignore").decode()
    return plain.upper().strip(".!")


@dataclass(frozen=True)
class SmsReply:
    action: str  # "STOP", "START" or "" (another reply: nothing to do)
    contacts: int  # whose consent changed


async def _texting_organizations(phone: str, to: str) -> list[int]:
    texted = set(
        await Delivery.filter(channel=MessageChannel.SMS, recipient=phone).distinct().values_list(
            "organization_id", flat=True
        )
    )
    if to:
        mine = set(
            await Organization.filter(id__in=texted, sms_number=to).values_list("id", flat=True)
        )
        if mine:
            return sorted(mine)
    return sorted(texted)


async def inbound_sms(phone: str, to: str, body: str, meta: RequestMeta) -> SmsReply:
    word = keyword(body)
    action = "STOP" if word in STOP_WORDS else "START" if word in START_WORDS else ""
    if not action or not phone:
        return SmsReply("", 0)
    changed = 0
    proof = f"Reply {body.strip()[:200]!r} from {phone} to {to or 'our number'}"
    async with unit_of_work():
        organizations = await _texting_organizations(phone, to)
        contacts = (
            await Contact.filter(organization_id__in=organizations, phone=phone)
            .select_for_update()
            .order_by("id")
        )
        for contact in contacts:
            if action == "STOP":
                if consent.current(contact, ConsentChannel.SMS) is ConsentStatus.WITHDRAWN:
                    continue
                status, source = ConsentStatus.WITHDRAWN, STOP_SOURCE
            else:
                if not await _stopped_by_reply(contact):
                    continue
                status, source = ConsentStatus.EXPRESS, START_SOURCE
            await _set(contact, ConsentChannel.SMS, status, source, proof, meta)
            changed += 1
    return SmsReply(action, changed)


async def _stopped_by_reply(contact: Contact) -> bool:
    if contact.sms_consent is not ConsentStatus.WITHDRAWN:
        return False
    last = (
        await ConsentRecord.filter(contact_id=contact.id, channel=ConsentChannel.SMS)
        .order_by("-recorded_at", "-id")
        .first()
    )
    return last is not None and last.source == STOP_SOURCE


async def _set(
    contact: Contact,
    channel: ConsentChannel,
    status: ConsentStatus,
    source: str,
    proof: str,
    meta: RequestMeta,
) -> None:
    errors = ErrorCollector()
    checked = consent.check(
        consent.ConsentChange(channel=channel, status=status, source=source, proof=proof),
        errors,
    )
    errors.raise_if_any()
    await consent.apply(contact, checked, None, meta)


@dataclass(frozen=True)
class EmailEvent:
    kind: str  # "bounce" or "complaint"
    hard: bool
    message_id: str  # the Message-ID we sent, e.g. <outbox-12@carnet>
    recipient: str


async def _delivery_of(event: EmailEvent) -> Delivery | None:
    match = _OUTBOX_ID.search(event.message_id or "")
    if match:
        found = await Delivery.filter(outbox_message_id=int(match.group(1))).first()
        if found is not None:
            return found
    if event.recipient:
        return (
            await Delivery.filter(channel=MessageChannel.EMAIL, recipient=event.recipient)
            .order_by("-id")
            .first()
        )
    return None


async def email_event(event: EmailEvent, meta: RequestMeta) -> bool:
    """Applies a bounce or complaint; False when it names no delivery of ours."""
    async with unit_of_work():
        delivery = await _delivery_of(event)
        address = (event.recipient or (delivery.recipient if delivery else "")).strip().lower()
        if event.kind == "bounce" and event.hard and address:
            if not await UndeliverableAddress.exists(address=address):
                await UndeliverableAddress.create(address=address, reason="hard bounce")
        if delivery is None:
            return False
        if event.kind == "bounce" and event.hard:
            await Delivery.filter(id=delivery.id).update(
                status=DeliveryStatus.BOUNCED, bounced_at=now()
            )
        elif event.kind == "complaint" and delivery.contact_id is not None:
            contact = await Contact.filter(id=delivery.contact_id).select_for_update().first()
            if contact is not None and contact.email_consent is not ConsentStatus.WITHDRAWN:
                proof = f"Complaint reported by the provider for {event.message_id or address}"
                await _set(
                    contact, ConsentChannel.EMAIL, ConsentStatus.WITHDRAWN, COMPLAINT_SOURCE,
                    proof, meta,
                )
    return True
