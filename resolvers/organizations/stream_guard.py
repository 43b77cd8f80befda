"""Whether a long-lived stream may still send its subscriber the next events of an organization.

A websocket outlives every check made when it subscribed: the session can be revoked, the
access token expire, the membership end or the role change while it stays open. Each
subscription asks its `StreamGuard` for the subscriber's current `Actor` before every batch
it sends, and sends nothing once the guard refuses.
"""

from __future__ import annotations

from models.identity import Session
from resolvers.common.actor import Actor
from resolvers.common.errors import Forbidden, NotFound, Unauthenticated
from resolvers.common.permissions import Permission
from resolvers.common.time import now
from resolvers.organizations.access import actor_for


class AccessEnded(Exception):
    """Raised by a guard: the stream must end. Each subclass is coded as HTTP would answer."""


class SignedOut(AccessEnded, Unauthenticated):
    pass


class NoLongerStaff(AccessEnded, NotFound):
    pass


class NoLongerPermitted(AccessEnded, Forbidden):
    pass


class StreamGuard:
    """The subscriber's access to one organization under one permission, as of now.

    Two queries per check, whatever the batch size: the session row, then the membership
    (with its organization, for the deactivation date's timezone).
    """

    def __init__(self, session: Session | None, actor: Actor, permission: Permission):
        # The token the socket signed in with, not the session's latest: a refresh swaps it,
        # and from then on it would not sign in an HTTP request either.
        self.session_id = session.id if session is not None else None
        self.access_token_hash = session.access_token_hash if session is not None else None
        self.user = actor.user
        self.organization_id = actor.organization_id
        self.meta = actor.meta
        self.permission = permission

    async def actor(self) -> Actor:
        """The subscriber's current role there, with its filter; raises once access has ended.

        SignedOut (UNAUTHENTICATED): the token would no longer sign in (revoked, expired,
        refreshed, user disabled). NoLongerStaff (NOT_FOUND): no longer active staff there.
        NoLongerPermitted (FORBIDDEN): the current role lacks the permission.
        """
        if not await self._signed_in():
            raise SignedOut()
        actor = await actor_for(self.user, self.organization_id, self.meta)
        if actor is None:
            raise NoLongerStaff()
        if not actor.can(self.permission):
            raise NoLongerPermitted()
        return actor

    async def _signed_in(self) -> bool:
        return await still_signs_in(self.session_id, self.access_token_hash)


async def still_signs_in(session_id: int | None, access_token_hash: str | None) -> bool:
    """Whether the access token a socket signed in with would still sign in a request."""
    if session_id is None:
        return False
    return await Session.filter(
        id=session_id,
        access_token_hash=access_token_hash,
        revoked_at=None,
        access_expires_at__gt=now(),
        user__is_active=True,
    ).exists()
