"""The MESSAGE_SEND batch action: one chunk of a message's frozen audience, in the chunk's
transaction. Each contact gets one Delivery (unique per message and contact): SKIPPED with
the audience report's reason (resolvers.messaging.audience.reason_case, read with the
contact in one query), or reached, with the consent it relied on and the message rendered
in their language. What a reached delivery becomes depends on the channel: EMAIL and SMS
queue one outbox row each, and the chunk's rows are sent by ONE job after the commit, over
one provider connection, each at most once (resolvers.messaging.fanout); INTERNAL is SENT
at once into the recipient user's inbox. The chunk's outbox rows and deliveries are
written set-based (resolvers.common.rows): its statements do not grow with its size.
The engine runs a chunk once however many times its job runs (resolvers.bulk.chunks), and
the unique delivery keeps it so even if not.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.utils import formataddr

from jinja2 import Template
from markupsafe import Markup

from carnet.i18n import N_
from models.bulk import BulkItemStatus, BulkOperation, BulkOperationKind, BulkOperationState
from models.contacts import ConsentChannel, ConsentRecord, Contact, ContactKind
from models.message_sends import Delivery, DeliveryStatus, Message, MessageState
from models.messaging import Channel, MessageChannel, OutboxMessage
from models.organizations import Organization
from resolvers.bulk.actions import Action, ChunkContext, RecordResult, register
from resolvers.common import rows
from resolvers.common.permissions import Permission
from resolvers.contacts.records import display_name
from resolvers.messaging import audience, fanout, templates, unsubscribe
from resolvers.messaging.self_send import postal_address
from resolvers.messaging.sms_length import with_stop

TEMPLATE = "group_message"
SKIP_MESSAGES = {
    audience.SkipReason.ARCHIVED: N_("The contact is archived."),
    audience.SkipReason.DO_NOT_CONTACT: N_("The contact asked not to be contacted."),
    audience.SkipReason.NO_EMAIL: N_("The contact has no email address."),
    audience.SkipReason.NO_PHONE: N_("The contact has no phone number."),
    audience.SkipReason.INVALID_PHONE: N_("The contact's phone number cannot receive SMS."),
    audience.SkipReason.UNDELIVERABLE: N_("The contact's email address bounced."),
    audience.SkipReason.WITHDRAWN: N_("The contact withdrew their consent."),
    audience.SkipReason.IMPLIED_EXPIRED: N_("The contact's implied consent has expired."),
    audience.SkipReason.NO_CONSENT: N_("The contact never gave consent."),
    audience.SkipReason.NOT_A_USER: N_("The contact has no user account to receive it."),
}


def choose_locale(contents: dict, *candidates: str | None) -> str:
    for candidate in (*candidates, *sorted(contents)):
        if candidate and candidate in contents:
            return candidate
    return "en"


# What a chunk reads of each contact (and of an account primary it reaches a member through).
_FIELDS = (
    "id", "kind", "first_name", "last_name", "organization_name", "email", "phone", "locale",
    "user_id", "email_consent", "sms_consent",
)


class _Contact:
    """A contact's columns a chunk uses, without a Tortoise instance per recipient."""

    __slots__ = ("skip", *_FIELDS)

    def __init__(self, values: dict) -> None:
        for name in self.__slots__:
            setattr(self, name, values.get(name, ""))
        self.kind = ContactKind(self.kind)


async def _contacts(
    channel: MessageChannel, organization_id: int, ids: Sequence[int]
) -> list[_Contact]:
    """The contacts, each with the first skip reason that holds ("" when reached): one
    query (resolvers.messaging.audience.reason_case)."""
    if not ids:
        return []
    found = (
        await Contact.filter(organization_id=organization_id, id__in=list(ids))
        .annotate(skip=audience.reason_case(channel))
        .values(*_FIELDS, "skip")
    )
    return [_Contact(values) for values in found]


