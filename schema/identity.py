"""Users, sign-in sessions, registration and the one-time-link flows."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from models.identity import Locale, Session, SignInAttempt, SignInOutcome, SignInStep, User
from resolvers.common.pagination import paginate
from resolvers.common.permissions import Relationship
from resolvers.identity import email_change, sessions, sign_in_attempts, users
from schema.inbox import inbox_field, unread_count_field
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id
from schema.types import Connection, Node, model_node

LocaleEnum = strawberry.enum(Locale, name="Locale")
SignInOutcomeEnum = strawberry.enum(
    SignInOutcome,
    name="SignInOutcome",
    description="WRONG_PASSWORD: a password was checked and was wrong. LOCKED_OUT: after too "
    "many failures, that client's attempts were refused unchecked (noted once per lock).",
)
SignInStepEnum = strawberry.enum(
    SignInStep,
    name="SignInStep",
    description="SIGN_IN: `tokenCreate`. PASSWORD_CONFIRMATION: the password asked again of a "
    "signed-in device (`emailChangeRequest`).",
)


# Functions, not shared constants: `requires` makes a Guard that learns its field's payload
# type when applied, so one Guard shared by several mutations answered NOT_FOUND with the
# payload type of whichever field was applied last.
def public() -> dict[str, Any]:
    return requires(relationship=Relationship.PUBLIC)


def signed_in() -> dict[str, Any]:
    return requires(relationship=Relationship.AUTHENTICATED)


def self_only() -> dict[str, Any]:
    return requires(relationship=Relationship.SELF)


MyClientAccountRef = Annotated["MyClientAccount", strawberry.lazy("schema.accounts.client")]  # noqa: F821


@model_node("User", User, Relationship.SELF)
class UserType(Node):
    email: str
    first_name: str
    last_name: str
    full_name: str
    locale: LocaleEnum
    email_verified: bool
    created_at: datetime

    @strawberry.field(**describe("Your client accounts, in every organization.", self_only()))
    async def accounts(self) -> list[MyClientAccountRef]:
        from schema.accounts.client import my_accounts  # it builds on this module: import late

        return await my_accounts(self)

    inbox = inbox_field(self_only())  # schema.inbox
    unread_count = unread_count_field(self_only())


@model_node("Session", Session, Relationship.SELF)
class SessionType(Node):
    device: str
    ip_address: str
    created_at: datetime
    last_used_at: datetime

    @strawberry.field(description="True for the session making this request.")
    def current(self, info: strawberry.Info) -> bool:
        return info.context.session is not None and info.context.session.id == self.id


@model_node("SignInAttempt", SignInAttempt, Relationship.SELF)
class SignInAttemptType(Node):
    outcome: SignInOutcomeEnum
    step: SignInStepEnum
    ip_address: str = strawberry.field(description="The client's address.")
    device: str = strawberry.field(description="The device name sent, or its User-Agent.")
    created_at: datetime
    locked_until: datetime | None = strawberry.field(
        description="For LOCKED_OUT: when that client may try again (sooner if you sign in)."
    )


@strawberry.input
class UserRegisterInput:
    email: str
    password: str
    first_name: str
    last_name: str = ""
    locale: LocaleEnum = Locale.EN


@strawberry.input
class TokenInput:
    token: str


@strawberry.input
class TokenCreateInput:
    email: str
    password: str
    device: str = strawberry.field(
        default="",
        description="A name for this device, shown in `mySessions`; the User-Agent when empty.",
    )


@strawberry.input
class TokenRefreshInput:
    refresh_token: str


@strawberry.input
class SessionRevokeInput:
    id: strawberry.ID


@strawberry.input
class PasswordResetRequestInput:
    email: str


@strawberry.input
class PasswordResetInput:
    token: str
    password: str


@strawberry.input
class EmailChangeRequestInput:
    new_email: str
    current_password: str = strawberry.field(
        description="Asked again: a signed-in device alone cannot move the account elsewhere."
    )


@strawberry.input
class UserUpdateInput:
    first_name: str | None = None
    last_name: str | None = None
    locale: LocaleEnum | None = None


@strawberry.type
class UserPayload(Payload):
    user: UserType | None = None


@strawberry.type
class TokenPayload(Payload):
    access_token: str | None = None
    refresh_token: str | None = None
    access_token_expires_at: datetime | None = None
    refresh_token_expires_at: datetime | None = None
    user: UserType | None = None


@strawberry.type
class SessionPayload(Payload):
    session: SessionType | None = None


@strawberry.type
class OkPayload(Payload):
    ok: bool = False


def _tokens(issued: sessions.IssuedTokens) -> dict:
    return {
        "access_token": issued.access_token,
        "refresh_token": issued.refresh_token,
        "access_token_expires_at": issued.session.access_expires_at,
        "refresh_token_expires_at": issued.session.refresh_expires_at,
        "user": issued.session.user,
    }


@strawberry.type
class IdentityQuery:
    @strawberry.field(**describe("The signed-in user.", signed_in()))
    def me(self, info: strawberry.Info) -> UserType:
        return info.context.user

    @strawberry.field(**describe("Devices signed in to your account, newest first.", self_only()))
    async def my_sessions(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[SessionType]:
        page = await paginate(
            sessions.sessions_of(info.context.user),
            first=first,
            after=after,
            last=last,
            before=before,
        )
        return Connection.of(page)

    @strawberry.field(
        **describe(
            "Failed sign-ins to your account and clients locked out of it, newest first "
            "(kept `CARNET_SIGN_IN_ATTEMPT_RETENTION_DAYS`).",
            self_only(),
        )
    )
    async def my_sign_in_attempts(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[SignInAttemptType]:
        page = await paginate(
            sign_in_attempts.attempts_of(info.context.user),
            first=first,
            after=after,
            last=last,
            before=before,
        )
        return Connection.of(page)


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(
        **describe(
            "Creates an account and emails a verification link. When the address already "
            "has an account, nothing changes and its owner is emailed instead; the answer is "
            "the same either way (`user` is always null, `errors` only lists invalid input), "
            "so it reveals nobody's account. Sign in to read your profile.",
            public(),
        )
    )
    async def user_register(self, info: strawberry.Info, input: UserRegisterInput) -> UserPayload:
        data = users.Registration(
            email=input.email,
            password=input.password,
            first_name=input.first_name,
            last_name=input.last_name,
            locale=Locale(input.locale),
        )
        await users.register(data, info.context.meta, info.context.settings)
        return UserPayload(user=None)

    @strawberry.mutation(
        **describe("Confirms an email address with the mailed link's token.", public())
    )
    async def email_verify(self, info: strawberry.Info, input: TokenInput) -> UserPayload:
        return UserPayload(user=await users.verify_email(input.token, info.context.meta))

    @strawberry.mutation(
        **describe("Sends a new verification link to your address (a few per hour).", self_only())
    )
    async def email_verification_resend(self, info: strawberry.Info) -> OkPayload:
        await users.resend_verification(info.context.user, info.context.settings)
        return OkPayload(ok=True)

    @strawberry.mutation(
        **describe(
            "Signs in: returns an access token (send it as `Authorization: Bearer <token>`) and a "
            "refresh token. Repeated failures are rate limited.",
            public(),
        )
    )
    async def token_create(self, info: strawberry.Info, input: TokenCreateInput) -> TokenPayload:
        issued = await sessions.sign_in(
            input.email, input.password, input.device, info.context.meta, info.context.settings
        )
        return TokenPayload(**_tokens(issued))

    @strawberry.mutation(
        **describe(
            "Swaps a refresh token for new tokens; the old ones stop working. The refresh "
            f"token just swapped still swaps for {sessions.REFRESH_GRACE.seconds} seconds "
            "(two tabs at once); after that, presenting it ends the session.",
            public(),
        )
    )
    async def token_refresh(self, info: strawberry.Info, input: TokenRefreshInput) -> TokenPayload:
        return TokenPayload(
            **_tokens(
                await sessions.refresh(
                    input.refresh_token, info.context.meta, info.context.settings
                )
            )
        )

    @strawberry.mutation(
        **describe("Signs this device out (ends the session of the refresh token).", public())
    )
    async def token_revoke(self, info: strawberry.Info, input: TokenRefreshInput) -> OkPayload:
        await sessions.revoke_by_refresh_token(input.refresh_token, info.context.meta)
        return OkPayload(ok=True)

    @strawberry.mutation(**describe("Signs one of your devices out.", self_only()))
    async def session_revoke(
        self, info: strawberry.Info, input: SessionRevokeInput
    ) -> SessionPayload:
        pk = await scoped_id(info, input.id, "Session", ("input", "id"))
        session = await sessions.revoke(info.context.user, pk, info.context.meta)
        return SessionPayload(session=session)

    @strawberry.mutation(
        **describe(
            "Emails a password-reset link if an account has this address, a few per hour "
            "at most (the answer is the same either way).",
            public(),
        )
    )
    async def password_reset_request(
        self, info: strawberry.Info, input: PasswordResetRequestInput
    ) -> OkPayload:
        await users.request_password_reset(input.email, info.context.settings)
        return OkPayload(ok=True)

    @strawberry.mutation(
        **describe(
            "Sets a new password with the mailed link's token; signs every device out.", public()
        )
    )
    async def password_reset(self, info: strawberry.Info, input: PasswordResetInput) -> UserPayload:
        user = await users.reset_password(input.token, input.password, info.context.meta)
        return UserPayload(user=user)

    @strawberry.mutation(
        **describe(
            "Emails a confirmation link to the new address; the login email changes only "
            "when it is opened, and the old address is then told. Needs your password; "
            "a few links per address and per hour. An address another account uses gets a "
            "note instead of a link, and the answer is the same.",
            self_only(),
        )
    )
    async def email_change_request(
        self, info: strawberry.Info, input: EmailChangeRequestInput
    ) -> OkPayload:
        await email_change.request(
            info.context.user,
            input.new_email,
            input.current_password,
            info.context.meta,
            info.context.settings,
        )
        return OkPayload(ok=True)

    @strawberry.mutation(
        **describe(
            "Confirms a login-email change with the mailed token. The old address is sent a "
            "link to undo it.",
            public(),
        )
    )
    async def email_change_confirm(self, info: strawberry.Info, input: TokenInput) -> UserPayload:
        return UserPayload(user=await email_change.confirm(input.token, info.context.meta))

    @strawberry.mutation(
        **describe(
            "Undoes a login-email change with the token mailed to the address it left "
            f"(valid {email_change.UNDO_LINK_LIFETIME.days} days, once): that address is the "
            "login email again, every device is signed out, every link still out is "
            "cancelled, and the password stops working until it is reset with the link "
            "then mailed to that address.",
            public(),
        )
    )
    async def email_change_undo(self, info: strawberry.Info, input: TokenInput) -> UserPayload:
        return UserPayload(user=await email_change.undo(
                input.token, info.context.meta, info.context.settings
            ))

    @strawberry.mutation(**describe("Edits your own name and language.", self_only()))
    async def user_update(self, info: strawberry.Info, input: UserUpdateInput) -> UserPayload:
        user = await users.update_profile(
            info.context.user,
            first_name=input.first_name,
            last_name=input.last_name,
            locale=Locale(input.locale) if input.locale else None,
            meta=info.context.meta,
        )
        return UserPayload(user=user)
