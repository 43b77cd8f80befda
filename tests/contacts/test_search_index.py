"""On PostgreSQL, the contacts list is served by indexes: a search by the trigram index of
migration 0006, the default name order (first page and pages after a cursor) by the partial
index of migration 0010, checked on the plans of the SQL the `contacts` query sends."""

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


async def big_address_book(world) -> None:
    connection = connections.get("default")
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


async def _plan(sql: str, values: list) -> str:
    _, rows = await connections.get("default").execute_query(f"EXPLAIN {sql}", values)
    return "\n".join(row["QUERY PLAN"] for row in rows)


async def test_a_search_uses_the_trigram_index(api, world, sent):
    if not _postgres():
        pytest.skip("the trigram index exists on PostgreSQL only (SQLite scans with LIKE)")
    connection = connections.get("default")
    _, indexes = await connection.execute_query(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'contact_search_trgm'"
    )
    assert indexes and "gin_trgm_ops" in indexes[0]["indexdef"], "migration 0006 not applied"
    await big_address_book(world)

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


async def test_pages_by_name_read_the_live_name_index_and_searches_do_not(api, world, sent):
    """Migration 0010: the default order comes from `contact_live_name` (no sort of every
    live contact), a cursor starts the index scan where the page begins, and a search is
    found by its trigrams, then sorted, rather than by walking the name order."""
    if not _postgres():
        pytest.skip("plans are PostgreSQL's; SQLite has the same index but its own planner")
    await big_address_book(world)
    viewer = api.as_(world.viewer)

    def page_queries() -> list[tuple[str, list]]:
        return [(sql, v) for sql, v in sent if "ORDER BY" in sql and '"sort_name"' in sql]

    sent.clear()
    first = await viewer.execute(LIST, {"o": world.org_gid, "first": 50})
    assert len(names(first)) == 50
    plan = await _plan(*page_queries()[0])
    assert "contact_live_name" in plan and "Sort" not in plan, plan

    sent.clear()
    cursor = first.data["contacts"]["pageInfo"]["endCursor"]
    second = await viewer.execute(LIST, {"o": world.org_gid, "first": 50, "after": cursor})
    assert not set(names(second)) & set(names(first))
    sql, values = page_queries()[0]
    assert '("sort_name","id")>($2,$3)' in sql, sql
    plan = await _plan(sql, values)
    assert "contact_live_name" in plan and "Index Cond" in plan and "Sort" not in plan, plan

    sent.clear()
    searched = await viewer.execute(LIST, {"o": world.org_gid, "first": 50, "search": "person"})
    assert len(names(searched)) == 50
    plan = await _plan(*page_queries()[0])
    assert "contact_live_name" not in plan, plan
