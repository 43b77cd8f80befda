"""Registration and email verification: one global login per address, proven by a link."""

import ast
import hashlib
import threading
from pathlib import Path

import pytest
from tortoise.exceptions import IntegrityError

from carnet.i18n import translate
from models.audit import AuditEvent
from models.identity import Locale, OneTimeToken, TokenPurpose, User
from models.messaging import OutboxMessage, OutboxStatus
from resolvers.common.time import now
from tests.identity.flows import (
    NEW_PASSWORD,
    REGISTER,
    RESEND,
    RESET_REQUEST,
    VERIFY,
    SignedIn,
    codes_and_fields,
    last_email,
    mailed_token,
    register,
    row_counts,
    signed_in,
    token_in,
)
from tests.support.worker import run_worker


async def test_registering_creates_an_unverified_user_and_mails_a_link(api):
    result = await register(api, "alice@example.test", firstName=" Alice ", lastName="Martin")
    # No user in the answer: a taken address must get the same one (see
    # test_registration_disclosure); signing in shows the profile.
    assert result.ok("userRegister")["user"] is None
    me = await api.as_(await signed_in(api, "alice@example.test", NEW_PASSWORD)).execute(
        "{ me { email firstName lastName fullName locale emailVerified } }"
    )
    assert me.data["me"] == {
        "email": "alice@example.test",
        "firstName": "Alice",
        "lastName": "Martin",
        "fullName": "Alice Martin",
        "locale": "EN",
        "emailVerified": False,
    }

    stored = await User.get(email="alice@example.test")
    assert stored.email_verified_at is None
    assert stored.password_hash.startswith("$argon2id$")
    assert NEW_PASSWORD not in stored.password_hash

    message = await last_email("alice@example.test", "verify_email")
    assert message.subject == "Confirm your email address"
    assert "Hello Alice," in message.body_text
    token = token_in(message)
    assert message.links[0].startswith("http://127.0.0.1:8000/verify-email?token=")

    # The token is stored only as a digest, bound to the user and the address it proves.
    (record,) = await OneTimeToken.all()
    assert record.purpose is TokenPurpose.EMAIL_VERIFICATION
    assert record.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in record.token_hash
    assert (record.user_id, record.email) == (stored.id, "alice@example.test")
    assert record.used_at is None and record.expires_at > now()
    assert await AuditEvent.filter(action="user.register", actor_id=stored.id).count() == 1


async def test_the_verification_email_is_written_and_sent_by_the_worker(api, settings):
    await register(api, "alice@example.test")
    # Recorded with the registration, but no message exists yet, nor a link to open.
    message = await OutboxMessage.get(recipient="alice@example.test", template="verify_email")
    assert message.status is OutboxStatus.PENDING
    assert (message.subject, message.body_text, message.links) == ("", "", [])
    assert (await OneTimeToken.get()).token_hash.startswith("unminted-")
    await run_worker(settings)
    await message.refresh_from_db()
    assert message.status is OutboxStatus.SENT
    assert message.sent_at is not None
    assert message.subject == "Confirm your email address"
    assert token_in(message)


async def test_the_link_verifies_the_address_once(api):
    await register(api, "alice@example.test")
    token = await mailed_token("alice@example.test", "verify_email")

    verified = (await api.execute(VERIFY, {"input": {"token": token}})).ok("emailVerify")
    assert verified["user"]["emailVerified"] is True
    user = await User.get(email="alice@example.test")
    assert user.email_verified_at is not None
    assert (await OneTimeToken.get(user_id=user.id)).used_at is not None
    assert await AuditEvent.filter(action="user.email_verify", actor_id=user.id).count() == 1

    again = await api.execute(VERIFY, {"input": {"token": token}})
    assert again.payload("emailVerify") == {
        "user": None,
        "errors": [
            {
                "code": "TOKEN_USED",
                "field": ["input", "token"],
                "message": "This link has already been used.",
            }
        ],
    }


async def test_the_new_user_can_sign_in_and_read_their_profile(api):
    await register(api, "alice@example.test", locale="FR")
    me = await api.as_(await signed_in(api, "alice@example.test", NEW_PASSWORD)).execute(
        "{ me { email firstName locale emailVerified } }"
    )
    assert me.data == {
        "me": {
            "email": "alice@example.test",
            "firstName": "Alice",
            "locale": "FR",
            "emailVerified": False,
        }
    }


