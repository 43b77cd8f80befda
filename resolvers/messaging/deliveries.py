"""The MESSAGE_SEND batch action: one chunk of a message's frozen audience, in the chunk's
transaction. Each contact gets one Delivery (unique per message and contact): SKIPPED with
the audience report's reason (resolvers.messaging.audience.classify), or reached, with the
consent it relied on and the message rendered in their language. What a reached delivery
becomes depends on the channel: EMAIL and SMS queue one outbox row each, sent by its own
job after the commit (at most once: resolvers.messaging.email / sms); INTERNAL is SENT at
once into the recipient user's inbox. The engine runs a chunk once however many times its
job runs (resolvers.bulk.chunks), and the unique delivery keeps it so even if not.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import formataddr

from markupsafe import Markup

from carnet.i18n import N_
from models.bulk import BulkItemStatus, BulkOperation, BulkOperationKind, BulkOperationState
from models.contacts import ConsentChannel, ConsentRecord, Contact
from models.message_sends import Delivery, DeliveryStatus, Message, MessageState
from models.messaging import Channel, MessageChannel, OutboxMessage
from models.organizations import Organization
from resolvers.bulk.actions import Action, ChunkContext, RecordResult, register
from resolvers.common.permissions import Permission
from resolvers.common.tasks import current_unit_of_work
from resolvers.contacts.records import display_name
from resolvers.messaging import audience, email, templates, unsubscribe
from resolvers.messaging.self_send import postal_address
from resolvers.messaging.sms import SEND_SMS
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


def values_for(contact: Contact, organization: Organization) -> dict:
    return {
        "contact": {
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "display_name": display_name(contact),
        },
        "organization": {"name": organization.name},
        "unsubscribe_url": unsubscribe.url_for(organization.id, contact.id),
    }


async def _consents(channel: MessageChannel, contact_ids: list[int]) -> dict[int, ConsentRecord]:
    """Each contact's latest consent record for the channel: the consent relied on."""
    if channel is MessageChannel.INTERNAL or not contact_ids:
        return {}
    latest: dict[int, ConsentRecord] = {}
    records = ConsentRecord.filter(
        contact_id__in=contact_ids, channel=ConsentChannel(channel.value)
    ).order_by("contact_id", "recorded_at", "id")
    for record in await records:
        latest[record.contact_id] = record
    return latest


def sender_of(organization: Organization) -> str:
    """The organization's own From, when it has set its sender address."""
    if not organization.sender_email:
        return ""
    return formataddr((organization.sender_name or organization.name, organization.sender_email))


async def _queue_email(
    delivery: Delivery, organization: Organization, text: str, addressee_id: int
) -> None:
    url = unsubscribe.url_for(organization.id, addressee_id)
    outbox = await OutboxMessage.create(
        organization_id=organization.id,
        channel=Channel.EMAIL,
        template=TEMPLATE,
        recipient=delivery.recipient,
        locale=delivery.locale,
        context={
            "subject": delivery.subject,
            "body": delivery.body,
            "text": text,
            "organization_name": organization.name,
            "organization_address": postal_address(organization),
            "unsubscribe_url": url,
            "list_unsubscribe": url,
            "sender": sender_of(organization),
            "at_most_once": True,
        },
    )
    delivery.outbox_message_id = outbox.id
    await current_unit_of_work().defer(email.SEND_EMAIL, outbox.id)


async def _queue_sms(delivery: Delivery, organization: Organization) -> None:
    outbox = await OutboxMessage.create(
        organization_id=organization.id,
        channel=Channel.SMS,
        template="group_sms",
        recipient=delivery.recipient,
        locale=delivery.locale,
        context={"text": delivery.body, "from": organization.sms_number, "at_most_once": True},
    )
    delivery.outbox_message_id = outbox.id
    await current_unit_of_work().defer(SEND_SMS, outbox.id)


async def apply(context: ChunkContext, record_ids: Sequence[int]) -> list[RecordResult]:
    message = await Message.get(id=context.params["message_id"])
    channel = MessageChannel(message.channel)
    organization = context.organization
    contacts = await Contact.filter(organization_id=organization.id, id__in=list(record_ids))
    already = set(
        await Delivery.filter(message_id=message.id, contact_key__in=list(record_ids)).values_list(
            "contact_key", flat=True
        )
    )
    contacts = [c for c in contacts if c.id not in already]
    skipped = await audience.classify(channel, organization.id, [c.id for c in contacts])
    # Members without an email, reached through their account's primary (its address and
    # consent): resolvers.messaging.audience.primaries_for.
    proxies: dict[int, Contact] = {}
    if channel is MessageChannel.EMAIL:
        no_email = [c.id for c in contacts if not c.email and c.id not in skipped]
        through = await audience.primaries_for(organization.id, no_email)
        found = {p.id: p for p in await Contact.filter(id__in=set(through.values()))}
        proxies = {member: found[primary] for member, primary in through.items()}
    consents = await _consents(
        channel,
        [c.id for c in contacts if c.id not in skipped] + [p.id for p in proxies.values()],
    )
    results: list[RecordResult] = []
    rows: list[Delivery] = []
    for contact in contacts:
        delivery = Delivery(
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
            rows.append(delivery)
            continue
        proxy = proxies.get(contact.id)
        if proxy is not None:
            delivery.recipient = proxy.email or ""
        consent = consents.get(proxy.id if proxy is not None else contact.id)
        await _reach(delivery, message, contact, organization, consent, context, proxy)
        results.append(RecordResult(contact.id, BulkItemStatus.SUCCEEDED))
        rows.append(delivery)
    if rows:
        await Delivery.bulk_create(rows)
    return results


async def _reach(
    delivery: Delivery,
    message: Message,
    contact: Contact,
    organization: Organization,
    consent: ConsentRecord | None,
    context: ChunkContext,
    proxy: Contact | None = None,
) -> None:
    """`proxy`: the account primary an email for this member goes to; it is in their
    language, about the member, and its unsubscribe link and consent are the primary's."""
    channel = MessageChannel(message.channel)
    addressee = proxy or contact
    locale = choose_locale(message.contents, addressee.locale.value, organization.locale.value)
    content = message.contents.get(locale, {"subject": "", "body": ""})
    values = {**values_for(contact, organization),
              "unsubscribe_url": unsubscribe.url_for(organization.id, addressee.id)}
    delivery.locale = locale
    delivery.subject = templates.render(channel, "subject", content["subject"], values)[:255]
    delivery.body = templates.render(channel, "body", content["body"], values)
    if channel is not MessageChannel.INTERNAL:
        delivery.consent_kind = (
            addressee.email_consent if channel is MessageChannel.EMAIL else contact.sms_consent
        ).value
        if consent is not None:
            delivery.consent_source, delivery.consent_at = consent.source, consent.recorded_at
    if channel is MessageChannel.EMAIL:
        delivery.status = DeliveryStatus.QUEUED
        text = Markup(delivery.body).striptags()
        await _queue_email(delivery, organization, text, addressee.id)
    elif channel is MessageChannel.SMS:
        delivery.body = with_stop(delivery.body, locale)
        delivery.status = DeliveryStatus.QUEUED
        await _queue_sms(delivery, organization)
    else:
        delivery.status, delivery.sent_at = DeliveryStatus.SENT, context.moment


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
    ),
)
