"""Authorization-matrix examples for group message drafts (see tests/support/authz.py).

Each call builds its own draft; a draft's own fields are read through `messageDraft`,
aliased to the field's name so that the matrix finds the answer where it looks.
"""

from __future__ import annotations

from datetime import timedelta

from models.message_sends import Delivery, DeliveryStatus, Message, MessageState
from models.messaging import MessageChannel, MessageDraft
from resolvers.common.time import now
from schema import ids
from tests.support.authz import example
from tests.support.contacts import new_contact, organization_id

ERRORS = "errors { code field }"
CONTENTS = '[{locale: EN, subject: "Hello", body: "Hi {{ contact.first_name }}"}]'


async def a_fresh_draft(world, caller):
    contact = await new_contact(world.organization)
    draft = await MessageDraft.create(
        organization=world.organization,
        channel=MessageChannel.EMAIL,
        audience={"contact_ids": [contact.id]},
        contents={"en": {"subject": "Hello", "body": "Hi {{ contact.first_name }}"}},
    )
    return {"id": ids.encode("MessageDraft", draft.id), "c": ids.encode("Contact", contact.id)}


async def a_contact(world, caller):
    contact = await new_contact(world.organization)
    return {"organizationId": world.org_gid, "c": ids.encode("Contact", contact.id)}


example(
    "Query.messageDrafts",
    "query($organizationId: ID!) { messageDrafts(organizationId: $organizationId, first: 5) "
    "{ edges { node { id channel } } } }",
    organization_id,
)
example(
    "Query.messageDraft",
    "query($id: ID!) { messageDraft(id: $id) { id channel kind target "
    "contents { locale subject body } } }",
    a_fresh_draft,
)
example(
    "MessageDraft.preview",
    "query($id: ID!, $c: ID!) { preview: messageDraft(id: $id) "
    "{ preview(contactId: $c) { subject body locale } } }",
    a_fresh_draft,
)
example(
    "MessageDraft.audienceReport",
    "query($id: ID!) { audienceReport: messageDraft(id: $id) "
    "{ audienceReport { reaches skips { reason count } } } }",
    a_fresh_draft,
)
example(
    "Query.messageTemplateVariables",
    "query($organizationId: ID!) { messageTemplateVariables(organizationId: $organizationId) "
    "{ name description } }",
    organization_id,
)
example(
    "Mutation.messageDraftCreate",
    "mutation($organizationId: ID!, $c: ID!) { messageDraftCreate(input: {organizationId: "
    f"$organizationId, channel: EMAIL, target: {{contactIds: [$c]}}, contents: {CONTENTS}}}) "
    f"{{ draft {{ id }} {ERRORS} }} }}",
    a_contact,
)
example(
    "Mutation.messageDraftUpdate",
    "mutation($id: ID!, $c: ID!) { messageDraftUpdate(input: {id: $id, channel: SMS, "
    f"target: {{contactIds: [$c]}}}}) {{ draft {{ id channel }} {ERRORS} }} }}",
    a_fresh_draft,
)
example(
    "Mutation.messageDraftDelete",
    "mutation($id: ID!) { messageDraftDelete(input: {id: $id}) "
    f"{{ deletedDraftId {ERRORS} }} }}",
    a_fresh_draft,
)
example(
    "Mutation.messageTestSend",
    "mutation($id: ID!) { messageTestSend(input: {draftId: $id}) "
    f"{{ sentTo draft {{ id }} {ERRORS} }} }}",
    a_fresh_draft,
)


# Sending (issue 12): messages, their deliveries and their operation.
async def a_sendable_draft(world, caller):
    contact = await new_contact(world.organization)
    draft = await MessageDraft.create(
        organization=world.organization,
        channel=MessageChannel.INTERNAL,
        audience={"contact_ids": [contact.id]},
        contents={"en": {"subject": "Hello", "body": "Hi"}},
    )
    return {"id": ids.encode("MessageDraft", draft.id)}


async def a_scheduled_message(world, caller):
    contact = await new_contact(world.organization)
    message = await Message.create(
        organization=world.organization,
        channel=MessageChannel.INTERNAL,
        audience={"contact_ids": [contact.id]},
        contents={"en": {"subject": "Hello", "body": "Hi"}},
        state=MessageState.SCHEDULED,
        send_at=now() + timedelta(days=1),
    )
    return {"id": ids.encode("Message", message.id)}


MESSAGE_FIELDS = "id state channel"
example(
    "Query.messages",
    "query($organizationId: ID!) { messages(organizationId: $organizationId, first: 5) "
    f"{{ edges {{ node {{ {MESSAGE_FIELDS} }} }} }} }}",
    organization_id,
)
example("Query.message", f"query($id: ID!) {{ message(id: $id) {{ {MESSAGE_FIELDS} }} }}",
        a_scheduled_message)
example(
    "Message.counts",
    "query($id: ID!) { counts: message(id: $id) { counts { total sent skipped } } }",
    a_scheduled_message,
)
example(
    "Message.deliveries",
    "query($id: ID!) { deliveries: message(id: $id) "
    "{ deliveries(first: 5) { edges { node { id status } } } } }",
    a_scheduled_message,
)
example(
    "Message.operation",
    "query($id: ID!) { operation: message(id: $id) { operation { id } } }",
    a_scheduled_message,
)
example(
    "Mutation.messageSend",
    "mutation($id: ID!) { messageSend(input: {draftId: $id}) "
    f"{{ message {{ id state }} {ERRORS} }} }}",
    a_sendable_draft,
)
example(
    "Mutation.messageSendCancel",
    "mutation($id: ID!) { messageSendCancel(input: {messageId: $id}) "
    f"{{ message {{ id state }} {ERRORS} }} }}",
    a_scheduled_message,
)


async def an_inbox_message_of_the_caller(world, caller):
    """A message in the caller's own inbox (any signed-in user may mark theirs)."""
    user = caller.user if caller is not None else world.agent.user
    contact = await new_contact(world.organization)
    contact.user = user
    await contact.save()
    message = await Message.create(
        organization=world.organization, channel=MessageChannel.INTERNAL, audience={},
        contents={}, state=MessageState.SENT, send_at=now(),
    )
    delivery = await Delivery.create(
        message=message, organization_id=world.organization.id, contact=contact,
        contact_key=contact.id, channel=MessageChannel.INTERNAL, status=DeliveryStatus.SENT,
        user=user, subject="Hi", body="Hello", sent_at=now(),
    )
    return {"id": ids.encode("InboxMessage", delivery.id)}


example(
    "User.inbox",
    "{ inbox: me { inbox(first: 5, unreadOnly: true) { edges { node { id subject } } } } }",
)
example("User.unreadCount", "{ unreadCount: me { unreadCount } }")
example(
    "Mutation.messageMarkRead",
    "mutation($id: ID!) { messageMarkRead(input: {id: $id}) "
    f"{{ message {{ id readAt }} {ERRORS} }} }}",
    an_inbox_message_of_the_caller,
)
