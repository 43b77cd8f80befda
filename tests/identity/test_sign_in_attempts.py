"""Failed sign-ins and lockouts: in the account owner's history (`mySignInAttempts`), nobody
else's, and in the operators' log, which never holds a password nor an unknown address."""

import logging
from datetime import timedelta

from jobs.maintenance import purge_sign_in_attempts
from models.identity import SignInAttempt
from resolvers.common.time import now
from schema import ids
from tests.identity.flows import request_change, sign_in
from tests.identity.test_throttling import WRONG, assert_rate_limited, fail
from tests.support.world import PASSWORD

MY_ATTEMPTS = """query($first: Int, $after: String) {
  mySignInAttempts(first: $first, after: $after) {
    totalCount
    edges { node { id outcome step ipAddress device createdAt lockedUntil } }
    pageInfo { hasNextPage endCursor } } }"""

NODE = "query($id: ID!) { node(id: $id) { id ... on SignInAttempt { outcome } } }"


async def history(api, who, **variables) -> dict:
    result = await api.as_(who).execute(MY_ATTEMPTS, variables)
    assert not result.errors, result.errors
    return result.data["mySignInAttempts"]


def nodes(connection: dict) -> list[dict]:
    return [edge["node"] for edge in connection["edges"]]


async def test_wrong_passwords_are_in_the_owners_history(api, api_elsewhere, world):
    await fail(api.with_headers(**{"user-agent": "Curious/1.0"}), "loner@example.test", 1)
    await fail(api_elsewhere, "loner@example.test", 1)

    found = await history(api, world.loner)
    assert found["totalCount"] == 2
    newest, oldest = nodes(found)
    assert (newest["outcome"], newest["step"], newest["ipAddress"]) == (
        "WRONG_PASSWORD",
        "SIGN_IN",
        "203.0.113.7",
    )
    assert (oldest["ipAddress"], oldest["device"]) == ("127.0.0.1", "Curious/1.0")
    assert newest["lockedUntil"] is None and newest["createdAt"]
    # A right password is no failure, and other users' failures are not mine.
    assert (await sign_in(api, "loner@example.test", PASSWORD)).ok("tokenCreate")
    await fail(api, "owner@alpha.test", 1)
    assert (await history(api, world.loner))["totalCount"] == 2


async def test_a_lockout_is_noted_once_per_client(api, world, settings):
    await fail(api, "loner@example.test", settings.login_max_failures)
    for _ in range(3):
        retry_after = assert_rate_limited(
            await sign_in(api, "loner@example.test", PASSWORD), settings
        )

    found = nodes(await history(api, world.loner, first=50))
    outcomes = [n["outcome"] for n in found]
    assert outcomes == ["LOCKED_OUT"] + ["WRONG_PASSWORD"] * settings.login_max_failures
    locked_until = found[0]["lockedUntil"]
    assert locked_until > found[0]["createdAt"]
    assert retry_after <= settings.login_failure_window_seconds


async def test_a_wrong_password_asked_again_is_in_the_history(api, world):
    result = await request_change(api, world.loner, "elsewhere@example.test", WRONG)
    assert result.payload_codes("emailChangeRequest") == ["INVALID_CREDENTIALS"]
    (attempt,) = nodes(await history(api, world.loner))
    assert (attempt["outcome"], attempt["step"]) == ("WRONG_PASSWORD", "PASSWORD_CONFIRMATION")


async def test_nobody_else_reads_a_users_history(api, world):
    await fail(api, "loner@example.test", 1)
    (attempt,) = nodes(await history(api, world.loner))

    assert (await history(api, world.owner))["totalCount"] == 0
    assert (await api.as_(world.owner).execute(NODE, {"id": attempt["id"]})).data["node"] is None
    own = await api.as_(world.loner).execute(NODE, {"id": attempt["id"]})
    assert own.data["node"] == {"id": attempt["id"], "outcome": "WRONG_PASSWORD"}
    anonymous = await api.execute(MY_ATTEMPTS)
    assert anonymous.error_codes == ["UNAUTHENTICATED"]


async def test_the_history_pages(api, world):
    await fail(api, "loner@example.test", 3)
    first = await history(api, world.loner, first=2)
    assert len(first["edges"]) == 2 and first["pageInfo"]["hasNextPage"]
    rest = await history(api, world.loner, first=2, after=first["pageInfo"]["endCursor"])
    assert len(rest["edges"]) == 1 and not rest["pageInfo"]["hasNextPage"]
    seen = [n["id"] for n in nodes(first) + nodes(rest)]
    assert [ids.decode(i)[0] for i in seen] == ["SignInAttempt"] * 3
    assert len(set(seen)) == 3


async def test_old_attempts_are_purged_by_the_maintenance_cron(api, world, settings):
    await fail(api, "loner@example.test", 2)
    old = await SignInAttempt.filter(user_id=world.loner.user.id).order_by("id").first()
    retention = timedelta(days=settings.sign_in_attempt_retention_days)
    await SignInAttempt.filter(id=old.id).update(created_at=now() - retention - timedelta(hours=1))

    assert await purge_sign_in_attempts({"settings": settings}) == 1
    (kept,) = nodes(await history(api, world.loner))
    assert ids.decode(kept["id"]) == ("SignInAttempt", old.id + 1)
    assert await purge_sign_in_attempts({"settings": settings}) == 0


def sign_in_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "carnet.sign_in"]


async def test_operators_read_failures_and_lockouts_in_the_log(api, world, settings, caplog):
    caplog.set_level(logging.INFO, logger="carnet.sign_in")
    await fail(api, "loner@example.test", settings.login_max_failures)
    assert_rate_limited(await sign_in(api, "LONER@example.test", PASSWORD), settings)

    records = sign_in_records(caplog)
    assert [r.outcome for r in records] == ["WRONG_PASSWORD"] * settings.login_max_failures + [
        "LOCKED_OUT"
    ]
    assert {r.user_id for r in records} == {world.loner.user.id}
    assert {r.client_address for r in records} == {"127.0.0.1"}
    assert records[-1].levelno == logging.WARNING and records[-1].retry_after > 0
    assert len({r.email_hash for r in records}) == 1
    for record in records:
        assert str(world.loner.user.id) in record.getMessage()
        text = f"{record.getMessage()} {record.__dict__}"
        assert PASSWORD not in text and WRONG not in text
        assert "loner@example.test" not in text.lower()


async def test_an_unknown_address_is_logged_only_as_a_hash(api, world, caplog):
    caplog.set_level(logging.INFO, logger="carnet.sign_in")
    await fail(api, "nobody@example.test", 1)
    await fail(api, "somebody@example.test", 1)

    first, second = sign_in_records(caplog)
    assert (first.outcome, first.user_id, first.client_address) == (
        "NO_SUCH_USER",
        None,
        "127.0.0.1",
    )
    assert first.email_hash != second.email_hash
    for record in (first, second):
        text = f"{record.getMessage()} {record.__dict__}"
        assert "nobody" not in text and "somebody" not in text and WRONG not in text
    assert await SignInAttempt.all().count() == 0
