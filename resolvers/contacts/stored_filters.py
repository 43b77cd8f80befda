"""A contacts filter stored as JSON (with an export, with a segment, in the audit log), and
the check a filter passes before it is stored: the one the contacts list makes."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from models.contacts import ConsentChannel, ConsentStatus, ContactKind
from resolvers.common.actor import Actor
from resolvers.common.errors import BadUserInput, NotFound, UserErrorCode, UserErrors
from resolvers.contacts.search import (
    ContactFilter,
    CustomFieldCondition,
    DateRange,
    GroupMatch,
    matching,
)


def filter_to_json(filters: ContactFilter) -> dict[str, Any]:
    """The filter as stored with the export and shown in the audit log."""

    def plain(value: Any) -> Any:
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return plain(asdict(filters))


def filter_from_json(stored: dict[str, Any]) -> ContactFilter:
    def days(value: dict | None) -> DateRange | None:
        if value is None:
            return None
        start, end = value.get("start"), value.get("end")
        return DateRange(
            date.fromisoformat(start) if start else None, date.fromisoformat(end) if end else None
        )

    values = dict(stored)
    kind, channel = values.get("kind"), values.get("consent_channel")
    statuses = values.get("consent_statuses")
    conditions = values.get("custom_fields")
    values.update(
        kind=ContactKind(kind) if kind else None,
        group_match=GroupMatch(values.get("group_match", GroupMatch.ANY)),
        consent_channel=ConsentChannel(channel) if channel else None,
        consent_statuses=[ConsentStatus(s) for s in statuses] if statuses is not None else None,
        created=days(values.get("created")),
        last_activity=days(values.get("last_activity")),
        custom_fields=(
            [CustomFieldCondition(**c) for c in conditions] if conditions is not None else None
        ),
    )
    return ContactFilter(**values)


async def check_filter(actor: Actor, filters: ContactFilter) -> None:
    """Checks the filter exactly as the contacts list does, errors on the input's paths: an
    id of another organization (or none) is NOT_FOUND, a wrong condition INVALID."""
    try:
        await matching(actor, filters)
    except NotFound as not_found:
        raise NotFound(("input", *not_found.field)) from None
    except BadUserInput as refused:
        raise UserErrors.single(
            UserErrorCode.INVALID, ("input", "filter"), refused.message, **refused.params
        ) from None
