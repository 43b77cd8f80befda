"""Sending group messages (issue 12): `messageSend` (now or scheduled), `messageSendCancel`,
`messages`, `message { state counts deliveries operation }`. Progress is the bulk
operation's (`bulkOperationProgress`). All need messages.send; the inbox is schema.inbox.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from carnet.i18n import translate
from models.bulk import BulkOperation
from models.message_sends import Delivery, DeliveryStatus, Message, MessageState
from resolvers.common.permissions import Permission
from resolvers.messaging import deliveries, sends
from resolvers.messaging.audience import SkipReason
from schema.bulk import BulkOperationType
from schema.messaging import MessageChannelEnum, MessageKindEnum, MessageSkipReasonEnum
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id
from schema.types import Connection, Node, model_node

MessageStateEnum = strawberry.enum(
    MessageState,
    name="MessageState",
    description="SCHEDULED: waits for its time (cancellable). SENDING: its operation runs. "
    "SENT: every recipient handled. CANCELED: before it started, or its operation canceled.",
)
DeliveryStatusEnum = strawberry.enum(
    DeliveryStatus,
    name="MessageDeliveryStatus",
    description="QUEUED: handed to the provider's queue. SENDING: being sent. SKIPPED: not "
    "sent, see `skipReason`. UNKNOWN: a worker stopped while sending; never sent again.",
)


@strawberry.type(name="MessageSendSkipCount")
class MessageSkipCountRef:
    reason: MessageSkipReasonEnum
    count: int


@strawberry.type(description="How many deliveries are in each status, and skips by reason.")
class MessageCounts:
    total: int
    queued: int
    sending: int
    sent: int
    skipped: int
    failed: int
    bounced: int
    unknown: int
    skips: list[MessageSkipCountRef]


@model_node("MessageDelivery", Delivery, Permission.MESSAGES_SEND)
class MessageDeliveryType(Node):
    status: DeliveryStatusEnum
    recipient: str = strawberry.field(description="The address or phone number used.")
    locale: str
    subject: str
    body: str = strawberry.field(description="As rendered for this recipient.")
    consent_kind: str = strawberry.field(
        description="The consent relied on (EXPRESS, IMPLIED); empty for INTERNAL or skips."
    )
    consent_source: str
    consent_at: datetime | None
    created_at: datetime
    sent_at: datetime | None

    @strawberry.field(description="Why it was not sent, for SKIPPED.")
    def skip_reason(self) -> MessageSkipReasonEnum | None:
        return SkipReason(self.skip_reason) if self.skip_reason else None

    @strawberry.field(description="The skip reason in words, in your language.")
    def skip_message(self, info: strawberry.Info) -> str:
        if not self.skip_reason:
            return ""
        return translate(deliveries.SKIP_MESSAGES[SkipReason(self.skip_reason)],
                         info.context.locale)

    @strawberry.field(description="The contact's global id.")
    def contact_id(self) -> strawberry.ID:
        from schema import ids

        return strawberry.ID(ids.encode("Contact", self.contact_key))


@model_node("Message", Message, Permission.MESSAGES_SEND)
class MessageType(Node):
    channel: MessageChannelEnum
    kind: MessageKindEnum
    state: MessageStateEnum
    send_at: datetime = strawberry.field(description="When it was (or is to be) sent.")
    started_at: datetime | None
    canceled_at: datetime | None
    created_at: datetime

    @strawberry.field(
        **describe("Its deliveries by status.", requires(Permission.MESSAGES_SEND))
    )
    async def counts(self) -> MessageCounts:
        tally = {s: 0 for s in DeliveryStatus}
        skips: dict[str, int] = {}
        for status, reason, n in await sends.counts(self):
            tally[DeliveryStatus(status)] += n
            if reason:
                skips[reason] = skips.get(reason, 0) + n
        return MessageCounts(
            total=sum(tally.values()),
            queued=tally[DeliveryStatus.QUEUED],
            sending=tally[DeliveryStatus.SENDING],
            sent=tally[DeliveryStatus.SENT],
            skipped=tally[DeliveryStatus.SKIPPED],
            failed=tally[DeliveryStatus.FAILED],
            bounced=tally[DeliveryStatus.BOUNCED],
            unknown=tally[DeliveryStatus.UNKNOWN],
            skips=[
                MessageSkipCountRef(reason=SkipReason(r), count=n) for r, n in sorted(skips.items())
            ],
        )

    @strawberry.field(
        **describe(
            "One delivery per recipient handled so far, in order.",
            requires(Permission.MESSAGES_SEND),
        )
    )
    async def deliveries(
        self,
        info: strawberry.Info,
        status: DeliveryStatusEnum | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[MessageDeliveryType]:
        page = await sends.delivery_page(
            self, DeliveryStatus(status) if status is not None else None, first=first, after=after
        )
        return Connection.of(page)

    @strawberry.field(
        **describe(
            "The bulk operation delivering it (null while scheduled): its progress.",
            requires(Permission.MESSAGES_SEND, also=Permission.BULK_RUN),
        )
    )
    async def operation(self) -> BulkOperationType | None:
        if self.operation_id is None:
            return None
        return await BulkOperation.get_or_none(id=self.operation_id)


@strawberry.input
class MessageSendInput:
    draft_id: strawberry.ID
    at: datetime | None = strawberry.field(
        default=None, description="When to send it (with a time zone); now when omitted."
    )


@strawberry.input
class MessageSendCancelInput:
    message_id: strawberry.ID


@strawberry.type
class MessagePayload(Payload):
    message: MessageType | None = None


@strawberry.type
class MessageSendsQuery:
    @strawberry.field(
        **describe(
            "The organization's sent and scheduled messages, newest first.",
            requires(Permission.MESSAGES_SEND),
        )
    )
    async def messages(
        self,
        info: strawberry.Info,
        organization_id: strawberry.ID,
        state: MessageStateEnum | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[MessageType]:
        page = await sends.messages(
            info.context.actor(info),
            MessageState(state) if state is not None else None,
            first=first,
            after=after,
        )
        return Connection.of(page)

    @strawberry.field(**describe("One sent or scheduled message.",
                                 requires(Permission.MESSAGES_SEND)))
    async def message(self, info: strawberry.Info, id: strawberry.ID) -> MessageType | None:
        pk = await scoped_id(info, id, "Message", ("id",))
        return await sends.message(info.context.actor(info), pk)


@strawberry.type
class MessageSendsMutation:
    @strawberry.mutation(
        **describe(
            "Sends a draft to its audience, now or at `at`: each recipient gets it in their "
            "language, or is skipped with a reason (consent, no address...). A draft is sent "
            "once; the delivery runs as a bulk operation.",
            requires(Permission.MESSAGES_SEND, scope="input.draftId", also=Permission.BULK_RUN),
        )
    )
    async def message_send(self, info: strawberry.Info, input: MessageSendInput) -> MessagePayload:
        pk = await scoped_id(info, input.draft_id, "MessageDraft", ("input", "draftId"))
        message = await sends.send(info.context.actor(info), pk, input.at)
        return MessagePayload(message=message)

    @strawberry.mutation(
        **describe(
            "Cancels a scheduled message before it starts (ALREADY_STARTED after).",
            requires(Permission.MESSAGES_SEND, scope="input.messageId"),
        )
    )
    async def message_send_cancel(
        self, info: strawberry.Info, input: MessageSendCancelInput
    ) -> MessagePayload:
        pk = await scoped_id(info, input.message_id, "Message", ("input", "messageId"))
        message = await sends.cancel(info.context.actor(info), pk)
        return MessagePayload(message=message)
