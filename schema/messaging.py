"""Group message drafts (issue 12, first step): compose, preview and count the audience;
sending comes later.

Writing and reading drafts both need messages.send: a draft is the sender's work in
progress, and its preview and audience report are what a sender checks before sending.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from carnet.i18n import translate
from models.identity import Locale
from models.messaging import MessageChannel, MessageDraft, MessageKind
from resolvers.common.permissions import Permission
from resolvers.messaging import audience, drafts, self_send, sms_length, templates
from schema import ids
from schema.bulk import BulkContactTargetInput, contact_target
from schema.identity import LocaleEnum
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id
from schema.types import Connection, Node, model_node

MessageChannelEnum = strawberry.enum(
    MessageChannel,
    name="MessageChannel",
    description="INTERNAL lands in the recipient user's inbox.",
)
MessageKindEnum = strawberry.enum(
    MessageKind,
    name="MessageKind",
    description="MARKETING needs consent; TRANSACTIONAL (invitations, receipts) never carries "
    "marketing. Drafts are MARKETING.",
)
MessageSkipReasonEnum = strawberry.enum(audience.SkipReason, name="MessageSkipReason")


@strawberry.type(description="A variable message templates may use, as `{{ name }}`.")
class MessageTemplateVariable:
    name: str
    description: str


SmsEncodingEnum = strawberry.enum(
    sms_length.SmsEncoding,
    name="SmsEncoding",
    description="GSM_7: 160 characters in one segment, 153 each when split; UCS_2 (any "
    "character outside the GSM alphabet): 70, then 67.",
)


@strawberry.type(description="How long an SMS is, as carriers count and bill it.")
class SmsLengthType:
    encoding: SmsEncodingEnum
    characters: int = strawberry.field(
        description="GSM-7 septets (`^{}[]~|€\\` count two) or UCS-2 units."
    )
    segments: int


def _sms_length(length: sms_length.SmsLength | None) -> SmsLengthType | None:
    if length is None:
        return None
    return SmsLengthType(
        encoding=length.encoding, characters=length.units, segments=length.segments
    )


@strawberry.type(description="Something to know before sending; it does not stop the send.")
class MessageDraftWarning:
    locale: LocaleEnum
    message: str
    sms: SmsLengthType | None = None


@strawberry.type(description="The draft as one recipient would get it.")
class MessagePreview:
    locale: LocaleEnum
    subject: str
    body: str
    sms: SmsLengthType | None = strawberry.field(
        default=None,
        description="SMS only: the length of the text sent, STOP wording included.",
    )


@strawberry.type
class MessageSkipCount:
    reason: MessageSkipReasonEnum
    count: int


@strawberry.type(description="Who the message would reach now, and why the others would not.")
class MessageAudienceReport:
    reaches: int
    skips: list[MessageSkipCount]


@strawberry.type(description="A subject and body in one language.")
class MessageContent:
    locale: LocaleEnum
    subject: str
    body: str


@model_node("MessageDraft", MessageDraft, Permission.MESSAGES_SEND)
class MessageDraftType(Node):
    channel: MessageChannelEnum
    kind: MessageKindEnum
    created_at: datetime
    updated_at: datetime

    @strawberry.field(
        description="How the audience was given (snake_case keys, primary keys for ids)."
    )
    def target(self) -> JSON:
        return self.audience

    @strawberry.field(description="The templates, one per language given.")
    def contents(self) -> list[MessageContent]:
        return [
            MessageContent(locale=Locale(key), subject=value["subject"], body=value["body"])
            for key, value in sorted(self.contents.items())
        ]

    @strawberry.field(
        description="SMS drafts: each language whose text (rendered with sample values, "
        "STOP wording included) takes more than one segment. Over CARNET_SMS_MAX_SEGMENTS "
        "the draft is refused (SMS_TOO_LONG)."
    )
    def warnings(self, info: strawberry.Info) -> list[MessageDraftWarning]:
        locale = info.context.locale
        return [
            MessageDraftWarning(
                locale=w.locale,
                message=translate(
                    sms_length.MULTIPART_WARNING,
                    locale,
                    segments=w.length.segments,
                    units=w.length.units,
                    encoding=w.length.encoding.value.replace("_", "-"),
                ),
                sms=_sms_length(w.length),
            )
            for w in drafts.sms_warnings(self)
        ]

    @strawberry.field(
        **describe(
            "The message rendered for one contact of the organization, in their language "
            "(else the organization's, else the draft's first).",
            requires(Permission.MESSAGES_SEND),
        )
    )
    async def preview(self, info: strawberry.Info, contact_id: strawberry.ID) -> MessagePreview:
        pk = await scoped_id(info, contact_id, "Contact", ("contactId",))
        shown = await drafts.preview(info.context.actor(info), self, pk)
        return MessagePreview(
            locale=shown.locale, subject=shown.subject, body=shown.body,
            sms=_sms_length(shown.sms),
        )

    @strawberry.field(
        **describe(
            "How many contacts of the audience the message would reach now on its channel, "
            "and how many it would skip, by reason.",
            requires(Permission.MESSAGES_SEND),
        )
    )
    async def audience_report(self, info: strawberry.Info) -> MessageAudienceReport:
        counted = await audience.report(info.context.actor(info), self)
        return MessageAudienceReport(
            reaches=counted.reaches,
            skips=[MessageSkipCount(reason=s.reason, count=s.count) for s in counted.skips],
        )


@strawberry.input
class MessageContentInput:
    locale: LocaleEnum
    subject: str = strawberry.field(default="", description="Required for EMAIL; SMS has none.")
    body: str = strawberry.field(description="HTML for EMAIL (values are escaped), else text.")


@strawberry.input
class MessageDraftCreateInput:
    organization_id: strawberry.ID
    channel: MessageChannelEnum
    target: BulkContactTargetInput
    contents: list[MessageContentInput]


@strawberry.input
class MessageDraftUpdateInput:
    id: strawberry.ID
    channel: MessageChannelEnum | None = None
    target: BulkContactTargetInput | None = None
    contents: list[MessageContentInput] | None = strawberry.field(
        default=None, description="Replaces all the languages."
    )


@strawberry.input
class MessageDraftDeleteInput:
    id: strawberry.ID


@strawberry.input
class MessageTestSendInput:
    draft_id: strawberry.ID
    locale: LocaleEnum | None = strawberry.field(
        default=None, description="The draft's language to send; else yours, else the first."
    )


@strawberry.type
class MessageTestSendPayload(Payload):
    draft: MessageDraftType | None = None
    sent_to: str | None = strawberry.field(default=None, description="Your own address.")


@strawberry.type
class MessageDraftPayload(Payload):
    draft: MessageDraftType | None = None


@strawberry.type
class MessageDraftDeletePayload(Payload):
    deleted_draft_id: strawberry.ID | None = None


def _contents(given: list[MessageContentInput] | None) -> list[drafts.DraftContent] | None:
    if given is None:
        return None
    return [drafts.DraftContent(Locale(c.locale), c.subject, c.body) for c in given]


async def _target(info: strawberry.Info, given: BulkContactTargetInput):
    return await contact_target(info, given)


@strawberry.type
class MessagingQuery:
    @strawberry.field(
        **describe(
            "The organization's message drafts, newest first.", requires(Permission.MESSAGES_SEND)
        )
    )
    async def message_drafts(
        self,
        info: strawberry.Info,
        organization_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[MessageDraftType]:
        page = await drafts.drafts(
            info.context.actor(info), first=first, after=after, last=last, before=before
        )
        return Connection.of(page)

    @strawberry.field(**describe("One message draft.", requires(Permission.MESSAGES_SEND)))
    async def message_draft(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> MessageDraftType | None:
        pk = await scoped_id(info, id, "MessageDraft", ("id",))
        return await drafts.draft(info.context.actor(info), pk)

    @strawberry.field(
        **describe("The variables message templates may use.", requires(Permission.MESSAGES_SEND))
    )
    def message_template_variables(
        self, info: strawberry.Info, organization_id: strawberry.ID
    ) -> list[MessageTemplateVariable]:
        locale = info.context.locale
        return [
            MessageTemplateVariable(name=v.name, description=translate(v.description, locale))
            for v in templates.VARIABLES
        ]


@strawberry.type
class MessagingMutation:
    @strawberry.mutation(
        **describe(
            "Saves a marketing message draft; each template is checked (syntax, variables) "
            "and nothing is written when one fails.",
            requires(Permission.MESSAGES_SEND, scope="input.organizationId"),
        )
    )
    async def message_draft_create(
        self, info: strawberry.Info, input: MessageDraftCreateInput
    ) -> MessageDraftPayload:
        target = await _target(info, input.target)
        draft = await drafts.create(
            info.context.actor(info),
            MessageChannel(input.channel),
            target,
            _contents(input.contents),
        )
        return MessageDraftPayload(draft=draft)

    @strawberry.mutation(
        **describe(
            "Changes a draft: only what is given changes; the templates are checked again.",
            requires(Permission.MESSAGES_SEND, scope="input.id"),
        )
    )
    async def message_draft_update(
        self, info: strawberry.Info, input: MessageDraftUpdateInput
    ) -> MessageDraftPayload:
        pk = await scoped_id(info, input.id, "MessageDraft", ("input", "id"))
        target = await _target(info, input.target) if input.target is not None else None
        draft = await drafts.update(
            info.context.actor(info),
            pk,
            MessageChannel(input.channel) if input.channel is not None else None,
            target,
            _contents(input.contents),
        )
        return MessageDraftPayload(draft=draft)

    @strawberry.mutation(
        **describe("Deletes a message draft.", requires(Permission.MESSAGES_SEND, scope="input.id"))
    )
    async def message_draft_delete(
        self, info: strawberry.Info, input: MessageDraftDeleteInput
    ) -> MessageDraftDeletePayload:
        pk = await scoped_id(info, input.id, "MessageDraft", ("input", "id"))
        deleted = await drafts.delete(info.context.actor(info), pk)
        return MessageDraftDeletePayload(deleted_draft_id=ids.encode("MessageDraft", deleted))

    @strawberry.mutation(
        **describe(
            "Mails the draft to you only, rendered with your own name, as a test: with the "
            "organization's address footer and one-click unsubscribe headers; sent by a job.",
            requires(Permission.MESSAGES_SEND, scope="input.draftId"),
        )
    )
    async def message_test_send(
        self, info: strawberry.Info, input: MessageTestSendInput
    ) -> MessageTestSendPayload:
        pk = await scoped_id(info, input.draft_id, "MessageDraft", ("input", "draftId"))
        actor = info.context.actor(info)
        message = await self_send.send(
            actor, pk, Locale(input.locale) if input.locale is not None else None
        )
        draft = await drafts.draft(actor, pk)
        return MessageTestSendPayload(draft=draft, sent_to=message.recipient)
