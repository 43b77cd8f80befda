"""The organization's privacy requests, as its privacy handlers (privacy.manage) read them."""

from __future__ import annotations

from models.privacy import PrivacyRequest
from resolvers.common.actor import Actor
from resolvers.common.pagination import Page, paginate


async def of_organization(
    actor: Actor, *, first: int | None = None, after: str | None = None
) -> Page:
    listed = PrivacyRequest.filter(organization_id=actor.organization_id)
    return await paginate(listed, order=("-id",), first=first, after=after)
