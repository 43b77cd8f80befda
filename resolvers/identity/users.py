"""Registration, email verification, password reset and the profile.

The login email changes in `resolvers.identity.email_change`. Mail sent on request is
rationed per address (and per user): see `carnet.throttle`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError

from carnet import throttle
from carnet.auth import hash_password
from carnet.i18n import N_
from carnet.settings import Settings
from models.identity import Locale, TokenPurpose, User
from models.messaging import OutboxMessage
from resolvers.common import audit
from resolvers.common.actor import RequestMeta
from resolvers.common.errors import ErrorCollector, RateLimited, UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.common.validation import check_password, clean_text, normalize_email
from resolvers.contacts.links import link_verified_user
from resolvers.identity import sessions, tokens
from resolvers.messaging.email import queue_email


@dataclass
class Registration:
    email: str
    password: str
    first_name: str
    last_name: str
    locale: Locale


async def _send_verification(user: User, settings: Settings) -> None:
    """Its own unit of work, joined by the caller's (registration) when there is one."""
    ttl = settings.verification_token_ttl_seconds
    async with unit_of_work():
        token = await tokens.issue(
            TokenPurpose.EMAIL_VERIFICATION, email=user.email, ttl_seconds=ttl, user=user
        )
        await queue_email(
            template="verify_email",
            to=user.email,
            locale=user.locale,
            token=token,
            link_path="verify-email",
            name=user.first_name or user.email,
            hours=ttl // 3600,
        )


class _AddressTaken(Exception):
    """Raised inside the unit of work to roll back a registration whose address has an
    account after all; the caller answers as if it had worked."""


async def register(data: Registration, meta: RequestMeta, settings: Settings) -> None:
    """Creates the account and mails its verification link; or, when the address already
    has an account, mails that address a note instead and changes nothing. The caller gets
    the same answer either way: an anonymous caller must not learn who has an account."""
    errors = ErrorCollector()
    email = normalize_email(data.email, errors, ("input", "email"))
    check_password(data.password, errors, ("input", "password"), email)
    first_name = clean_text(
        data.first_name, errors, ("input", "first_name"), max_length=100, required=True
    )
    last_name = clean_text(data.last_name, errors, ("input", "last_name"), max_length=100)
    errors.raise_if_any()
    # Hashed whether or not the address is free: the hash is most of the work, and the
    # time an answer takes should not tell the two apart either.
    password_hash = await hash_password(data.password)
    existing = await User.get_or_none(email=email)
    if existing is not None and not is_unclaimed(existing):
        await _tell_owner_once_in_a_while(existing)
        return
    values = {
        "password_hash": password_hash,
        "first_name": first_name,
        "last_name": last_name,
        "locale": data.locale,
    }
    try:
        async with unit_of_work():
            if existing is None:
                user = await User.create(email=email, **values)
            else:
                # Someone was invited at this address and never accepted: registering
                # takes the login over; the address is proven, as always, by verifying it.
                user = await User.filter(id=existing.id).select_for_update().get()
                if not is_unclaimed(user):
                    raise _AddressTaken
                user.update_from_dict(values)
                await user.save()
            await audit.record("user.register", actor=user, meta=meta, target=("User", user.id))
            await _send_verification(user, settings)
    except (IntegrityError, _AddressTaken):  # taken meanwhile: a concurrent registration won
        owner = await User.get_or_none(email=email)
        if owner is not None:
            await _tell_owner_once_in_a_while(owner)


async def _tell_owner_once_in_a_while(user: User) -> None:
    """A few notes an hour per address at most, then quietly nothing: the answer to the
    registration must stay the same."""
    if not await throttle.allow((throttle.REGISTRATION_ATTEMPT_MAIL, user.email)):
        await tell_owner(user, "register")


async def tell_owner(user: User, attempt: str) -> None:
    """Mails the owner of `user`'s address that someone tried to use it for another account
    (`attempt`: "register" or "email_change"), instead of telling the caller it is taken.

    Nothing the caller typed goes into it (a stranger's words must not reach the owner
    through us), and no link: there is nothing to confirm. A disabled login is not mailed.
    """
    if not user.is_active:
        return
    async with unit_of_work():
        await queue_email(
            template="address_in_use",
            to=user.email,
            locale=user.locale,
            attempt=attempt,
            email=user.email,
        )


def is_unclaimed(user: User) -> bool:
    """A login created by an invitation that nobody has taken yet: no password, and the
    address never proven (an undone email change also clears the password, but proves
    the address, so that login is not up for grabs)."""
    return not user.password_hash and not user.email_verified