async def test_a_french_speaker_gets_the_email_in_french(api):
    await register(api, "aline@example.test", firstName="Aline", locale="FR")
    message = await last_email("aline@example.test", "verify_email")
    assert message.subject == "Confirmez votre adresse courriel"
    assert message.body_text.startswith("Bonjour Aline,")
    assert (await User.get(email="aline@example.test")).locale is Locale.FR


async def test_names_are_escaped_in_html_but_not_in_text(api):
    await register(api, "alice@example.test", firstName="<b>Al & Co</b>")
    message = await last_email("alice@example.test", "verify_email")
    assert "Hello <b>Al & Co</b>," in message.body_text
    assert "&lt;b&gt;Al &amp; Co&lt;/b&gt;" in message.body_html
    assert "<b>Al" not in message.body_html


@pytest.mark.parametrize(
    "first, second",
    [
        ("alice@x.test", "Alice@X.test"),
        ("Alice@X.test", "alice@x.test"),
        ("alice@x.test", "  ALICE@x.TEST "),
    ],
)
async def test_an_address_has_one_account_whatever_its_case(api, first, second):
    (await register(api, first)).ok("userRegister")
    account = await User.get(email="alice@x.test")

    result = await register(api, second, password="another passphrase")
    # The same answer as for a free address; the owner is mailed instead (see
    # test_registration_disclosure), and the account stays as it was.
    assert result.payload("userRegister") == {"user": None, "errors": []}
    assert await User.filter(email="alice@x.test").count() == 1
    assert (await User.get(id=account.id)).password_hash == account.password_hash
    assert await OneTimeToken.all().count() == 1  # the first registration's link only


@pytest.mark.parametrize(
    "email",
    ["not-an-email", "", "alice@", "@x.test", "a b@x.test", "alice@x..test", "a" * 300 + "@x.test"],
)
async def test_an_invalid_address_is_refused_and_nothing_is_written(api, email):
    before = await row_counts()
    result = await register(api, email)
    assert result.payload("userRegister")["errors"] == [
        {
            "code": "INVALID_EMAIL",
            "field": ["input", "email"],
            "message": "Enter a valid email address.",
        }
    ]
    assert await row_counts() == before


@pytest.mark.parametrize(
    "password, code, message",
    [
        ("short", "PASSWORD_TOO_WEAK", "Use at least 10 characters."),
        ("", "PASSWORD_TOO_WEAK", "Use at least 10 characters."),
        ("alice@example.test", "PASSWORD_TOO_WEAK", "The password cannot be your email address."),
        ("ALICE@example.TEST", "PASSWORD_TOO_WEAK", "The password cannot be your email address."),
        ("x" * 257, "TOO_LONG", "Use at most 256 characters."),
    ],
)
async def test_a_weak_password_is_refused_and_nothing_is_written(api, password, code, message):
    before = await row_counts()
    result = await register(api, "alice@example.test", password=password)
    assert result.payload("userRegister")["errors"] == [
        {"code": code, "field": ["input", "password"], "message": message}
    ]
    assert await row_counts() == before


async def test_every_problem_is_reported_at_once(api):
    before = await row_counts()
    result = await api.execute(
        REGISTER,
        {
            "input": {
                "email": "nope",
                "password": "short",
                "firstName": "  ",
                "lastName": "L" * 101,
            }
        },
    )
    assert codes_and_fields(result.payload("userRegister")["errors"]) == {
        ("INVALID_EMAIL", ("input", "email")),
        ("PASSWORD_TOO_WEAK", ("input", "password")),
        ("REQUIRED", ("input", "firstName")),
        ("TOO_LONG", ("input", "lastName")),
    }
    assert await row_counts() == before


async def test_an_unknown_locale_is_a_request_error(api):
    result = await register(api, "alice@example.test", locale="DE")
    assert result.status == 400
    assert result.error_codes == ["BAD_USER_INPUT"]
    assert await User.all().count() == 0


@pytest.mark.french_catalog
async def test_registration_errors_follow_accept_language(api):
    variables = {"input": {"email": "nope", "password": "short", "firstName": ""}}
    english = await api.execute(REGISTER, variables, **{"accept-language": "en"})
    french = await api.execute(REGISTER, variables, **{"accept-language": "fr-CA,fr;q=0.9"})
    english_errors = english.payload("userRegister")["errors"]
    french_errors = french.payload("userRegister")["errors"]
    assert [(e["code"], e["field"]) for e in french_errors] == [
        (e["code"], e["field"]) for e in english_errors
    ]
    for en, fr in zip(english_errors, french_errors, strict=True):
        assert fr["message"] and fr["message"] != en["message"], (en, fr)