async def _consents(
    channel: MessageChannel, contact_ids: list[int]
) -> dict[int, tuple[str, datetime]]:
    """Each contact's latest consent record for the channel (source, date): the consent
    relied on."""
    if channel is MessageChannel.INTERNAL or not contact_ids:
        return {}
    latest: dict[int, tuple[str, datetime]] = {}
    records = (
        ConsentRecord.filter(contact_id__in=contact_ids, channel=ConsentChannel(channel.value))
        .order_by("contact_id", "recorded_at", "id")
        .values_list("contact_id", "source", "recorded_at")
    )
    for contact_id, source, recorded_at in await records:
        latest[contact_id] = (source, recorded_at)
    return latest


def sender_of(organization: Organization) -> str:
    """The organization's own From, when it has set its sender address."""
    if not organization.sender_email:
        return ""
    return formataddr((organization.sender_name or organization.name, organization.sender_email))


class _Writer:
    """What a chunk's deliveries share, prepared once: each locale's compiled templates,
    the organization's values, the unsubscribe link's key."""

    def __init__(self, message: Message, organization: Organization, context: ChunkContext):
        self.channel = MessageChannel(message.channel)
        self.message, self.organization, self.context = message, organization, context
        self.url = unsubscribe.url_maker(organization.id)
        self.organization_values = {"name": organization.name}
        self.templates: dict[str, tuple[Template, Template]] = {}
        self.email_context = {
            "organization_name": organization.name,
            "organization_address": postal_address(organization),
            "sender": sender_of(organization),
            "at_most_once": True,
        }

    def compiled(self, locale: str) -> tuple[Template, Template]:
        if locale not in self.templates:
            content = self.message.contents.get(locale, {"subject": "", "body": ""})
            self.templates[locale] = (
                templates.compiled(self.channel, "subject", content["subject"]),
                templates.compiled(self.channel, "body", content["body"]),
            )
        return self.templates[locale]

    def reach(
        self,
        delivery: rows.Row,
        contact: _Contact,
        consent: tuple[str, datetime] | None,
        proxy: _Contact | None = None,
    ) -> rows.Row | None:
        """The delivery, rendered, and its outbox row to write (None for INTERNAL).
        `proxy`: the account primary an email for this member goes to; it is in their
        language, about the member, and its unsubscribe link and consent are the
        primary's."""
        channel, organization = self.channel, self.organization
        addressee = proxy or contact
        locale = choose_locale(
            self.message.contents, str(addressee.locale), organization.locale.value
        )
        subject, body = self.compiled(locale)
        url = self.url(addressee.id)
        values = {
            "contact": {
                "first_name": contact.first_name,
                "last_name": contact.last_name,
                "display_name": display_name(contact),
            },
            "organization": self.organization_values,
            "unsubscribe_url": url,
        }
        delivery.locale = locale
        delivery.subject = subject.render(values)[:255]
        delivery.body = body.render(values)
        if channel is not MessageChannel.INTERNAL:
            delivery.consent_kind = str(
                addressee.email_consent if channel is MessageChannel.EMAIL else contact.sms_consent
            )
            if consent is not None:
                delivery.consent_source, delivery.consent_at = consent
        if channel is MessageChannel.EMAIL:
            delivery.status = DeliveryStatus.QUEUED
            return rows.Row(
                OutboxMessage,
                organization_id=organization.id,
                channel=Channel.EMAIL,
                template=TEMPLATE,
                recipient=delivery.recipient,
                locale=locale,
                subject=delivery.subject,
                context={
                    "subject": delivery.subject,
                    "body": delivery.body,
                    "text": Markup(delivery.body).striptags(),
                    "unsubscribe_url": url,
                    "list_unsubscribe": url,
                    **self.email_context,
                },
            )
        if channel is MessageChannel.SMS:
            delivery.body = with_stop(delivery.body, locale)
            delivery.status = DeliveryStatus.QUEUED
            return rows.Row(
                OutboxMessage,
                organization_id=organization.id,
                channel=Channel.SMS,
                template="group_sms",
                recipient=delivery.recipient,
                locale=locale,
                context={
                    "text": delivery.body,
                    "from": organization.sms_number,
                    "at_most_once": True,
                },
            )
        delivery.status, delivery.sent_at = DeliveryStatus.SENT, self.context.moment
        return None


