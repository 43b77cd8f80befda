"""Set-based fan-out of a group message: a send chunk's rows written in a few multi-row
INSERTs, and its emails or SMS sent by ONE job over one provider connection.

Writing (resolvers.messaging.deliveries, in the chunk's transaction): the chunk's outbox
rows go in one `INSERT … RETURNING id` (resolvers.common.rows), its deliveries in one
more, and one `send_messages` task names the chunk's outbox ids: the statements a chunk
costs do not grow with its size.

Sending (`deliver_batch`, the `send_messages` job): the chunk's rows that are still
PENDING, in order, over one SMTP connection (or one paced SMS client). Each message is
claimed (outbox and delivery → SENDING, committed) before the provider is called and is
never sent again: a row found SENDING when the job starts was being sent by a worker that
died, and becomes FAILED, its delivery UNKNOWN. A real provider (SMTP, Twilio) claims one
message at a time, so a killed worker leaves at most one delivery UNKNOWN; the development
`outbox` backend, which calls nobody, marks the chunk's rows and deliveries SENT at once,
in the transaction that checked consent (two statements for the chunk). A message the
provider did not take goes back to PENDING and the job is retried (with backoff) for those
only; an SMS refused for good is FAILED. Consent is checked again just before sending: a
contact who unsubscribed (or was marked do-not-contact, or whose address bounced) since the
chunk was written is skipped. A run that outlives half the job timeout (SMS pacing) hands
the rest to a fresh task.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime

from carnet.providers import email as email_provider
from carnet.providers import sms as sms_provider
from carnet.settings import current_settings
from carnet.templates_env import render_email
from models.contacts import ConsentStatus
from models.message_sends import Delivery, DeliveryStatus
from models.messaging import Channel, OutboxMessage, OutboxStatus
from resolvers.common import rows
from resolvers.common.tasks import (
    current_unit_of_work,
    on_give_up,
    run_budget_seconds,
    unit_of_work,
)
from resolvers.common.time import now
from resolvers.messaging import email

log = logging.getLogger("carnet.messaging")

SEND_BATCH = "send_messages"
INTERRUPTED = "interrupted while sending: not resent"
WITHDRAWN_SINCE = "consent withdrawn before sending"


def _connection():
    return current_unit_of_work().connection


async def queue_chunk(channel: Channel, outbox: Sequence[rows.Row]) -> None:
    """Writes a chunk's outbox rows and defers the one job that sends them (after commit)."""
    if not outbox:
        return
    if keeps_copy(channel):
        for message in outbox:  # a group message has no secret: the copy as written
            message.body_text = str(message.context.get("text", ""))
    await rows.insert_rows(outbox, ids=True)
    await current_unit_of_work().defer(SEND_BATCH, *[message.id for message in outbox])


def keeps_copy(channel: Channel) -> bool:
    if channel is Channel.EMAIL:
        return email_provider.keeps_copy()
    return sms_provider.keeps_copy()


def claim_window(channel: Channel) -> int | None:
    """How many messages one claim takes: one for a real provider, the whole run's for the
    development outbox backend, which calls nobody (None)."""
    settings = current_settings()
    backend = settings.email_backend if channel is Channel.EMAIL else settings.sms_backend
    return None if backend == "outbox" else 1


async def deliver_batch(*ids: int) -> None:
    """The `send_messages` job's body: sends a chunk's outbox rows, each at most once."""
    started = time.monotonic()
    async with unit_of_work() as uow:
        postgres = uow.connection.capabilities.dialect == "postgres"
        await _settle_interrupted(postgres, ids)
        pending = await _skip_withdrawn(await _pending(postgres, ids))
        if not pending:
            return
        channel = Channel(pending[0][1])
        if claim_window(channel) is None:
            # The outbox backend calls nobody: PENDING → SENT at once, in the transaction
            # that checked consent (nothing can be half sent, so no SENDING in between).
            await _sent_unsent(postgres, channel, [pk for pk, _, _ in pending])
            return
        messages = await OutboxMessage.filter(
            id__in=[pk for pk, _, _ in pending], status=OutboxStatus.PENDING
        )
    messages.sort(key=lambda message: message.id)
    not_taken: list[str] = []
    async with _sender(channel) as sender:
        for start in range(len(messages)):
            if start and time.monotonic() - started > run_budget_seconds():
                async with unit_of_work() as uow:
                    await uow.defer(SEND_BATCH, *[m.id for m in messages[start:]])
                break
            claimed = await _claim(messages[start : start + 1])
            sent: list[tuple[int, str]] = []
            for message in claimed:
                try:
                    provider_id = await sender.send(message)
                except sms_provider.SmsRejected as exc:
                    await _refused(message.id, str(exc))
                    continue
                except Exception as exc:
                    # The provider did not take it: back to PENDING, tried again.
                    await OutboxMessage.filter(id=message.id).update(
                        status=OutboxStatus.PENDING, last_error=repr(exc)[:2000]
                    )
                    not_taken.append(repr(exc))
                    continue
                sent.append((message.id, provider_id))
            await _sent(sent)
    if not_taken:
        raise RuntimeError(f"{len(not_taken)} message(s) not taken: {not_taken[0]}")