class TestVerificationLinks:
    """Each way a link can fail has its own code, and a failed use changes nothing."""

    async def _registered(self, api) -> tuple[User, str]:
        await register(api, "alice@example.test")
        user = await User.get(email="alice@example.test")
        return user, await mailed_token("alice@example.test", "verify_email")

    async def _refused(self, api, token: str, code: str) -> None:
        before = await row_counts()
        result = await api.execute(VERIFY, {"input": {"token": token}})
        payload = result.payload("emailVerify")
        assert payload["user"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, ["input", "token"])]
        assert await row_counts() == before
        assert (await User.get(email="alice@example.test")).email_verified_at is None

    async def test_tampered(self, api):
        _, token = await self._registered(api)
        tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
        await self._refused(api, tampered, "TOKEN_INVALID")
        await self._refused(api, "", "TOKEN_INVALID")
        await self._refused(api, "x" * 10_000, "TOKEN_INVALID")
        assert (await OneTimeToken.get()).used_at is None

    async def test_expired(self, api):
        user, token = await self._registered(api)
        await OneTimeToken.filter(user_id=user.id).update(expires_at=now())
        await self._refused(api, token, "TOKEN_EXPIRED")
        assert (await OneTimeToken.get()).used_at is None

    async def test_replaced_by_a_newer_link(self, api):
        user, first = await self._registered(api)
        client = SignedIn((await signed_in(api, "alice@example.test", NEW_PASSWORD)).token)
        assert (await api.as_(client).execute(RESEND)).ok("emailVerificationResend")["ok"]
        second = await mailed_token("alice@example.test", "verify_email")
        assert second != first
        await self._refused(api, first, "TOKEN_REVOKED")
        assert (await api.execute(VERIFY, {"input": {"token": second}})).ok("emailVerify")

    async def test_a_link_for_another_purpose(self, api):
        await self._registered(api)
        await api.execute(RESET_REQUEST, {"input": {"email": "alice@example.test"}})
        reset_token = await mailed_token("alice@example.test", "password_reset")
        await self._refused(api, reset_token, "TOKEN_INVALID")


async def test_resending_to_a_verified_address_is_refused(api, world):
    before = await OutboxMessage.all().count()
    result = await api.as_(world.owner).execute(RESEND)
    payload = result.payload("emailVerificationResend")
    assert payload["ok"] is False
    assert [e["code"] for e in payload["errors"]] == ["INVALID"]
    assert await OutboxMessage.all().count() == before


async def test_resending_needs_a_signed_in_user(api):
    assert (await api.execute(RESEND)).error_codes == ["UNAUTHENTICATED"]


@pytest.mark.french_catalog
def test_every_identity_message_has_a_french_translation():
    root = Path(__file__).resolve().parents[2]
    sources = [*(root / "resolvers/identity").glob("*.py")] + [
        root / "resolvers/common" / name for name in ("validation.py", "errors.py", "pagination.py")
    ]
    messages = {
        node.args[0].value
        for source in sources
        for node in ast.walk(ast.parse(source.read_text()))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "N_"
    }
    assert len(messages) > 10
    assert sorted(m for m in messages if translate(m, "fr") == m) == []


async def test_the_database_refuses_an_address_that_is_not_lower_case(world):
    with pytest.raises(IntegrityError):
        await User.create(email="Mixed@Example.test", password_hash="x")


async def test_passwords_are_hashed_off_the_event_loop(api, world, monkeypatch):
    import carnet.auth

    real = carnet.auth._current_hasher()
    threads: list[tuple[str, int]] = []

    class Spy:
        def hash(self, password):
            threads.append(("hash", threading.get_ident()))
            return real.hash(password)

        def verify(self, password_hash, password):
            threads.append(("verify", threading.get_ident()))
            return real.verify(password_hash, password)

    monkeypatch.setattr(carnet.auth, "_current_hasher", Spy)
    (await register(api, "alice@example.test")).ok("userRegister")
    assert (await signed_in(api, "alice@example.test", NEW_PASSWORD)).token
    assert [kind for kind, _ in threads] == ["hash", "verify"]
    assert threading.get_ident() not in {thread for _, thread in threads}
