"""Sign-in sessions: one per device, an access token and a rotating refresh token.

Access tokens are short-lived; a refresh swaps both tokens. Presenting a refresh token
that was already swapped means someone copied it, so the whole session is revoked, unless
it comes right after the swap: two tabs of one browser refreshing at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tortoise.expressions import Q

from carnet import throttle
from carnet.auth import new_token, token_digest, verify_password
from carnet.i18n import N_
from carnet.settings import Settings
from models.identity import Session, SignInStep, User
from resolvers.common import audit, relationships
from resolvers.common.actor import RequestMeta
from resolvers.common.errors import (
    ErrorCollector,
    FieldPath,
    NotFound,
    RateLimited,
    UserErrorCode,
    UserErrors,
)
from resolvers.common.permissions import Relationship
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.common.validation import normalize_email
from resolvers.identity import sign_in_attempts
from resolvers.identity.caller import look_up

# How long after a swap the refresh token it replaced still swaps (again) instead of
# ending the session: long enough for a second tab's request sent at the same moment, short
# enough that a copied token is rarely still worth anything (Auth0 calls this "leeway").
REFRESH_GRACE = timedelta(seconds=30)


@dataclass
class IssuedTokens:
    session: Session
    access_token: str
    refresh_token: str


def _fresh_tokens(session: Session, settings: Settings) -> tuple[str, str]:
    access, refresh = new_token(), new_token()
    moment = now()
    session.access_token_hash = token_digest(access)
    session.access_expires_at = moment + timedelta(seconds=settings.access_token_ttl_seconds)
    session.refresh_token_hash = token_digest(refresh)
    session.refresh_expires_at = moment + timedelta(seconds=settings.refresh_token_ttl_seconds)
    session.last_used_at = moment
    return access, refresh


async def sign_in(
    email: str, password: str, device: str, meta: RequestMeta, settings: Settings
) -> IssuedTokens:
    errors = ErrorCollector()
    normalized = normalize_email(email, errors, ("input", "email"))
    errors.raise_if_any()
    user = await User.get_or_none(email=normalized, is_active=True)
    await _check_password(
        user,
        normalized,
        password,
        SignInStep.SIGN_IN,
        meta,
        _device_name(device, meta.user_agent),
        ("input", "password"),
        N_("Wrong email or password."),
    )
    return await start_session(user, device, meta, settings)


async def confirm_password(user: User, password: str, field: FieldPath, meta: RequestMeta) -> None:
    """Asks a signed-in user for their password again, before a change that takes the
    account over. Failures count with sign-in's (same address, same client), so this is no
    side door for guessing a password with a stolen access token."""
    await _check_password(
        user,
        user.email,
        password,
        SignInStep.PASSWORD_CONFIRMATION,
        meta,
        _device_name("", meta.user_agent),
        field,
        N_("Wrong password."),
    )


async def _check_password(
    user: User | None,
    email: str,
    password: str,
    step: SignInStep,
    meta: RequestMeta,
    device: str,
    field: FieldPath,
    wrong: str,
) -> None:
    """Checks `password` for `email` (`user`, None when no active user has it), within the
    sign-in limits (carnet.throttle), and records what failed."""
    client = meta.ip_address or "unknown"
    admission = await throttle.admit(email, client)
    if admission.wait:
        await sign_in_attempts.refused(user, email, step, meta, device, admission)
        raise RateLimited(admission.wait)
    outcome = throttle.Outcome.ABANDONED
    try:
        # No user: a dummy hash is checked, so an unknown address answers as slowly.
        hash_ = user.password_hash if user else None
        right = await verify_password(hash_, password) and user is not None
        outcome = throttle.Outcome.SUCCEEDED if right else throttle.Outcome.FAILED
    finally:
        await throttle.settle(email, client, outcome)
    if not right:
        await sign_in_attempts.failed(user, email, step, meta, device)
        raise UserErrors.single(UserErrorCode.INVALID_CREDENTIALS, field, wrong)


def _device_name(device: str, user_agent: str) -> str:
    # Free text from the client: unprintable characters are dropped (NUL above all, which
    # PostgreSQL's text cannot hold, and lone surrogates, which no encoder accepts).
    name = "".join(ch for ch in (device.strip() or user_agent) if ch.isprintable())
    return name[:255]


async def start_session(
    user: User, device: str, meta: RequestMeta, settings: Settings
) -> IssuedTokens:
    session = Session(
        user=user, device=_device_name(device, meta.user_agent), ip_address=meta.ip_address[:64]
    )
    access, refresh = _fresh_tokens(session, settings)
    async with unit_of_work():
        await session.save()
        await audit.record(
            "user.sign_in",
            actor=user,
            meta=meta,
            target=("Session", session.id),
            after={"device": session.device},
        )
    return IssuedTokens(session, access, refresh)


def _just_swapped(session: Session) -> bool:
    # A live session is saved only to swap its tokens (revoking ends it, and last_used_at
    # is written with a query, which leaves updated_at alone): updated_at is the last swap.
    return now() - session.updated_at <= REFRESH_GRACE


async def refresh(refresh_token: str, meta: RequestMeta, settings: Settings) -> IssuedTokens:
    digest = token_digest(refresh_token or "")
    async with unit_of_work():
        # No select_related here: PostgreSQL refuses FOR UPDATE on the outer join it needs.
        session = (
            await Session.filter(
                Q(refresh_token_hash=digest) | Q(previous_refresh_token_hash=digest),
                revoked_at=None,
            )
            .select_for_update()
            .first()
        )
        if session is not None:
            await session.fetch_related("user")
        if session is None or session.refresh_expires_at <= now() or not session.user.is_active:
            raise UserErrors.single(
                UserErrorCode.TOKEN_INVALID,
                ("input", "refresh_token"),
                N_("This session has ended. Sign in again."),
            )
        reused = session.refresh_token_hash != digest and not _just_swapped(session)
        if reused:
            session.revoked_at = now()
            await session.save(update_fields=["revoked_at"])
            await audit.record(
                "session.reuse_detected",
                actor=session.user,
                meta=meta,
                target=("Session", session.id),
            )
        else:
            # Within the grace, the tab that lost the race swaps again and the token just
            # replaced becomes the previous one: the winning tab's refresh token keeps
            # working as well, and the oldest one, presented later, is merely unknown.
            session.previous_refresh_token_hash = session.refresh_token_hash
            access, new_refresh = _fresh_tokens(session, settings)
            await session.save()
    if reused:
        # Raised after the commit: raising inside the transaction would roll the revocation
        # back, leaving the session to whoever copied the token.
        raise UserErrors.single(
            UserErrorCode.TOKEN_REVOKED,
            ("input", "refresh_token"),
            N_("This session has ended. Sign in again."),
        )
    return IssuedTokens(session, access, new_refresh)


async def authenticate(access_token: str) -> Session | None:
    """The live session an access token belongs to (with its user), or None."""
    caller = await look_up(access_token)
    return caller.session if caller is not None else None


def sessions_of(user: User):
    return Session.filter(user_id=user.id, revoked_at=None, refresh_expires_at__gt=now())


async def revoke_all(user: User) -> list[int]:
    """Signs every device of the user out; returns the sessions' ids. Call inside a
    transaction, with the change that calls for it."""
    live = Session.filter(user_id=user.id, revoked_at=None)
    signed_out = await live.values_list("id", flat=True)
    await live.update(revoked_at=now())
    return sorted(signed_out)


async def revoke(user: User, session_id: int, meta: RequestMeta, field=("input", "id")) -> Session:
    async with unit_of_work():
        session = await sessions_of(user).filter(id=session_id).select_for_update().first()
        if session is None:
            raise NotFound(field)
        session.revoked_at = now()
        await session.save(update_fields=["revoked_at"])
        await audit.record(
            "session.revoke",
            actor=user,
            meta=meta,
            target=("Session", session.id),
            before={"device": session.device},
        )
    return session


async def revoke_by_refresh_token(refresh_token: str, meta: RequestMeta) -> None:
    """Signs a device out with its own refresh token (no access token needed).

    A token that matches no live session is already signed out: that is not an error.
    """
    session = await Session.get_or_none(
        refresh_token_hash=token_digest(refresh_token or ""),
        revoked_at=None,
        refresh_expires_at__gt=now(),
    ).select_related("user")
    if session is not None:
        await revoke(session.user, session.id, meta, field=("input", "refresh_token"))


async def _is_own_live_session(user: User, session: Session) -> bool:
    # The same sessions `mySessions` lists: a revoked or expired one is gone from both.
    return session.user_id == user.id and await sessions_of(user).filter(id=session.id).exists()


relationships.register(Relationship.SELF, Session, _is_own_live_session)
