"""Who holds a relationship to bookings, purchases and subscriptions: the primary of the
account of the member they belong to (the client side)."""

from __future__ import annotations

from models.accounts import AccountContact, ClientAccount
from models.catalogue import Booking, Purchase, Subscription
from models.identity import User
from resolvers.common.permissions import Relationship
from resolvers.common.relationships import register


async def _is_primary_of_member(user: User, member_id: int) -> bool:
    member = await AccountContact.get_or_none(id=member_id)
    if member is None:
        return False
    account = await ClientAccount.get(id=member.account_id)
    return await AccountContact.filter(
        account_id=account.id, contact_id=account.primary_contact_id, contact__user_id=user.id
    ).exists()


async def _primary_of_held(user: User, record: Booking | Purchase | Subscription) -> bool:
    return await _is_primary_of_member(user, record.member_id)


for _model in (Booking, Purchase, Subscription):
    register(Relationship.ACCOUNT_PRIMARY, _model, _primary_of_held)
