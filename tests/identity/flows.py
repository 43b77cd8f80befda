"""What a client of the identity API does, step by step: the documents and small helpers.

Tokens are read from the mail as a person reads them: the link's `token=` query parameter.
The mail is the copy of it as sent that the development `outbox` backend (the tests') keeps
on its outbox row; the worker writes and sends it, so reading one runs the worker first.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qs, urlsplit

from models.audit import AuditEvent
from models.identity import OneTimeToken, Session, User
from models.messaging import OutboxMessage
from models.tasks import Task
from tests.support.api import Api, Result
from tests.support.mail import send_queued_mail
from tests.support.world import PASSWORD

ERRORS = "errors { code field message }"
USER = "user { id email firstName lastName fullName locale emailVerified }"

REGISTER = f"""mutation($input: UserRegisterInput!) {{
  userRegister(input: $input) {{ {USER} {ERRORS} }} }}"""
VERIFY = f"""mutation($input: TokenInput!) {{ emailVerify(input: $input) {{ {USER} {ERRORS} }} }}"""
RESEND = f"mutation {{ emailVerificationResend {{ ok {ERRORS} }} }}"
SIGN_IN = f"""mutation($input: TokenCreateInput!) {{
  tokenCreate(input: $input) {{
    accessToken refreshToken accessTokenExpiresAt refreshTokenExpiresAt user {{ id email }}
    {ERRORS} }} }}"""
REFRESH = f"""mutation($input: TokenRefreshInput!) {{
  tokenRefresh(input: $input) {{ accessToken refreshToken user {{ email }} {ERRORS} }} }}"""
SIGN_OUT = f"""mutation($input: TokenRefreshInput!) {{
  tokenRevoke(input: $input) {{ ok {ERRORS} }} }}"""
ME = "{ me { id email firstName locale emailVerified } }"
MY_SESSIONS = """query($first: Int, $after: String, $last: Int, $before: String) {
  mySessions(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { id device ipAddress createdAt lastUsedAt current } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""
SESSION_REVOKE = f"""mutation($input: SessionRevokeInput!) {{
  sessionRevoke(input: $input) {{ session {{ id device }} {ERRORS} }} }}"""
RESET_REQUEST = f"""mutation($input: PasswordResetRequestInput!) {{
  passwordResetRequest(input: $input) {{ ok {ERRORS} }} }}"""
RESET = f"""mutation($input: PasswordResetInput!) {{
  passwordReset(input: $input) {{ {USER} {ERRORS} }} }}"""
EMAIL_CHANGE_REQUEST = f"""mutation($input: EmailChangeRequestInput!) {{
  emailChangeRequest(input: $input) {{ ok {ERRORS} }} }}"""
EMAIL_CHANGE_CONFIRM = f"""mutation($input: TokenInput!) {{
  emailChangeConfirm(input: $input) {{ {USER} {ERRORS} }} }}"""
EMAIL_CHANGE_UNDO = f"""mutation($input: TokenInput!) {{
  emailChangeUndo(input: $input) {{ {USER} {ERRORS} }} }}"""
USER_UPDATE = f"""mutation($input: UserUpdateInput!) {{
  userUpdate(input: $input) {{ {USER} {ERRORS} }} }}"""

NEW_PASSWORD = "a brand new passphrase"


class SignedIn:
    """Anything `Api.as_` accepts: a holder of an access token."""

    def __init__(self, token: str | None, refresh_token: str | None = None):
        self.token = token
        self.refresh_token = refresh_token


async def register(api: Api, email: str, password: str = NEW_PASSWORD, **fields) -> Result:
    data = {"email": email, "password": password, "firstName": "Alice", **fields}
    return await api.execute(REGISTER, {"input": data})


async def sign_in(api: Api, email: str, password: str, **fields) -> Result:
    return await api.execute(SIGN_IN, {"input": {"email": email, "password": password, **fields}})


async def signed_in(api: Api, email: str, password: str, **fields) -> SignedIn:
    tokens = (await sign_in(api, email, password, **fields)).ok("tokenCreate")
    return SignedIn(tokens["accessToken"], tokens["refreshToken"])


async def last_email(to: str, template: str | None = None) -> OutboxMessage:
    await send_queued_mail()
    query = OutboxMessage.filter(recipient=to)
    if template is not None:
        query = query.filter(template=template)
    message = await query.order_by("-id").first()
    assert message is not None, f"no {template or 'email'} to {to}"
    return message


def token_in(message: OutboxMessage) -> str:
    """The token of the email's (only) link, as the web app would read it."""
    (link,) = message.links
    assert link in message.body_text and link in message.body_html
    (token,) = parse_qs(urlsplit(link).query)["token"]
    return token


async def mailed_token(to: str, template: str) -> str:
    return token_in(await last_email(to, template))


async def row_counts() -> dict[str, int]:
    """Rows of every table a refused identity mutation must leave alone."""
    return {
        model.__name__: await model.all().count()
        for model in (User, Session, OneTimeToken, OutboxMessage, Task, AuditEvent)
    }


def codes_and_fields(errors: list[dict]) -> set[tuple[str, tuple[str, ...]]]:
    return {(e["code"], tuple(e["field"] or ())) for e in errors}


def digest(token: str) -> str:
    """What the database stores for a token."""
    return hashlib.sha256(token.encode()).hexdigest()


async def session_of(signed: SignedIn) -> Session:
    return await Session.get(access_token_hash=digest(signed.token))


async def request_reset(api: Api, email: str) -> None:
    result = await api.execute(RESET_REQUEST, {"input": {"email": email}})
    assert result.ok("passwordResetRequest")["ok"] is True


async def reset(api: Api, token: str, password: str = NEW_PASSWORD) -> Result:
    return await api.execute(RESET, {"input": {"token": token, "password": password}})


async def request_change(api: Api, who, new_email: str, password: str = PASSWORD) -> Result:
    data = {"newEmail": new_email, "currentPassword": password}
    return await api.as_(who).execute(EMAIL_CHANGE_REQUEST, {"input": data})


async def confirm_change(api: Api, token: str) -> Result:
    return await api.execute(EMAIL_CHANGE_CONFIRM, {"input": {"token": token}})


async def undo_change(api: Api, token: str) -> Result:
    return await api.execute(EMAIL_CHANGE_UNDO, {"input": {"token": token}})


def rate_limited(result: Result, window_seconds: int) -> int:
    """The wait a RATE_LIMITED answer asks for: a top-level error, the payload not reached."""
    assert result.status == 200
    assert result.data is None
    assert result.error_codes == ["RATE_LIMITED"]
    retry_after = result.errors[0]["extensions"]["retryAfter"]
    assert 0 < retry_after <= window_seconds
    return retry_after


def error_codes(result: Result, field: str) -> list[tuple[str, list[str]]]:
    """The (code, field) of each payload error of a mutation."""
    return [(e["code"], e["field"]) for e in result.payload(field)["errors"]]
