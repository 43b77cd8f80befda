"""`messageSend`: a draft's sent copy (a Message) and the bulk operation that delivers it.

Sent now, the audience is frozen at once as the operation's target; scheduled (`at` in the
future), the message waits SCHEDULED, cancellable, until the `start_scheduled_messages`
cron starts it (within half a minute of `at`) on behalf of its sender, if they may still
send messages then (else it is CANCELED). A draft is sent once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.functions import Count

from carnet.i18n import N_
from models.bulk import BulkOperation, BulkOperationKind, BulkOperationState
from models.message_sends import Delivery, DeliveryStatus, Message, MessageState
from models.messaging import MessageDraft
from models.staff import MembershipStatus, StaffMembership
from resolvers.bulk import operations
from resolvers.bulk.contact_targets import records
from resolvers.common import audit
from resolvers.common.actor import Actor, RequestMeta
from resolvers.common.errors import NotFound, UserErrorCode, UserErrors
from resolvers.common.locks import locked_row
from resolvers.common.pagination import Page, paginate
from resolvers.common.permissions import Permission
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.messaging import deliveries  # noqa: F401  (registers MESSAGE_SEND)
from resolvers.messaging.drafts import audience_from_json

DRAFT_FIELD = ("input", "draftId")
# A schedule this close to now is "now": the clocks of client and server differ a little.
NOW_TOLERANCE = timedelta(seconds=5)


async def send(actor: Actor, draft_id: int | None, at: datetime | None) -> Message:
    moment = now()
    if at is not None and at.tzinfo is None:
        raise UserErrors.single(
            UserErrorCode.INVALID, ("input", "at"), N_("Give the time with its time zone.")
        )
    if at is not None and at < moment - NOW_TOLERANCE:
        raise UserErrors.single(
            UserErrorCode.IN_THE_PAST, ("input", "at"), N_("This time has already passed.")
        )
    async with unit_of_work():
        draft = await locked_row(MessageDraft, actor, draft_id, DRAFT_FIELD)
        if await Message.exists(draft_id=draft.id):
            raise UserErrors.single(
                UserErrorCode.ALREADY_SENT, DRAFT_FIELD, N_("This draft was already sent.")
            )
        if not draft.contents:
            raise UserErrors.single(
                UserErrorCode.INVALID, DRAFT_FIELD, N_("This draft has no content yet.")
            )
        scheduled = at is not None and at > moment + NOW_TOLERANCE
        message = await Message.create(
            organization_id=actor.organization_id,
            draft_id=draft.id,
            channel=draft.channel,
            kind=draft.kind,
            audience=draft.audience,
            contents=draft.contents,
            state=MessageState.SCHEDULED,
            send_at=at if scheduled else moment,
            created_by=actor.user,
        )
        if scheduled:
            # Refused now rather than found empty at the scheduled time.
            if not await (await _records(actor, message)).exists():
                raise UserErrors.single(
                    UserErrorCode.EMPTY_TARGET, DRAFT_FIELD, N_("No record matches: nothing to do.")
                )
        else:
            await _start(actor, message, checked=True)
        await audit.record(
            "message.schedule" if scheduled else "message.send",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("Message", message.id),
            after={
                "draft_id": draft.id,
                "channel": message.channel.value,
                "send_at": message.send_at.isoformat(),
                "operation_id": message.operation_id,
            },
        )
    return message


async def _records(actor: Actor, message: Message):
    try:
        return await records(actor, audience_from_json(message.audience))
    except NotFound:
        raise NotFound(DRAFT_FIELD) from None


async def _start(actor: Actor, message: Message, *, checked: bool) -> BulkOperation:
    """Freezes the audience and queues the chunks, in the caller's unit of work."""
    target = await _records(actor, message)
    params = {"message_id": message.id}
    if checked:
        operation = await operations.start(
            actor,
            BulkOperationKind.MESSAGE_SEND,
            target,
            target=message.audience,
            params=params,
            target_field=DRAFT_FIELD,
        )
    else:
        operation = await operations.launch(
            actor, BulkOperationKind.MESSAGE_SEND, target, target=message.audience, params=params
        )
    moment = now()
    message.state, message.operation_id, message.started_at = (
        MessageState.SENDING, operation.id, moment
    )
    if operation.total == 0:  # no chunk will end it
        await BulkOperation.filter(id=operation.id).update(
            state=BulkOperationState.COMPLETED, started_at=moment, finished_at=moment
        )
        message.state = MessageState.SENT
    await Message.filter(id=message.id).update(
        state=message.state, operation_id=operation.id, started_at=moment, updated_at=moment
    )
    return operation