def _ids_in(postgres: bool, number: int, ids: Sequence[int]) -> tuple[str, list]:
    """`IN` these ids as SQL and its parameters: one array parameter on PostgreSQL (the
    statement's text does not grow with the chunk); `number`: its placeholder's."""
    if postgres:
        return f"= ANY(${number}::bigint[])", [[int(pk) for pk in ids]]
    return "IN (" + ", ".join("?" * len(ids)) + ")", [int(pk) for pk in ids]


def _in_texts(values: Sequence[str]) -> tuple[str, list]:
    return "IN (" + ", ".join("?" * len(values)) + ")", list(values)


def _of_outbox_rows(postgres: bool, number: int, ids: Sequence[int]) -> tuple[str, str, list]:
    """Deliveries `d` of these outbox rows: (what to join, the condition, its parameters).
    On PostgreSQL the ids' array is joined (`unnest`), so that each is looked up in the
    delivery's outbox index whatever the table's statistics say (a fresh table, not yet
    analyzed, otherwise gets a scan of the whole table per chunk)."""
    if postgres:
        ids_array = [[int(pk) for pk in ids]]
        return f"unnest(${number}::bigint[]) AS o(id)", 'd."outbox_message_id" = o.id', ids_array
    where, params = _ids_in(postgres, number, ids)
    return "", f'd."outbox_message_id" {where}', params


async def _pending(postgres: bool, ids: Sequence[int]) -> list[tuple[int, str, str]]:
    """(id, channel, recipient) of the rows still PENDING, in order."""
    where, params = _ids_in(postgres, 1, ids)
    rows = await _connection().execute_query_dict(
        'SELECT "id", "channel", "recipient" FROM "outbox_message" '
        f"WHERE \"status\" = 'PENDING' AND \"id\" {where} ORDER BY \"id\"",
        params,
    )
    return [(int(row["id"]), row["channel"], row["recipient"]) for row in rows]


async def _sent_unsent(postgres: bool, channel: Channel, ids: Sequence[int]) -> None:
    """The outbox backend's "send": the rows still PENDING and their deliveries SENT, in
    two statements; one log line for the run."""
    where, params = _ids_in(postgres, 2, ids)
    moment = "$1" if postgres else "?"
    connection = _connection()
    rows = await connection.execute_query_dict(
        f"UPDATE \"outbox_message\" SET \"status\" = 'SENT', \"attempts\" = \"attempts\" + 1, "
        f"\"last_error\" = '', \"sent_at\" = {moment}, \"updated_at\" = {moment} "
        f"WHERE \"status\" = 'PENDING' AND \"id\" {where} RETURNING \"id\"",
        ([now()] if postgres else [now(), now()]) + params,
    )
    got = sorted(int(row["id"]) for row in rows)
    if not got:
        return
    joined, where, params = _of_outbox_rows(postgres, 2, got)
    await connection.execute_query(
        f"UPDATE \"message_delivery\" AS d SET \"status\" = 'SENT', \"sent_at\" = {moment} "
        f"{'FROM ' + joined if joined else ''} WHERE {where}",
        [now(), *params],
    )
    log.info(
        "%d group %s message(s) (outbox backend: nothing sent; see `carnet outbox`)",
        len(got),
        channel.value.lower(),
    )


async def _settle_interrupted(postgres: bool, ids: Sequence[int]) -> None:
    """Rows found SENDING were being sent by a run that died: maybe sent, never again."""
    where, params = _ids_in(postgres, 2, ids)
    rows = await _connection().execute_query_dict(
        f"UPDATE \"outbox_message\" SET \"status\" = 'FAILED', \"last_error\" = "
        f"{'$1' if postgres else '?'} WHERE \"status\" = 'SENDING' AND \"id\" {where} "
        'RETURNING "id"',
        [INTERRUPTED, *params],
    )
    interrupted = [int(row["id"]) for row in rows]
    if interrupted:
        await Delivery.filter(outbox_message_id__in=interrupted).update(
            status=DeliveryStatus.UNKNOWN
        )


