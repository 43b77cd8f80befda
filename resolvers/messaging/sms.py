"""Group SMS, one outbox row per delivery, sent at most once: a send chunk's rows by the
`send_messages` job (resolvers.messaging.fanout), a single row by `send_sms` (below).

The claim (→ SENDING) is committed before the provider is called (the same claim as group
emails: resolvers.messaging.email.claim_at_most_once); a run that finds its row SENDING
from a run that died does not send it again (UNKNOWN). When the provider did not take the
message (429, 5xx, network), the row goes back to PENDING and the job retries with backoff;
a refusal for good is FAILED.
"""

from __future__ import annotations

from carnet.providers import sms as sms_provider
from models.message_sends import Delivery, DeliveryStatus
from models.messaging import OutboxMessage, OutboxStatus
from resolvers.common.tasks import on_give_up, unit_of_work
from resolvers.common.time import now
from resolvers.messaging.email import claim_at_most_once, mark_failed

SEND_SMS = "send_sms"


async def deliver(message_id: int) -> None:
    async with unit_of_work():
        if not await claim_at_most_once(message_id):
            return
        message = await OutboxMessage.get(id=message_id)
    text = str(message.context.get("text", ""))
    try:
        provider_id = await sms_provider.send(
            sms_provider.Sms(
                recipient=message.recipient,
                text=text,
                sender=str(message.context.get("from") or ""),
            )
        )
    except sms_provider.SmsRejected as exc:
        await OutboxMessage.filter(id=message_id).update(
            status=OutboxStatus.FAILED, last_error=str(exc)[:2000]
        )
        await Delivery.filter(outbox_message_id=message_id).update(status=DeliveryStatus.FAILED)
        return
    except Exception as exc:
        await OutboxMessage.filter(id=message_id).update(
            status=OutboxStatus.PENDING, last_error=repr(exc)[:2000]
        )
        raise
    moment = now()
    kept = {"body_text": text} if sms_provider.keeps_copy() else {}
    await OutboxMessage.filter(id=message_id).update(
        status=OutboxStatus.SENT, sent_at=moment, **kept
    )
    await Delivery.filter(outbox_message_id=message_id).update(
        status=DeliveryStatus.SENT, sent_at=moment, provider_message_id=provider_id[:64]
    )


on_give_up(SEND_SMS, mark_failed)
