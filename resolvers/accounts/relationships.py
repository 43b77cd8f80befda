"""What an account contact's login is to the organization and to its accounts, plugged
into resolvers.common.relationships: users linked to an account's contacts are tied to
the organization (naming them there tells staff nothing new)."""

from __future__ import annotations

from collections.abc import Collection

from models.accounts import AccountContact
from resolvers.common.relationships import register_tie


async def _account_contacts(organization_id: int, user_ids: Collection[int]) -> set[int]:
    rows = AccountContact.filter(
        account__organization_id=organization_id, contact__user_id__in=list(user_ids)
    )
    return set(await rows.values_list("contact__user_id", flat=True))


register_tie("account_contacts", _account_contacts)
