"""No live one-time token at rest: whoever reads a copy of the database cannot take over an
invitation, reset a password or move a login.

Production-like settings (the `smtp` backend, `CARNET_ENVIRONMENT=production`): the links
are known to the test only because it receives the mails, as the people they are for do.
Then every text column of every table (found through the database's catalog, so a column
added later is scanned too) is searched for each of them.
"""

from __future__ import annotations

from tortoise import connections

from carnet.auth import token_digest
from carnet.settings import Environment
from models.identity import OneTimeToken
from tests.identity.flows import (
    EMAIL_CHANGE_CONFIRM,
    NEW_PASSWORD,
    RESET_REQUEST,
    VERIFY,
    register,
    request_change,
    signed_in,
)
from tests.staff.flows import STAFF_ADD, add_input
from tests.support.mail import received, tokens_in
from tests.support.worker import run_worker

ALICE = "alice@example.com"
INVITEE = "ivy@example.com"

# The catalog's names for text-bearing column types (SQLite reports the declared type).
_POSTGRES_TEXT = ("text", "character varying", "character", "json", "jsonb")
_SQLITE_TEXT = ("TEXT", "VARCHAR", "CHAR", "JSON", "CLOB")


async def text_columns() -> list[tuple[str, str]]:
    """(table, column) for every text, varchar and JSON column of the database."""
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        _, rows = await connection.execute_query(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema()"
        )
        text = [r for r in rows if r["data_type"] in _POSTGRES_TEXT]
        return [(r["table_name"], r["column_name"]) for r in text]
    _, tables = await connection.execute_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    found = []
    for table in (t["name"] for t in tables):
        _, columns = await connection.execute_query(f'PRAGMA table_info("{table}")')
        found += [
            (table, c["name"]) for c in columns if c["type"].upper().startswith(_SQLITE_TEXT)
        ]
    return found


async def where_found(needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for each needle that some row's column contains."""
    connection = connections.get("default")
    hits = []
    for table, column in await text_columns():
        _, rows = await connection.execute_query(f'SELECT "{column}" AS v FROM "{table}"')
        values = [str(r["v"]) for r in rows if r["v"] is not None]
        hits += [(table, column, n) for n in needles if any(n in v for v in values)]
    return hits


async def test_no_mailed_token_is_stored_anywhere(api, world, settings, use_smtp, smtp):
    settings = use_smtp(
        environment=Environment.PRODUCTION,
        secret_key="a production secret key, not the development one",
        redis_url=settings.effective_redis_url,  # production refuses the embedded default
    )
    await the_flows(api, world, settings, smtp)
    mailed = [token for message in smtp.messages for token in tokens_in(message)]
    # Verification, reset, invitation, change, its undo, and a second change still pending.
    assert len(mailed) == 6, [m["Subject"] for m in smtp.messages]

    assert await where_found(mailed) == []
    # The scan sees what is there: the login's address, and each link's digest.
    assert ("user", "email", "alice.new@") in await where_found(["alice.new@"])
    digests = [token_digest(token) for token in mailed]
    assert {(t, c) for t, c, _ in await where_found(digests)} == {("one_time_token", "token_hash")}
    assert len(await where_found(digests)) == len(mailed)
    # Four are neither used nor revoked: the reset, the invitation, the undo, the change.
    live = OneTimeToken.filter(token_hash__in=digests, used_at=None, revoked_at=None)
    assert await live.count() == 4


async def the_flows(api, world, settings, smtp) -> None:
    """Register and verify, ask for a reset, invite a colleague, change the login email
    (confirmed, so the old address gets its undo link) and ask for another change."""
    (await register(api, ALICE)).ok("userRegister")
    await run_worker(settings)
    [verification] = tokens_in(received(smtp, ALICE, "confirm")[-1])
    (await api.execute(VERIFY, {"input": {"token": verification}})).ok("emailVerify")

    (await api.execute(RESET_REQUEST, {"input": {"email": ALICE}})).ok("passwordResetRequest")
    (await api.as_(world.admin).execute(STAFF_ADD, add_input(world, INVITEE))).ok("staffAdd")
    alice = await signed_in(api, ALICE, NEW_PASSWORD)
    (await request_change(api, alice, "alice.new@example.com", NEW_PASSWORD)).ok(
        "emailChangeRequest"
    )
    await run_worker(settings)
    [change] = tokens_in(received(smtp, "alice.new@example.com")[-1])
    (await api.execute(EMAIL_CHANGE_CONFIRM, {"input": {"token": change}})).ok(
        "emailChangeConfirm"
    )
    (await request_change(api, alice, "alice.third@example.com", NEW_PASSWORD)).ok(
        "emailChangeRequest"
    )
    await run_worker(settings)