async def cancel(actor: Actor, message_id: int | None) -> Message:
    """Cancels a scheduled message that has not started; ALREADY_STARTED after."""
    async with unit_of_work():
        message = await locked_row(Message, actor, message_id, ("input", "messageId"))
        if message.state is not MessageState.SCHEDULED:
            raise UserErrors.single(
                UserErrorCode.ALREADY_STARTED,
                ("input", "messageId"),
                N_("This message has already started sending: cancel its operation instead."),
            )
        moment = now()
        message.state, message.canceled_at = MessageState.CANCELED, moment
        await Message.filter(id=message.id).update(
            state=message.state, canceled_at=moment, updated_at=moment
        )
        await audit.record(
            "message.cancel",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("Message", message.id),
        )
    return message


async def _sender(message: Message) -> Actor | None:
    """The sender, as they are now in the message's organization, if they may send."""
    if message.created_by_id is None:
        return None
    membership = (
        await StaffMembership.filter(
            organization_id=message.organization_id,
            user_id=message.created_by_id,
            status=MembershipStatus.ACTIVE,
        )
        .select_related("user", "organization")
        .first()
    )
    if membership is None:
        return None
    actor = Actor(user=membership.user, organization=membership.organization, membership=membership)
    if not (actor.can(Permission.MESSAGES_SEND) and actor.can(Permission.BULK_RUN)):
        return None
    return actor


async def start_due(moment: datetime | None = None, batch: int = 50) -> int:
    """Starts the scheduled messages whose time has come; how many. Each in its own unit of
    work, claimed by a write (SCHEDULED → SENDING) so that two sweeps start it once."""
    moment = moment or now()
    due = await Message.filter(state=MessageState.SCHEDULED, send_at__lte=moment).order_by(
        "send_at", "id"
    ).limit(batch).values_list("id", flat=True)
    started = 0
    for message_id in due:
        async with unit_of_work():
            claimed = await Message.filter(id=message_id, state=MessageState.SCHEDULED).update(
                state=MessageState.SENDING
            )
            if not claimed:
                continue
            message = await Message.get(id=message_id)
            actor = await _sender(message)
            if actor is None:
                await Message.filter(id=message_id).update(
                    state=MessageState.CANCELED, canceled_at=moment
                )
                await audit.record(
                    "message.cancel",
                    actor=None,
                    meta=RequestMeta(),
                    organization_id=message.organization_id,
                    target=("Message", message.id),
                    after={"reason": "the sender may no longer send messages"},
                )
                continue
            await _start(actor, message, checked=False)
            started += 1
    return started


async def message(actor: Actor, message_id: int | None) -> Message:
    found = None
    if message_id is not None:
        found = await Message.get_or_none(id=message_id, organization_id=actor.organization_id)
    if found is None:
        raise NotFound(("id",))
    return found


async def messages(actor: Actor, state: MessageState | None, **page_args) -> Page:
    qs = Message.filter(organization_id=actor.organization_id)
    if state is not None:
        qs = qs.filter(state=state)
    return await paginate(qs, order=("-id",), **page_args)


async def delivery_page(message: Message, status: DeliveryStatus | None, **page_args) -> Page:
    qs = Delivery.filter(message_id=message.id)
    if status is not None:
        qs = qs.filter(status=status)
    return await paginate(qs, order=("id",), **page_args)


async def counts(message: Message) -> list[tuple[str, str, int]]:
    """(status, skip reason, how many) of its deliveries, in one GROUP BY."""
    rows = (
        await Delivery.filter(message_id=message.id)
        .annotate(n=Count("id"))
        .group_by("status", "skip_reason")
        .values_list("status", "skip_reason", "n")
    )
    return [(str(status), reason, int(n)) for status, reason, n in rows]
