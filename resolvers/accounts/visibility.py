"""The one visibility rule of an account's items (documents, forms, tables, requests):
staff and the account's primary and FULL contacts see every item of the account; an
ASSIGNED contact sees those shared with them or with one of their access groups; NONE
contacts see nothing. Each kind of item names its share table in an `ItemKind`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.expressions import Q
from tortoise.models import Model

from carnet.i18n import N_
from models.accounts import AccessGroup, AccessGroupMember, AccessLevel, AccountContact
from models.identity import User
from resolvers.common.errors import ErrorCollector, UserErrorCode


@dataclass(frozen=True)
class ItemKind:
    model: type[Model]  # the item: it has an `account_id`
    share: type[Model]  # its shares: `<item>_id`, `group_id`, `account_contact_id`
    item_field: str  # "document_id"


def may_sign_in(link: AccountContact, primary_contact_id: int) -> bool:
    return link.contact_id == primary_contact_id or link.access_level is not AccessLevel.NONE


def sees_household(link: AccountContact, primary_contact_id: int) -> bool:
    return link.contact_id == primary_contact_id or link.access_level is AccessLevel.FULL


async def account_links(account_id: int, link_ids: Sequence[int], field) -> list[int]:
    """The account contacts named, all of this account, else NOT_FOUND at each index."""
    found = set(
        await AccountContact.filter(id__in=list(link_ids), account_id=account_id).values_list(
            "id", flat=True
        )
    )
    errors = ErrorCollector()
    for index, pk in enumerate(link_ids):
        if pk not in found:
            errors.add(UserErrorCode.NOT_FOUND, (*field, index), N_("Not found."))
    errors.raise_if_any()
    return list(dict.fromkeys(link_ids))


async def account_groups(account_id: int, group_ids: Sequence[int], field) -> list[int]:
    """The access groups named, all of this account, else NOT_FOUND at each index."""
    found = set(
        await AccessGroup.filter(id__in=list(group_ids), account_id=account_id).values_list(
            "id", flat=True
        )
    )
    errors = ErrorCollector()
    for index, pk in enumerate(group_ids):
        if pk not in found:
            errors.add(UserErrorCode.NOT_FOUND, (*field, index), N_("Not found."))
    errors.raise_if_any()
    return list(dict.fromkeys(group_ids))


async def share(kind: ItemKind, item_id: int, group_ids: Sequence[int], link_ids: Sequence[int]):
    await kind.share.bulk_create(
        [kind.share(**{kind.item_field: item_id, "group_id": g}) for g in group_ids]
        + [kind.share(**{kind.item_field: item_id, "account_contact_id": c}) for c in link_ids]
    )


async def shares_set(
    kind: ItemKind, item_id: int, group_ids: Sequence[int], link_ids: Sequence[int]
) -> dict:
    """Replaces who the item is assigned to; returns the assignment before, for the audit."""
    rows = await kind.share.filter(**{kind.item_field: item_id}).values_list(
        "group_id", "account_contact_id"
    )
    before = {
        "access_group_ids": sorted(g for g, _ in rows if g is not None),
        "account_contact_ids": sorted(c for _, c in rows if c is not None),
    }
    await kind.share.filter(**{kind.item_field: item_id}).delete()
    await share(kind, item_id, group_ids, link_ids)
    return before


async def assignments_of(kind: ItemKind, item_ids: list[int]) -> list[tuple[list, list]]:
    """For each item, (access group ids, account contact ids) it is assigned to."""
    found: dict[int, tuple[list, list]] = {pk: ([], []) for pk in item_ids}
    rows = await kind.share.filter(**{f"{kind.item_field}__in": item_ids}).order_by("id")
    for row in rows:
        groups, links = found[getattr(row, kind.item_field)]
        if row.group_id is not None:
            groups.append(row.group_id)
        if row.account_contact_id is not None:
            links.append(row.account_contact_id)
    return [found[pk] for pk in item_ids]


async def of_accounts(kind: ItemKind, account_ids: list[int]) -> list[list]:
    """Every item of each account, newest first (what staff, primaries and FULL see)."""
    found: dict[int, list] = defaultdict(list)
    for item in await kind.model.filter(account_id__in=account_ids).order_by("-id"):
        found[item.account_id].append(item)
    return [found[pk] for pk in account_ids]


async def assigned(kind: ItemKind, links: list[AccountContact]) -> list[list]:
    """What each ASSIGNED contact sees: the items shared with them or with one of their
    groups, in their own account; three statements however many links."""
    if not links:
        return []
    link_ids = [link.id for link in links]
    memberships = await AccessGroupMember.filter(account_contact_id__in=link_ids).values_list(
        "account_contact_id", "group_id"
    )
    groups_of: dict[int, set[int]] = defaultdict(set)
    for link_id, group_id in memberships:
        groups_of[link_id].add(group_id)
    all_groups = {g for groups in groups_of.values() for g in groups}
    shares = await kind.share.filter(
        Q(account_contact_id__in=link_ids) | Q(group_id__in=list(all_groups) or [0])
    ).values_list(kind.item_field, "account_contact_id", "group_id")
    seen: dict[int, set[int]] = defaultdict(set)
    for item_id, link_id, group_id in shares:
        for link in links:
            if link_id == link.id or group_id in groups_of[link.id]:
                seen[link.id].add(item_id)
    wanted = {d for found in seen.values() for d in found}
    found = await kind.model.filter(id__in=list(wanted)).order_by("-id") if wanted else []
    return [
        [d for d in found if d.id in seen[link.id] and d.account_id == link.account_id]
        for link in links
    ]


async def visible(kind: ItemKind, links: list[AccountContact]) -> list[list]:
    """For each of a user's links (fetched with their account), the items of that account
    they see."""

    def primaries(link):
        return link.account.primary_contact_id

    whole = [link.account_id for link in links if sees_household(link, primaries(link))]
    by_account = dict(zip(whole, await of_accounts(kind, whole), strict=True))
    partial = [link for link in links if not sees_household(link, primaries(link))]
    by_link = dict(zip([x.id for x in partial], await assigned(kind, partial), strict=True))
    return [by_account[x.account_id] if x.id not in by_link else by_link[x.id] for x in links]


async def sees(kind: ItemKind, user: User, item) -> bool:
    """Whether the user, as an account contact of the item's account, may see it."""
    from models.accounts import ClientAccount

    account = await ClientAccount.get(id=item.account_id)
    links = [
        link
        for link in await AccountContact.filter(account_id=account.id, contact__user_id=user.id)
        if may_sign_in(link, account.primary_contact_id)
    ]
    if any(sees_household(link, account.primary_contact_id) for link in links):
        return True
    if not links:
        return False
    return any(d.id == item.id for found in await assigned(kind, links) for d in found)
