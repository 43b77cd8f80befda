"""One-time tokens (verification, reset, email change, invitations): one model for all.

Random, stored as a digest, single use, expiring. Consuming checks everything at once
under a row lock, so two concurrent uses cannot both succeed.
"""

from __future__ import annotations

from datetime import timedelta

from carnet.auth import new_token, token_digest
from carnet.i18n import N_
from models.identity import OneTimeToken, TokenPurpose, User
from resolvers.common.errors import FieldPath, UserErrorCode, UserErrors
from resolvers.common.time import now


async def issue(
    purpose: TokenPurpose, *, email: str, ttl_seconds: int, user: User | None = None
) -> tuple[str, OneTimeToken]:
    """Creates a token and returns its plain value (only ever mailed, never stored)."""
    # A newer link of the same kind replaces the older ones.
    if user is not None:
        await revoke_outstanding(user, purpose)
    plain = new_token()
    record = await OneTimeToken.create(
        purpose=purpose,
        token_hash=token_digest(plain),
        user=user,
        email=email,
        expires_at=now() + timedelta(seconds=ttl_seconds),
    )
    return plain, record


async def revoke_outstanding(user: User, purpose: TokenPurpose) -> int:
    """Cancels the user's unused links of this kind; returns how many."""
    return await OneTimeToken.filter(
        user_id=user.id, purpose=purpose, used_at=None, revoked_at=None
    ).update(revoked_at=now())


async def consume(plain: str, purpose: TokenPurpose, field: FieldPath) -> OneTimeToken:
    """Marks the token used and returns it; call inside a transaction."""
    record = (
        await OneTimeToken.filter(token_hash=token_digest(plain or ""), purpose=purpose)
        .select_for_update()
        .first()
    )
    if record is None:
        raise UserErrors.single(
            UserErrorCode.TOKEN_INVALID, field, N_("This link is not valid. Ask for a new one.")
        )
    if record.used_at is not None:
        raise UserErrors.single(
            UserErrorCode.TOKEN_USED, field, N_("This link has already been used.")
        )
    if record.revoked_at is not None:
        raise UserErrors.single(
            UserErrorCode.TOKEN_REVOKED,
            field,
            N_("This link was replaced or cancelled. Use the latest one."),
        )
    if record.expires_at <= now():
        raise UserErrors.single(
            UserErrorCode.TOKEN_EXPIRED, field, N_("This link has expired. Ask for a new one.")
        )
    record.used_at = now()
    await record.save(update_fields=["used_at"])
    return record
