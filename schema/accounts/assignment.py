"""The assignment arguments shared by forms, tables and requests: access groups and
account contacts, each decoded within the caller's organization (None: not given)."""

from __future__ import annotations

import strawberry

from schema.scope import scoped_ids


async def assignees(
    info: strawberry.Info,
    groups: list[strawberry.ID] | None,
    links: list[strawberry.ID] | None,
) -> tuple[list[int] | None, list[int] | None]:
    if groups is not None:
        groups = await scoped_ids(info, groups, "AccessGroup", ("input", "accessGroupIds"))
    if links is not None:
        links = await scoped_ids(info, links, "AccountContact", ("input", "accountContactIds"))
    return groups, links
