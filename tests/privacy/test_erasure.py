"""personErase: after erasure no text column of any table holds the person's names,
email or phone; the ledger's totals and statements are exactly as before; deliveries are
still counted; consent keeps only the proof of withdrawal. Refusals write nothing."""

from __future__ import annotations

import json

from tortoise import connections

from models.audit import AuditEvent
from models.contacts import ConsentRecord, ConsentStatus, Contact
from models.message_sends import Delivery
from models.privacy import PrivacyRequest
from schema import ids
from tests.billing.flows import STATEMENT
from tests.privacy.people import EMAIL, FIRST, LAST, PHONE, a_person_everywhere
from tests.support.contacts import gid, new_contact
from tests.test_authorization import database_state

ERRORS = "errors { code field message }"
ERASE = f"""mutation($c: ID!, $r: String!) {{ personErase(input: {{contactId: $c, reason: $r}}) {{
  request {{ id kind status }} {ERRORS} }} }}"""
PRIMARY = f"""mutation($a: ID!, $l: ID!) {{ clientAccountPrimaryChange(input:
  {{accountId: $a, accountContactId: $l}}) {{ {ERRORS} }} }}"""
PERIOD = {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}
NEEDLES = [FIRST.lower(), LAST.lower(), EMAIL.lower(), PHONE, PHONE.lstrip("+"), "zephyrine"]


async def text_hits(skip: set[tuple[str, int]]) -> list[str]:
    """Every (table, column, id) whose text holds one of the person's names, email, phone."""
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        _, rows = await connection.execute_query(
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
        )
    else:
        _, rows = await connection.execute_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    hits = []
    for table in sorted(r["name"] for r in rows):
        _, content = await connection.execute_query(f'SELECT * FROM "{table}"')
        for row in content:
            row = dict(row)
            if (table, row.get("id")) in skip:
                continue
            for column, value in row.items():
                if isinstance(value, (dict, list)):
                    value = json.dumps(value, ensure_ascii=False)
                if not isinstance(value, str):
                    continue
                lowered = value.lower()
                if any(needle in lowered for needle in NEEDLES):
                    hits.append(f"{table}.{column} (id {row.get('id')}): {value[:80]}")
    return hits


async def _statement(api, world, account) -> dict:
    gid_ = ids.encode("ClientAccount", account.id)
    result = await api.as_(world.billing_admin).execute(STATEMENT, {"a": gid_, **PERIOD})
    return result.data["statement"]


async def test_erasure_leaves_no_trace_and_the_ledger_balances(api, world, password_hash):
    subject = await a_person_everywhere(api, world, password_hash)
    before_statement = await _statement(api, world, subject.account)
    deliveries = await Delivery.filter(organization_id=world.organization.id).count()

    # The account's primary first: refused, nothing written.
    state = await database_state()
    refused = await api.as_(world.admin).execute(ERASE, {"c": subject.gid, "r": "request 42"})
    assert refused.payload_codes("personErase") == ["PRIMARY_REQUIRED"]
    assert await database_state() == state
    moved = await api.as_(world.admin).execute(
        PRIMARY,
        {
            "a": ids.encode("ClientAccount", subject.account.id),
            "l": ids.encode("AccountContact", subject.holder_link.id),
        },
    )
    assert not moved.payload("clientAccountPrimaryChange")["errors"]

    erased = await api.as_(world.admin).execute(ERASE, {"c": subject.gid, "r": "request 42"})
    request = erased.ok("personErase")["request"]
    assert request["kind"] == "ERASURE" and request["status"] == "DONE"

    # No text anywhere names them, but their login (global: erased by myAccountDelete).
    hits = await text_hits({("user", subject.user.id)})
    assert not hits, "\n".join(hits)
    # The ledger and statements are as before; the account still has its member (pseudonym).
    assert await _statement(api, world, subject.account) == before_statement
    contact = await Contact.get(id=subject.contact.id)
    assert contact.sort_name.startswith("Erased person ")
    assert await Delivery.filter(organization_id=world.organization.id).count() == deliveries
    statuses = set(
        await ConsentRecord.filter(contact_id=contact.id).values_list("status", flat=True)
    )
    assert statuses == {ConsentStatus.WITHDRAWN}
    event = await AuditEvent.get(action="privacy.erase")
    assert event.after == {"request": ids.decode(request["id"])[1], "reason": "request 42"}

    # Twice: refused, nothing written.
    state = await database_state()
    again = await api.as_(world.admin).execute(
        ERASE, {"c": subject.gid, "r": "request 42"}, **{"accept-language": "fr"}
    )
    error = again.payload("personErase")["errors"][0]
    assert error["code"] == "ALREADY_ERASED" and "déjà" in error["message"]
    assert await database_state() == state


async def test_another_organizations_contact_is_not_found(api, world):
    theirs = await new_contact(world.other_organization)
    result = await api.as_(world.owner).execute(ERASE, {"c": gid(theirs), "r": "asked"})
    assert result.payload_codes("personErase") == ["NOT_FOUND"]
    refused = await api.as_(world.agent).execute(
        ERASE, {"c": gid(await new_contact(world.organization)), "r": "asked"}
    )
    assert refused.error_codes == ["FORBIDDEN"]
    blank = await api.as_(world.owner).execute(
        ERASE, {"c": gid(await new_contact(world.organization)), "r": "  "}
    )
    assert blank.payload_codes("personErase") == ["REQUIRED"]
    assert await PrivacyRequest.all().count() == 0
