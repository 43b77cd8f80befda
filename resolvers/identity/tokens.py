"""One-time tokens (verification, reset, email change and its undo, invitations): one model.

Random, stored as a digest, single use, expiring; the secret is minted only by the job that
mails it. Consuming checks everything at once under a row lock, so two concurrent uses
cannot both succeed.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from tortoise.expressions import Q

from carnet.auth import new_token, token_digest
from carnet.i18n import N_
from models.identity import OneTimeToken, TokenPurpose, User
from resolvers.common.errors import FieldPath, UserErrorCode, UserErrors
from resolvers.common.time import now


def link(app_url: str, path: str, plain: str) -> str:
    """The web app's page (at `app_url`) that reads the token from its query string."""
    return f"{app_url.rstrip('/')}/{path}?token={plain}"


async def issue(
    purpose: TokenPurpose,
    *,
    email: str,
    ttl_seconds: int,
    user: User | None = None,
    replace: bool = True,
) -> OneTimeToken:
    """Creates a token that nothing opens yet: its secret is minted by the job that mails
    it (`mint`, through `resolvers.messaging.email.queue_email`), so no plain value exists
    before the mail is written, and none is ever stored.

    It exists from now on all the same: whatever cancels a user's links (a reset, an undo,
    a newer link) cancels this one too, and the mail is then not sent.

    A newer link of the same kind replaces the user's older ones, unless `replace` is
    false: links that each belong to a different address and must outlive one another.
    """
    if user is not None and replace:
        await revoke_outstanding(user, purpose)
    return await OneTimeToken.create(
        purpose=purpose,
        token_hash=_unminted(),
        user=user,
        email=email,
        expires_at=now() + timedelta(seconds=ttl_seconds),
    )


def _unminted() -> str:
    # Unique like a digest, but never equal to one (a digest is hex): nothing matches it.
    return f"unminted-{secrets.token_hex(16)}"


async def mint(token_id: int) -> str | None:
    """A fresh secret for a live token, returned once; call inside a transaction.

    Its digest replaces the previous one, so a secret minted earlier (by a run that died
    before or after mailing it) stops working: a token never has two valid secrets. None
    when the token was used, revoked, expired or deleted meanwhile.
    """
    record = await OneTimeToken.filter(id=token_id).select_for_update().first()
    if record is None or record.used_at or record.revoked_at or record.expires_at <= now():
        return None
    plain = new_token()
    record.token_hash = token_digest(plain)
    await record.save(update_fields=["token_hash", "updated_at"])
    return plain


async def revoke_outstanding(user: User, purpose: TokenPurpose) -> int:
    """Cancels the user's unused links of this kind; returns how many."""
    return await OneTimeToken.filter(
        user_id=user.id, purpose=purpose, used_at=None, revoked_at=None
    ).update(revoked_at=now())


async def revoke_all_but_earlier_undos(user: User, undo: OneTimeToken) -> int:
    """Cancels every unused link of the user, of any kind, when `undo` is used; returns how
    many.

    Spared: the undo links of changes made before the one undone. Each belongs to an
    address the account had earlier, whose owner may be the real one; a later change's undo
    link went to an address the intruder may hold, and using it must not take theirs away.
    """
    earlier_undo = Q(purpose=TokenPurpose.EMAIL_CHANGE_UNDO, id__lt=undo.id)
    return await (
        OneTimeToken.filter(user_id=user.id, used_at=None, revoked_at=None)
        .filter(~earlier_undo)
        .update(revoked_at=now())
    )


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


async def consume_for_user(
    plain: str, purpose: TokenPurpose, field: FieldPath
) -> tuple[OneTimeToken, User]:
    """`consume` for a link that changes its user's account: returns it with the user, whose
    row is locked first. Every such flow locks the account, then the link; taken the other
    way round, an undo (which cancels the user's other links) and a confirmation racing over
    one account would each hold what the other waits for. Call inside a transaction."""
    owner_id = (
        await OneTimeToken.filter(token_hash=token_digest(plain or ""), purpose=purpose)
        .first()
        .values_list("user_id", flat=True)
    )
    user = None
    if owner_id is not None:
        user = await User.filter(id=owner_id).select_for_update().first()
    record = await consume(plain, purpose, field)
    if user is None:  # a link with no user cannot change an account
        raise UserErrors.single(
            UserErrorCode.TOKEN_INVALID, field, N_("This link is not valid. Ask for a new one.")
        )
    return record, user
