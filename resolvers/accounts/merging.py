"""Contacts merged (resolvers.duplicates.merge) keep their households: the accounts and
account contacts of the merged contacts move to the survivor, which stays in each account
once; a merged primary's account gets the survivor as its primary."""

from __future__ import annotations

from models.accounts import AccessLevel, AccountContact, ClientAccount


async def move_account_links(survivor_id: int, other_ids: list[int]) -> None:
    """Inside the merge's transaction, before the others are deleted."""
    await ClientAccount.filter(primary_contact_id__in=other_ids).update(
        primary_contact_id=survivor_id
    )
    taken = set(
        await AccountContact.filter(contact_id=survivor_id).values_list("account_id", flat=True)
    )
    for link in await AccountContact.filter(contact_id__in=other_ids).order_by("id"):
        if link.account_id in taken:
            continue  # the survivor is in that account already; this link goes with its contact
        taken.add(link.account_id)
        await AccountContact.filter(id=link.id).update(contact_id=survivor_id)
    primary_of = ClientAccount.filter(primary_contact_id=survivor_id).values("id")
    await AccountContact.filter(
        contact_id=survivor_id, account_id__in=[row["id"] for row in await primary_of]
    ).update(access_level=AccessLevel.FULL)