def _link_not_valid() -> UserErrors:
    return UserErrors.single(
        UserErrorCode.TOKEN_INVALID,
        ("input", "token"),
        N_("This link is not valid. Ask for a new one."),
    )


async def resend_verification(user: User, settings: Settings) -> None:
    if user.email_verified:
        raise UserErrors.single(UserErrorCode.INVALID, (), N_("Your email is already verified."))
    wait = await throttle.allow((throttle.VERIFICATION_MAIL, user.email))
    if wait:
        raise RateLimited(wait)
    await _send_verification(user, settings)


async def verify_email(token: str, meta: RequestMeta) -> User:
    async with unit_of_work():
        record, user = await tokens.consume_for_user(
            token, TokenPurpose.EMAIL_VERIFICATION, ("input", "token")
        )
        if user.email != record.email:  # the address changed since the link was sent
            raise _link_not_valid()
        if not user.email_verified:
            user.email_verified_at = now()
            await user.save(update_fields=["email_verified_at", "updated_at"])
            await audit.record("user.email_verify", actor=user, meta=meta, target=("User", user.id))
            # A proven address joins the contacts that carry it in every organization.
            await link_verified_user(user, meta)
    return user


async def request_password_reset(email: str, settings: Settings) -> None:
    """Always succeeds, so the answer does not reveal who has an account: over the
    address's quota too, when it quietly sends nothing."""
    errors = ErrorCollector()
    normalized = normalize_email(email, errors, ("input", "email"))
    errors.raise_if_any()
    user = await User.get_or_none(email=normalized, is_active=True)
    if user is None or await throttle.allow((throttle.PASSWORD_RESET_MAIL, user.email)):
        return
    async with unit_of_work():
        await send_password_reset(user, settings)


async def send_password_reset(
    user: User, settings: Settings, template: str = "password_reset"
) -> OutboxMessage:
    """Mails a reset link to the user's current address (replacing any earlier one), in
    `template`'s words (given `name`, `link` and `hours`)."""
    ttl = settings.password_reset_ttl_seconds
    token = await tokens.issue(
        TokenPurpose.PASSWORD_RESET, email=user.email, ttl_seconds=ttl, user=user
    )
    return await queue_email(
        template=template,
        to=user.email,
        locale=user.locale,
        token=token,
        link_path="reset-password",
        name=user.first_name or user.email,
        hours=max(ttl // 3600, 1),
    )


async def reset_password(token: str, password: str, meta: RequestMeta) -> User:
    errors = ErrorCollector()
    check_password(password, errors, ("input", "password"))
    errors.raise_if_any()
    password_hash = await hash_password(password)
    async with unit_of_work():
        record, user = await tokens.consume_for_user(
            token, TokenPurpose.PASSWORD_RESET, ("input", "token")
        )
        if user.email != record.email:  # mailed to an address the account no longer uses
            raise _link_not_valid()
        # Only now is the address known; raising rolls the token's use back.
        check_password(password, errors, ("input", "password"), user.email)
        errors.raise_if_any()
        user.password_hash = password_hash
        # Receiving the link proves the address, too.
        user.email_verified_at = user.email_verified_at or now()
        await user.save(update_fields=["password_hash", "email_verified_at", "updated_at"])
        # A reset signs every device out: whoever knew the old password is locked out.
        signed_out = await sessions.revoke_all(user)
        # ...and so is their request to move the account to an address of theirs.
        await tokens.revoke_outstanding(user, TokenPurpose.EMAIL_CHANGE)
        await audit.record(
            "user.password_reset",
            actor=user,
            meta=meta,
            target=("User", user.id),
            after={"sessions_revoked": signed_out},
        )
    return user


async def update_profile(
    user: User,
    *,
    first_name: str | None,
    last_name: str | None,
    locale: Locale | None,
    meta: RequestMeta,
) -> User:
    errors = ErrorCollector()
    changes: dict[str, object] = {}
    if first_name is not None:
        changes["first_name"] = clean_text(
            first_name, errors, ("input", "first_name"), max_length=100, required=True
        )
    if last_name is not None:
        changes["last_name"] = clean_text(last_name, errors, ("input", "last_name"), max_length=100)
    if locale is not None:
        changes["locale"] = locale
    errors.raise_if_any()
    if changes:
        async with unit_of_work():
            before = {k: str(getattr(user, k)) for k in changes}
            user.update_from_dict(changes)
            await user.save(update_fields=[*changes, "updated_at"])
            await audit.record(
                "user.update",
                actor=user,
                meta=meta,
                target=("User", user.id),
                before=before,
                after={k: str(v) for k, v in changes.items()},
            )
    return user
