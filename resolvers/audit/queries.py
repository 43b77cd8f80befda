"""The audit log of one organization, filtered; billing admins see billing events only."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from models.audit import AuditEvent
from models.organizations import Role
from resolvers.common.actor import Actor
from resolvers.common.pagination import Page, paginate

# Every billing event's action starts with this (billing.invoice.create, billing.refund...).
BILLING_ACTION_PREFIX = "billing."


@dataclass
class AuditFilter:
    action: str | None = None
    actor_user_id: int | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def visible_events(actor: Actor):
    qs = AuditEvent.filter(organization_id=actor.organization_id)
    if actor.role is Role.BILLING_ADMIN:
        qs = qs.filter(action__startswith=BILLING_ACTION_PREFIX)
    return qs


def _equal(qs, column: str, value: str):
    """Events whose `column` is `value`: none when it is longer than the column holds (which
    Tortoise would refuse with a ValidationError rather than compare)."""
    if len(value) > AuditEvent._meta.fields_map[column].max_length:
        return qs.filter(id__in=[])
    return qs.filter(**{column: value})


async def audit_log(actor: Actor, filters: AuditFilter, **page_args) -> Page:
    qs = visible_events(actor)
    if filters.action:
        # "staff." selects a family of actions; "staff.add" one action.
        if filters.action.endswith("."):
            qs = qs.filter(action__startswith=filters.action)
        else:
            qs = _equal(qs, "action", filters.action)
    if filters.actor_user_id is not None:
        qs = qs.filter(actor_id=filters.actor_user_id)
    if filters.target_type:
        qs = _equal(qs, "target_type", filters.target_type)
    if filters.target_id is not None:
        qs = _equal(qs, "target_id", filters.target_id)
    if filters.since:
        qs = qs.filter(created_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(created_at__lt=filters.until)
    return await paginate(qs.select_related("actor"), order=("-created_at",), **page_args)


async def follow(
    actor: Actor,
    poll_seconds: float,
    still_allowed: Callable[[], Awaitable[bool]],
    recheck_every: int = 30,
):
    """Yields the organization's new audit events as they are committed (a live tail).

    Polling by id sees only committed rows, so a change that rolls back never shows.
    Access is re-checked every `recheck_every` polls: a revoked session or a removed
    membership ends the stream instead of leaking events for the life of a websocket.
    """
    last_id = await visible_events(actor).order_by("-id").first().values_list("id", flat=True)
    last_id = last_id or 0
    polls = 0
    while True:
        events = await visible_events(actor).filter(id__gt=last_id).order_by("id").limit(100)
        for event in events:
            last_id = event.id
            yield event
        polls += 1
        if polls % recheck_every == 0 and not await still_allowed():
            return
        if not events:
            await asyncio.sleep(poll_seconds)
