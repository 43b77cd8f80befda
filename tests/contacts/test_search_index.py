"""On PostgreSQL the search box is served by the trigram index of migration 0006: the SQL
the `contacts` query sends for a search uses `contact_search_trgm` on a big address book."""

import pytest
from tortoise import connections
from tortoise.backends.asyncpg.client import AsyncpgDBClient

from models.contacts import Contact
from tests.contacts.contact_flows import LIST, make_contact, names

PEOPLE = 20_000


def _postgres() -> bool:
    return connections.get("default").capabilities.dialect == "postgres"


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, list]]:
    """The (sql, parameters) of every query Tortoise sends to PostgreSQL."""
    statements: list[tuple[str, list]] = []
    original = AsyncpgDBClient.execute_query

    async def recording(self, query, values=None):
        statements.append((query, list(values or [])))
        return await original(self, query, values)

    monkeypatch.setattr(AsyncpgDBClient, "execute_query", recording)
    return statements


async def test_a_search_uses_the_trigram_index(api, world, sent):
    if not _postgres():
        pytest.skip("the trigram index exists on PostgreSQL only (SQLite scans with LIKE)")
    connection = connections.get("default")
    _, indexes = await connection.execute_query(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'contact_search_trgm'"
    )
    assert indexes and "gin_trgm_ops" in indexes[0]["indexdef"], "migration 0006 not applied"
    # One statement for the lot: folded names as the app writes them, md5 for variety.
    await connection.execute_query(
        """INSERT INTO contact (organization_id, kind, first_name, last_name, organization_name,
             sort_name, search_text, locale, address_line1, address_line2, city, region,
             postal_code, country, notes, source, do_not_contact, email_consent, sms_consent,
             created_at, updated_at)
           SELECT $1, 'PERSON', 'Person', md5(i::text), '', md5(i::text) || ', Person',
             'person ' || md5(i::text) || ' ' || md5((i * 7)::text) || '@example.test',
             'en', '', '', '', '', '', '', '', 'IMPORT', false, 'NOT_ASKED', 'NOT_ASKED',
             now(), now()
           FROM generate_series(1, $2) AS i""",
        [world.organization.id, PEOPLE],
    )
    await make_contact(world.organization, first_name="Marie", last_name="Dèsjardins")
    await make_contact(world.organization, first_name="Paul", last_name="Desjardins-Roy")
    # VACUUM too: it moves the new rows out of the GIN pending list and refreshes the
    # index statistics the planner costs it with (TRUNCATE between tests resets them).
    await connection.execute_script("VACUUM ANALYZE contact")
    assert await Contact.filter(organization_id=world.organization.id).count() == PEOPLE + 2

    sent.clear()
    result = await api.as_(world.viewer).execute(
        LIST, {"o": world.org_gid, "search": "DESJARDINS", "first": 50}
    )
    assert sorted(names(result)) == ["Marie Dèsjardins", "Paul Desjardins-Roy"]
    searches = [(sql, values) for sql, values in sent if "search_text" in sql.split("WHERE")[-1]]
    assert searches, sent
    sql, values = searches[0]
    assert "CAST" not in sql.split("WHERE")[-1], sql
    _, rows = await connection.execute_query(f"EXPLAIN {sql}", values)
    plan = "\n".join(row["QUERY PLAN"] for row in rows)
    print(plan)
    assert "Bitmap Index Scan on contact_search_trgm" in plan, plan
