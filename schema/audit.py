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
from schema import audit_ids, ids
from schema.identity import UserType
from schema.permissions import describe, requires
from schema.types import Connection, Node, model_node


@model_node("AuditEvent", AuditEvent, Permission.AUDIT_READ)
class AuditEventType(Node):
    action: str = strawberry.field(description="What happened, e.g. organization.update.")

    @strawberry.field(description="The target's node type, e.g. Contact; empty without one.")
    def target_type(self) -> str:
        return audit_ids.node_type(self.target_type)

    @strawberry.field(
        description="The target's global id, as `filter.targetId` and `node(id:)` take it; "
        "null for an event without a target."
    )
    def target_id(self) -> strawberry.ID | None:
        return audit_ids.target_global_id(self.target_type, self.target_id)

    @strawberry.field(description="The values before, ids of records as global ids.")
    def before(self) -> JSON | None:
        return audit_ids.with_global_ids(self.before, self.target_type)

    @strawberry.field(description="The values after, ids of records as global ids.")
    def after(self) -> JSON | None:
        return audit_ids.with_global_ids(self.after, self.target_type)

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
                node_type, pk = ids.decode(filter.target_id)
                filters.target_type = audit_ids.stored_type(node_type)
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
