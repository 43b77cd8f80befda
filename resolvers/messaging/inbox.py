"""A user's inbox: the INTERNAL group messages delivered to them, from every organization
(staff or not: a client is reached through the contact linked to their user). A user sees
and marks only their own; another user's message is NOT_FOUND."""

from __future__ import annotations

from models.identity import User
from models.message_sends import Delivery, DeliveryStatus
from models.messaging import MessageChannel
from resolvers.common.errors import NotFound
from resolvers.common.pagination import Page, paginate
from resolvers.common.time import now


def _mine(user: User):
    return Delivery.filter(
        user_id=user.id, channel=MessageChannel.INTERNAL, status=DeliveryStatus.SENT
    )


async def inbox(user: User, unread_only: bool, **page_args) -> Page:
    qs = _mine(user)
    if unread_only:
        qs = qs.filter(read_at=None)
    return await paginate(qs, order=("-id",), **page_args)


async def unread_count(user: User) -> int:
    return await _mine(user).filter(read_at=None).count()


async def mark_read(user: User, delivery_id: int | None) -> Delivery:
    """Marks it read (once: the first time is kept)."""
    found = None
    if delivery_id is not None:
        found = await _mine(user).filter(id=delivery_id).first()
    if found is None:
        raise NotFound(("input", "id"))
    if found.read_at is None:
        found.read_at = now()
        await Delivery.filter(id=found.id, read_at=None).update(read_at=found.read_at)
    return found
