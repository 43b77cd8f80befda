"""The one function every domain uses to write the audit log, inside its transaction."""

from __future__ import annotations

from typing import Any

from models.audit import AuditEvent
from models.identity import User
from resolvers.common.actor import RequestMeta


async def record(
    action: str,
    *,
    actor: User | None,
    meta: RequestMeta,
    organization_id: int | None = None,
    target: tuple[str, int | str] | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    target_type, target_id = target if target else ("", "")
    return await AuditEvent.create(
        organization_id=organization_id,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=before,
        after=after,
        request_id=meta.request_id,
        ip_address=meta.ip_address,
    )


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Only the keys whose value changed, on both sides."""
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
