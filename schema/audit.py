"""The audit log, read per organization."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from models.audit import AuditEvent
from resolvers.audit.queries import AuditFilter, audit_log
from resolvers.audit.tail import follow
from resolvers.common.permissions import Permission
from resolvers.organizations.stream_guard import StreamGuard
from schema import ids
from schema.identity import UserType
from schema.permissions import describe, requires
from schema.types import Connection, Node, model_node


@model_node("AuditEvent", AuditEvent, Permission.AUDIT_READ)
class AuditEventType(Node):
    action: str = strawberry.field(description="What happened, e.g. organization.update.")
    target_type: str
    target_id: str = strawberry.field(description="The target's database id.")
    before: JSON | None
    after: JSON | None
    request_id: str
    ip_address: str
    created_at: datetime

    @strawberry.field(description="Who did it; null for the system.")
    def actor(self) -> UserType | None:
        return self.actor


@strawberry.input
class AuditLogFilter:
    action: str | None = strawberry.field(
        default=None, description='One action ("staff.add"), or a family ending in "." ("staff.").'
    )
    actor_id: strawberry.ID | None = strawberry.field(default=None, description="A User id.")
    target_id: strawberry.ID | None = strawberry.field(
        default=None, description="Any node's global id."
    )
    since: datetime | None = None
    until: datetime | None = None


@strawberry.type
class AuditQuery:
    @strawberry.field(
        **describe(
            "The organization's audit log, newest first. Billing "
            "administrators see billing events only.",
            requires(Permission.AUDIT_READ, scope="organizationId"),
        )
    )
    async def audit_log(
        self,
        info: strawberry.Info,
        organization_id: strawberry.ID,
        filter: AuditLogFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[AuditEventType]:
        actor = info.context.actor(info)
        filters = AuditFilter()
        if filter is not None:
            filters.action = filter.action
            filters.since, filters.until = filter.since, filter.until
            if filter.actor_id is not None:
                filters.actor_user_id = ids.decode_as(filter.actor_id, "User") or 0
            if filter.target_id is not None:
                filters.target_type, pk = ids.decode(filter.target_id)
                filters.target_id = str(pk)
        page = await audit_log(actor, filters, first=first, after=after, last=last, before=before)
        return Connection.of(page)


@strawberry.type
class AuditSubscription:
    @strawberry.subscription(
        **describe(
            "New audit events of the organization as they happen (over the websocket).",
            requires(Permission.AUDIT_READ),
        )
    )
    async def audit_event_added(
        self, info: strawberry.Info, organization_id: strawberry.ID
    ) -> AsyncGenerator[AuditEventType, None]:
        context = info.context
        actor = context.actor(info)
        guard = StreamGuard(context.session, actor, Permission.AUDIT_READ)
        async for event in follow(guard, poll_seconds=1.0):
            yield event