async def _already(context: ChunkContext, message_id: int, ids: Sequence[int]) -> set[int]:
    """Those of these contacts the message already has a delivery for. On PostgreSQL each
    is one lookup in the (message, contact) unique index, joined from the ids' array: an
    `IN` list of a chunk's size looks, to a planner without statistics for a table filled
    since its last ANALYZE, like most of the message's deliveries."""
    if context.connection.capabilities.dialect != "postgres":
        found = Delivery.filter(message_id=message_id, contact_key__in=list(ids))
        return set(await found.values_list("contact_key", flat=True))
    rows = await context.connection.execute_query_dict(
        'SELECT d."contact_key" FROM unnest($2::bigint[]) AS k(id) JOIN "message_delivery" d '
        'ON d."message_id" = $1 AND d."contact_key" = k.id',
        [message_id, [int(pk) for pk in ids]],
    )
    return {int(row["contact_key"]) for row in rows}


async def apply(context: ChunkContext, record_ids: Sequence[int]) -> list[RecordResult]:
    message = await Message.get(id=context.params["message_id"])
    channel = MessageChannel(message.channel)
    organization = context.organization
    already = await _already(context, message.id, record_ids)
    contacts = await _contacts(
        channel, organization.id, [pk for pk in record_ids if pk not in already]
    )
    skipped = {c.id: audience.SkipReason(c.skip) for c in contacts if c.skip}
    # Members without an email, reached through their account's primary (its address and
    # consent): resolvers.messaging.audience.primaries_for.
    proxies: dict[int, _Contact] = {}
    if channel is MessageChannel.EMAIL:
        no_email = [pk for pk, reason in skipped.items() if reason is audience.SkipReason.NO_EMAIL]
        through = await audience.primaries_for(organization.id, no_email)
        if through:
            found = {
                p.id: p for p in await _contacts(channel, organization.id, set(through.values()))
            }
            proxies = {member: found[primary] for member, primary in through.items()}
            for member in proxies:
                del skipped[member]
    consents = await _consents(
        channel,
        [c.id for c in contacts if c.id not in skipped] + [p.id for p in proxies.values()],
    )
    writer = _Writer(message, organization, context)
    results: list[RecordResult] = []
    written: list[rows.Row] = []
    queued: list[tuple[rows.Row, rows.Row]] = []
    for contact in contacts:
        delivery = rows.Row(
            Delivery,
            message_id=message.id,
            organization_id=organization.id,
            contact_id=contact.id,
            contact_key=contact.id,
            channel=channel,
            recipient=(contact.phone if channel is MessageChannel.SMS else contact.email) or "",
            user_id=contact.user_id if channel is MessageChannel.INTERNAL else None,
        )
        reason = skipped.get(contact.id)
        if reason is not None:
            delivery.status, delivery.skip_reason = DeliveryStatus.SKIPPED, reason.value
            message_text = SKIP_MESSAGES[reason]
            results.append(
                RecordResult(contact.id, BulkItemStatus.SKIPPED, reason.value, message_text)
            )
            written.append(delivery)
            continue
        proxy = proxies.get(contact.id)
        if proxy is not None:
            delivery.recipient = proxy.email or ""
        consent = consents.get(proxy.id if proxy is not None else contact.id)
        outbox = writer.reach(delivery, contact, consent, proxy)
        if outbox is not None:
            queued.append((delivery, outbox))
        results.append(RecordResult(contact.id, BulkItemStatus.SUCCEEDED))
        written.append(delivery)
    if queued:
        await fanout.queue_chunk(Channel(channel.value), [outbox for _, outbox in queued])
        for delivery, outbox in queued:
            delivery.outbox_message_id = outbox.id
    await rows.insert_rows(written)
    return results


async def finish(operation: BulkOperation) -> None:
    state = (
        MessageState.CANCELED
        if operation.state is BulkOperationState.CANCELED
        else MessageState.SENT
    )
    await Message.filter(operation_id=operation.id).update(state=state)


register(
    BulkOperationKind.MESSAGE_SEND,
    Action(
        record_type="contact",
        permission=Permission.MESSAGES_SEND,
        apply=apply,
        undoable=False,
        finish=finish,
        max_chunk_size=1000,  # one email or text each: a chunk stays well inside a job's timeout
    ),
)
