"""Login-email change: asked by the user with their password, done by a link to the new
address, and undone by a link to the address it left.

No administrator path exists. The undo is the way back for an owner whose password was
taken: it restores their address, locks every intruder out and has them choose a new
password.
"""

from __future__ import annotations

from datetime import timedelta

from tortoise.exceptions import IntegrityError

from carnet import throttle
from carnet.auth import hash_password, new_token
from carnet.i18n import N_
from carnet.settings import Settings
from models.identity import TokenPurpose, User
from models.messaging import OutboxMessage
from resolvers.common import audit
from resolvers.common.actor import RequestMeta
from resolvers.common.errors import ErrorCollector, RateLimited, UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.common.validation import normalize_email
from resolvers.identity import sessions, tokens, users
from resolvers.messaging.email import queue_email

# How long the address a change left can undo it: long enough for a mailbox read only now
# and then (a week of holidays), since until then it is its owner's only way back.
UNDO_LINK_LIFETIME = timedelta(days=7)


async def request(
    user: User, new_email: str, current_password: str, meta: RequestMeta, settings: Settings
) -> None:
    """Mails a confirmation link to the new address; or, when another account uses it, a
    note to that account's owner. The answer (and the quotas counted) are the same either
    way: a caller must not learn which addresses have an account (anyone can register)."""
    errors = ErrorCollector()
    email = normalize_email(new_email, errors, ("input", "new_email"))
    errors.raise_if_any()
    # Before saying which addresses are taken, and before anything is sent: a stolen
    # access token alone does not move the account to another mailbox.
    await sessions.confirm_password(user, current_password, ("input", "current_password"), meta)
    if email == user.email:
        raise UserErrors.single(
            UserErrorCode.INVALID, ("input", "new_email"), N_("This is already your email address.")
        )
    owner = await User.get_or_none(email=email)
    wait = await throttle.allow(
        (throttle.EMAIL_CHANGE_MAIL, email), (throttle.EMAIL_CHANGE_BY_USER, str(user.id))
    )
    if wait:
        raise RateLimited(wait)
    if owner is not None:
        await users.tell_owner(owner, "email_change")
        return
    ttl = settings.email_change_ttl_seconds
    async with unit_of_work():
        token = await tokens.issue(
            TokenPurpose.EMAIL_CHANGE, email=email, ttl_seconds=ttl, user=user
        )
        await queue_email(
            template="email_change",
            to=email,
            locale=user.locale,
            token=token,
            link_path="confirm-email-change",
            name=user.first_name or user.email,
            new_email=email,
            hours=ttl // 3600,
        )


async def _notify_old_address(user: User, old_email: str) -> OutboxMessage:
    # The owner of the old address may not be who changed it. A security notice, not
    # rationed by any quota: it goes out with every change, with a way back. Each change's
    # undo link stays valid beside the others (see tokens.revoke_all_but_earlier_undos).
    token = await tokens.issue(
        TokenPurpose.EMAIL_CHANGE_UNDO,
        email=old_email,
        ttl_seconds=int(UNDO_LINK_LIFETIME.total_seconds()),
        user=user,
        replace=False,
    )
    return await queue_email(
        template="email_changed",
        to=old_email,
        locale=user.locale,
        token=token,
        link_path="undo-email-change",
        name=user.first_name or old_email,
        old_email=old_email,
        new_email=user.email,
        days=UNDO_LINK_LIFETIME.days,
    )


async def confirm(token: str, meta: RequestMeta) -> User:
    try:
        async with unit_of_work():
            record, user = await tokens.consume_for_user(
                token, TokenPurpose.EMAIL_CHANGE, ("input", "token")
            )
            before = user.email
            user.email = record.email
            user.email_verified_at = now()
            await user.save(update_fields=["email", "email_verified_at", "updated_at"])
            notice = await _notify_old_address(user, before)
            await audit.record(
                "user.email_change",
                actor=user,
                meta=meta,
                target=("User", user.id),
                before={"email": before},
                after={"email": user.email, "notice_message_id": notice.id},
            )
    except IntegrityError:
        raise UserErrors.single(
            UserErrorCode.ALREADY_EXISTS,
            ("input", "token"),
            N_("Another account uses this email address."),
        ) from None
    return user


def _address_taken() -> UserErrors:
    return UserErrors.single(
        UserErrorCode.ALREADY_EXISTS,
        ("input", "token"),
        N_("Another account now uses this email address, so it cannot be restored."),
    )


async def undo(token: str, meta: RequestMeta, settings: Settings) -> User:
    """Puts back the address a change left, from the link mailed there.

    Whoever made the change had the password, so it stops working too: every device is
    signed out, every link still out is cancelled (the intruder's pending changes above
    all), and the restored address gets a password-reset link. Until it is used, nobody
    can sign in, nor start another change.
    """
    # A password nobody knows, hashed before any row is locked (hashing is slow on purpose).
    unknowable = await hash_password(new_token())
    try:
        async with unit_of_work():
            record, user = await tokens.consume_for_user(
                token, TokenPurpose.EMAIL_CHANGE_UNDO, ("input", "token")
            )
            # Raising rolls the link's use back: nothing is written.
            if await User.filter(email=record.email).exclude(id=user.id).exists():
                raise _address_taken()
            before = user.email
            user.email = record.email
            # The link was opened from that mailbox, which proves it.
            user.email_verified_at = now()
            user.password_hash = unknowable
            await user.save(
                update_fields=["email", "email_verified_at", "password_hash", "updated_at"]
            )
            signed_out = await sessions.revoke_all(user)
            cancelled = await tokens.revoke_all_but_earlier_undos(user, record)
            reset_mail = await users.send_password_reset(
                user, settings, "email_change_undone"
            )
            await audit.record(
                "user.email_change_undo",
                actor=user,
                meta=meta,
                target=("User", user.id),
                before={"email": before},
                after={
                    "email": user.email,
                    "sessions_revoked": signed_out,
                    "links_revoked": cancelled,
                    "reset_message_id": reset_mail.id,
                },
            )
    except IntegrityError:  # the address was taken between the check and the save
        raise _address_taken() from None
    return user