async def _skip_withdrawn(
    pending: list[tuple[int, str, str]],
) -> list[tuple[int, str, str]]:
    """Consent at send time: rows whose contact withdrew consent for the channel, was
    marked do-not-contact, or whose email address bounced since the chunk was written are
    SKIPPED (their delivery SKIPPED, WITHDRAWN). One query for the chunk."""
    if not pending:
        return pending
    channel = Channel(pending[0][1])
    consent = "email_consent" if channel is Channel.EMAIL else "sms_consent"
    postgres = _connection().capabilities.dialect == "postgres"
    joined, where, params = _of_outbox_rows(postgres, 3, [pk for pk, _, _ in pending])
    mark = ("$1", "$2") if postgres else ("?", "?")
    refused = await _connection().execute_query_dict(
        f'SELECT d."outbox_message_id" AS "id" FROM {joined + " JOIN " if joined else ""}'
        f'"message_delivery" d {"ON " + where if joined else ""} '
        'JOIN "contact" c ON c."id" = d."contact_id" '
        f'WHERE (c."do_not_contact" = {mark[0]} OR c."{consent}" = {mark[1]}) '
        f'{"" if joined else "AND " + where}',
        [True, ConsentStatus.WITHDRAWN.value, *params],
    )
    stopped = {int(row["id"]) for row in refused}
    if channel is Channel.EMAIL:
        addresses = sorted({recipient.lower() for _, _, recipient in pending if recipient})
        where, params = (
            ("= ANY($1::text[])", [addresses]) if postgres else _in_texts(addresses)
        )
        found = await _connection().execute_query_dict(
            f'SELECT "address" FROM "undeliverable_address" WHERE "address" {where}', params
        )
        bounced = {row["address"] for row in found}
        stopped |= {pk for pk, _, recipient in pending if recipient.lower() in bounced}
    if not stopped:
        return pending
    await OutboxMessage.filter(id__in=sorted(stopped)).update(
        status=OutboxStatus.SKIPPED, last_error=WITHDRAWN_SINCE
    )
    await Delivery.filter(outbox_message_id__in=sorted(stopped)).update(
        status=DeliveryStatus.SKIPPED, skip_reason="WITHDRAWN"
    )
    return [row for row in pending if row[0] not in stopped]


async def _claim(messages: Sequence[OutboxMessage]) -> list[OutboxMessage]:
    """PENDING → SENDING (outbox and delivery), committed before any provider call; the
    rows this run got (another run may have taken some)."""
    wanted = {m.id: m for m in messages}
    async with unit_of_work() as uow:
        postgres = uow.connection.capabilities.dialect == "postgres"
        marks = ", ".join((f"${n + 3}" if postgres else "?") for n in range(len(wanted)))
        sql = (
            'UPDATE "outbox_message" SET "status" = '
            + ("$1" if postgres else "?")
            + ', "attempts" = "attempts" + 1, "last_error" = \'\', "updated_at" = '
            + ("$2" if postgres else "?")
            + f' WHERE "status" = \'PENDING\' AND "id" IN ({marks}) RETURNING "id"'
        )
        rows = await uow.connection.execute_query_dict(
            sql, [OutboxStatus.SENDING.value, now(), *wanted]
        )
        got = sorted(int(row["id"]) for row in rows)
        if got:
            await Delivery.filter(outbox_message_id__in=got).update(status=DeliveryStatus.SENDING)
    return [wanted[pk] for pk in got]


async def _sent(sent: Sequence[tuple[int, str]]) -> None:
    if not sent:
        return
    moment: datetime = now()
    ids = [pk for pk, _ in sent]
    async with unit_of_work():
        await OutboxMessage.filter(id__in=ids).update(status=OutboxStatus.SENT, sent_at=moment)
        await Delivery.filter(outbox_message_id__in=ids).update(
            status=DeliveryStatus.SENT, sent_at=moment
        )
        for pk, provider_id in sent:  # a real SMS provider's id: one message per claim
            if provider_id:
                await Delivery.filter(outbox_message_id=pk).update(
                    provider_message_id=provider_id[:64]
                )


async def _refused(message_id: int, reason: str) -> None:
    async with unit_of_work():
        await OutboxMessage.filter(id=message_id).update(
            status=OutboxStatus.FAILED, last_error=reason[:2000]
        )
        await Delivery.filter(outbox_message_id=message_id).update(status=DeliveryStatus.FAILED)


class _sender:
    """`async with _sender(channel) as sender: provider_id = await sender.send(row)`: one
    SMTP connection for the whole run (emails), the paced SMS provider (SMS)."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.settings = current_settings()
        self.relay = email_provider.connection() if channel is Channel.EMAIL else None

    async def send(self, message: OutboxMessage) -> str:
        if self.relay is None:
            return await sms_provider.send(
                sms_provider.Sms(
                    recipient=message.recipient,
                    text=str(message.context.get("text", "")),
                    sender=str(message.context.get("from") or ""),
                )
            )
        values = {**message.context, "link": self.settings.app_url.rstrip("/") + "/"}
        rendered = render_email(message.template, message.locale, **values)
        await self.relay.send(
            email_provider.Email(
                message_id=email.message_id_of(message),
                recipient=message.recipient,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                sender=str(message.context.get("sender") or ""),
                headers=email.headers_of(message.context),
            )
        )
        return ""

    async def __aenter__(self) -> _sender:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.relay is not None:
            await self.relay.close()


async def mark_batch_failed(*ids: int) -> None:
    """When the job is given up: its rows not sent are FAILED, their deliveries too."""
    await OutboxMessage.filter(
        id__in=list(ids), status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING]
    ).update(status=OutboxStatus.FAILED)
    await Delivery.filter(
        outbox_message_id__in=list(ids),
        status__in=[DeliveryStatus.QUEUED, DeliveryStatus.SENDING],
    ).update(status=DeliveryStatus.FAILED)


on_give_up(SEND_BATCH, mark_batch_failed)
