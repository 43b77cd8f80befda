"""The signed-in user's inbox (INTERNAL group messages): `me { inbox unreadCount }` and
`messageMarkRead`. Any signed-in user, staff or not; only their own messages."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import strawberry

from models.message_sends import Delivery
from models.organizations import Organization
from resolvers.common.permissions import Relationship
from resolvers.messaging import inbox
from schema import ids
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import decode_at
from schema.types import Connection


@strawberry.type(description="An internal message in your inbox.")
class InboxMessage:
    id: strawberry.ID
    subject: str
    body: str
    sent_at: datetime | None
    read_at: datetime | None
    organization_name: str = strawberry.field(description="Who sent it.")

    @classmethod
    def of(cls, delivery: Delivery, names: dict[int, str]) -> InboxMessage:
        return cls(
            id=strawberry.ID(ids.encode("InboxMessage", delivery.id)),
            subject=delivery.subject,
            body=delivery.body,
            sent_at=delivery.sent_at,
            read_at=delivery.read_at,
            organization_name=names.get(delivery.organization_id, ""),
        )


async def _names(deliveries: list[Delivery]) -> dict[int, str]:
    wanted = {d.organization_id for d in deliveries}
    if not wanted:
        return {}
    return dict(await Organization.filter(id__in=wanted).values_list("id", "name"))


def inbox_field(requirement: dict[str, Any]):
    """`User.inbox`, declared here (schema.identity places it on User)."""

    async def resolve(
        root, first: int | None = None, after: str | None = None, unread_only: bool = False
    ) -> Connection[InboxMessage]:
        page = await inbox.inbox(root, unread_only, first=first, after=after)
        names = await _names(list(page.items))
        return Connection.of(replace(page, items=[InboxMessage.of(d, names) for d in page.items]))

    return strawberry.field(
        resolver=resolve, **describe("Internal messages sent to you, newest first.", requirement)
    )


def unread_count_field(requirement: dict[str, Any]):
    async def resolve(root) -> int:
        return await inbox.unread_count(root)

    return strawberry.field(
        resolver=resolve, **describe("How many of your inbox messages are unread.", requirement)
    )


@strawberry.input
class MessageMarkReadInput:
    id: strawberry.ID


@strawberry.type
class InboxMessagePayload(Payload):
    message: InboxMessage | None = None


@strawberry.type
class InboxMutation:
    @strawberry.mutation(
        **describe(
            "Marks one of your inbox messages read; another user's is NOT_FOUND.",
            requires(relationship=Relationship.AUTHENTICATED),
        )
    )
    async def message_mark_read(
        self, info: strawberry.Info, input: MessageMarkReadInput
    ) -> InboxMessagePayload:
        type_name, pk = decode_at(input.id, ("input", "id"))
        delivery = await inbox.mark_read(
            info.context.user, pk if type_name == "InboxMessage" else None
        )
        names = await _names([delivery])
        return InboxMessagePayload(message=InboxMessage.of(delivery, names))
