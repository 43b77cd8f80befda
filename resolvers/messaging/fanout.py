"""Set-based fan-out of a group message: a send chunk's rows written in a few multi-row
INSERTs, and its emails or SMS sent by ONE job over one provider connection.

Writing (resolvers.messaging.deliveries, in the chunk's transaction): the chunk's outbox
rows go in one `INSERT … VALUES (…), (…) RETURNING id` per thousand rows, its deliveries
in one more, and one `send_messages` task names the chunk's outbox ids: the statements a
chunk costs do not grow with its size.

Sending (`deliver_batch`, the `send_messages` job): the chunk's rows that are still
PENDING, in order, over one SMTP connection (or one paced SMS client). Each message is
claimed (outbox and delivery → SENDING, committed) before the provider is called and is
never sent again: a row found SENDING when the job starts was being sent by a worker that
died, and becomes FAILED, its delivery UNKNOWN. A real provider (SMTP, Twilio) claims one
message at a time, so a killed worker leaves at most one delivery UNKNOWN; the development
`outbox` backend, which sends nothing, claims the chunk's rows together. A message the
provider did not take goes back to PENDING and the job is retried (with backoff) for those
only; an SMS refused for good is FAILED. Consent is checked again just before sending: a
contact who unsubscribed (or was marked do-not-contact, or whose address bounced) since the
chunk was written is skipped. A run that outlives half the job timeout (SMS pacing) hands
the rest to a fresh task.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import Enum

from tortoise.expressions import Q
from tortoise.models import Model

from carnet.providers import email as email_provider
from carnet.providers import sms as sms_provider
from carnet.settings import current_settings
from carnet.templates_env import render_email
from models.contacts import ConsentStatus
from models.message_sends import Delivery, DeliveryStatus, UndeliverableAddress
from models.messaging import Channel, OutboxMessage, OutboxStatus
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
# Rows per INSERT: well under SQLite's (32,766) and PostgreSQL's (65,535) parameter limits
# for the widest row written here (a delivery, 21 columns).
_ROWS_PER_STATEMENT = 1000
INTERRUPTED = "interrupted while sending: not resent"
WITHDRAWN_SINCE = "consent withdrawn before sending"


def _connection():
    return current_unit_of_work().connection


def _placeholders(postgres: bool, first: int, count: int) -> str:
    if postgres:
        return "(" + ", ".join(f"${first + n}" for n in range(1, count + 1)) + ")"
    return "(" + ", ".join("?" * count) + ")"


class Row:
    """An unsaved row of `model`, its columns as attributes by field name, with the model's
    defaults: a chunk builds thousands, and a Tortoise instance costs ten times more."""

    def __init__(self, model: type[Model], **values: object) -> None:
        self.__dict__.update(_defaults(model))
        for name, make in _callable_defaults(model).items():
            self.__dict__[name] = make()
        self.__dict__.update(values)
        self.__dict__["_model"] = model


@functools.cache
def _columns(model: type[Model]) -> tuple[tuple[str, str], ...]:
    """(field name, column) of what an INSERT writes: every column but the generated id."""
    meta = model._meta
    return tuple(
        (name, column) for name, column in meta.fields_db_projection.items() if name != meta.pk_attr
    )


@functools.cache
def _defaults(model: type[Model]) -> dict[str, object]:
    fields_map = model._meta.fields_map
    found: dict[str, object] = {}
    for name, _ in _columns(model):
        field = fields_map[name]
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            found[name] = None  # the INSERT's moment
        elif not callable(field.default):
            found[name] = field.default
    return found


@functools.cache
def _callable_defaults(model: type[Model]) -> dict[str, Callable[[], object]]:
    fields_map = model._meta.fields_map
    return {
        name: fields_map[name].default
        for name, _ in _columns(model)
        if callable(fields_map[name].default)
    }


def _db_value(value: object, moment: datetime) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


async def insert_rows(rows: Sequence[Row], *, ids: bool = False) -> None:
    """Inserts rows of one model in multi-row INSERTs (one per thousand rows). With `ids`,
    each row gets its new `id` (RETURNING id: a multi-row INSERT takes its ids in the order
    of its VALUES, on SQLite and from a PostgreSQL sequence alike, so the sorted ids are the
    rows' in order)."""
    if not rows:
        return
    model = rows[0]._model
    meta = model._meta
    columns = _columns(model)
    stamped = {name for name, value in _defaults(model).items() if value is None} & {
        name
        for name, _ in columns
        if getattr(meta.fields_map[name], "auto_now", False)
        or getattr(meta.fields_map[name], "auto_now_add", False)
    }
    names = ", ".join(f'"{column}"' for _, column in columns)
    connection = _connection()
    postgres = connection.capabilities.dialect == "postgres"
    moment = now()
    for start in range(0, len(rows), _ROWS_PER_STATEMENT):
        batch = rows[start : start + _ROWS_PER_STATEMENT]
        params: list = []
        values = []
        for row in batch:
            values.append(_placeholders(postgres, len(params), len(columns)))
            attributes = row.__dict__
            for name, _ in columns:
                value = attributes[name]
                if value is None and name in stamped:
                    value = moment
                params.append(_db_value(value, moment))
        sql = f'INSERT INTO "{meta.db_table}" ({names}) VALUES {", ".join(values)}'
        if not ids:
            await connection.execute_query(sql, params)
            continue
        # execute_query_dict: asyncpg's execute_query drops what an INSERT returns.
        returned = await connection.execute_query_dict(
            sql + f' RETURNING "{meta.pk_attr}" AS "pk"', params
        )
        new_ids = sorted(int(found["pk"]) for found in returned)
        for row, pk in zip(batch, new_ids, strict=True):
            row.__dict__["id"] = pk


async def queue_chunk(channel: Channel, outbox: Sequence[Row]) -> None:
    """Writes a chunk's outbox rows and defers the one job that sends them (after commit)."""
    if not outbox:
        return
    if keeps_copy(channel):
        for message in outbox:  # a group message has no secret: the copy as written
            message.body_text = str(message.context.get("text", ""))
    await insert_rows(outbox, ids=True)
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
    async with unit_of_work():
        await _settle_interrupted(ids)
        pending = await OutboxMessage.filter(id__in=list(ids), status=OutboxStatus.PENDING)
        pending.sort(key=lambda message: message.id)
        pending = await _skip_withdrawn(pending)
    if not pending:
        return
    channel = Channel(pending[0].channel)
    window = claim_window(channel) or len(pending)
    not_taken: list[str] = []
    async with _sender(channel) as sender:
        for start in range(0, len(pending), window):
            if start and time.monotonic() - started > run_budget_seconds():
                async with unit_of_work() as uow:
                    await uow.defer(SEND_BATCH, *[m.id for m in pending[start:]])
                break
            claimed = await _claim(pending[start : start + window])
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


async def _settle_interrupted(ids: Sequence[int]) -> None:
    """Rows found SENDING were being sent by a run that died: maybe sent, never again."""
    interrupted = await OutboxMessage.filter(
        id__in=list(ids), status=OutboxStatus.SENDING
    ).values_list("id", flat=True)
    if not interrupted:
        return
    await OutboxMessage.filter(id__in=interrupted).update(
        status=OutboxStatus.FAILED, last_error=INTERRUPTED
    )
    await Delivery.filter(outbox_message_id__in=interrupted).update(status=DeliveryStatus.UNKNOWN)


async def _skip_withdrawn(pending: list[OutboxMessage]) -> list[OutboxMessage]:
    """Consent at send time: rows whose contact withdrew consent for the channel, was
    marked do-not-contact, or whose email address bounced since the chunk was written are
    SKIPPED (their delivery SKIPPED, WITHDRAWN). One query for the chunk."""
    if not pending:
        return pending
    channel = Channel(pending[0].channel)
    consent = "email_consent" if channel is Channel.EMAIL else "sms_consent"
    withdrawn = Q(**{f"contact__{consent}": ConsentStatus.WITHDRAWN})
    refused = Q(contact__do_not_contact=True) | withdrawn
    stopped = set(
        await Delivery.filter(refused, outbox_message_id__in=[m.id for m in pending]).values_list(
            "outbox_message_id", flat=True
        )
    )
    if channel is Channel.EMAIL:
        addresses = {m.recipient.lower() for m in pending if m.recipient}
        bounced = set(
            await UndeliverableAddress.filter(address__in=sorted(addresses)).values_list(
                "address", flat=True
            )
        )
        stopped |= {m.id for m in pending if m.recipient.lower() in bounced}
    if not stopped:
        return pending
    await OutboxMessage.filter(id__in=sorted(stopped)).update(
        status=OutboxStatus.SKIPPED, last_error=WITHDRAWN_SINCE
    )
    await Delivery.filter(outbox_message_id__in=sorted(stopped)).update(
        status=DeliveryStatus.SKIPPED, skip_reason="WITHDRAWN"
    )
    return [m for m in pending if m.id not in stopped]


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
        self.outbox = claim_window(channel) is None
        self.logged = 0

    async def send(self, message: OutboxMessage) -> str:
        if self.outbox:  # nothing leaves: one log line per run, not per message
            self.logged += 1
            return ""
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
        if self.logged:
            log.info(
                "%d group %s message(s) (outbox backend: nothing sent; see `carnet outbox`)",
                self.logged,
                self.channel.value.lower(),
            )
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
