"""The audit log of one organization, filtered; billing admins see billing events only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.audit import AuditEvent
from models.staff import Role
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
