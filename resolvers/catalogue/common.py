"""What the catalogue's resolvers share: names, the audit record, the member at hand."""

from __future__ import annotations

from typing import Protocol

from models.accounts import AccountContact
from models.identity import User
from resolvers.audit.queries import BILLING_ACTION_PREFIX
from resolvers.common import audit
from resolvers.common.actor import RequestMeta
from resolvers.common.errors import ErrorCollector, FieldPath, NotFound
from resolvers.common.validation import clean_text

NAME_MAX_LENGTH = 200


class Caller(Protocol):
    """Staff (an Actor) or a client acting through a relationship (a Principal)."""

    user: User
    meta: RequestMeta
    organization_id: int | None


def clean_name(value: str | None, errors: ErrorCollector) -> str:
    return clean_text(value, errors, ("input", "name"), max_length=NAME_MAX_LENGTH, required=True)


async def audit_event(caller: Caller, action: str, target: tuple[str, int], **values) -> None:
    """Recorded as `billing.<action>`: a billing event, which billing admins read."""
    await audit.record(
        f"{BILLING_ACTION_PREFIX}{action}",
        actor=caller.user,
        meta=caller.meta,
        organization_id=caller.organization_id,
        target=target,
        **values,
    )


async def locked_member(caller: Caller, member_id: int, field: FieldPath) -> AccountContact:
    """The account member, in the caller's organization, locked for this transaction: a
    member's bookings and purchases are decided one at a time."""
    member = (
        await AccountContact.filter(id=member_id, account__organization_id=caller.organization_id)
        .select_for_update()
        .first()
    )
    if member is None:
        raise NotFound(field)
    # Fetched apart: PostgreSQL locks no row on the outer side of a join.
    await member.fetch_related("account", "contact")
    return member
