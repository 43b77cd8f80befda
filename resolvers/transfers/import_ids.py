"""Contact ids taken before a chunk of an import inserts its new contacts."""

from __future__ import annotations

from models.contacts import Contact


async def new_contact_ids(count: int) -> list[int]:
    """`count` contact ids nobody else gets, in one statement, so a chunk builds its rows
    and everything that refers to them before inserting them all at once: PostgreSQL takes
    them from the table's sequence (an id taken and not used is a harmless gap); SQLite,
    which has one writer at a time, after the highest id it ever gave."""
    if count <= 0:
        return []
    db = Contact._meta.db
    table = Contact._meta.db_table
    if db.capabilities.dialect == "postgres":
        rows = await db.execute_query_dict(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id "
            "FROM generate_series(1, $1)",
            [count],
        )
        return sorted((row["id"] for row in rows), reverse=True)  # popped in ascending order
    rows = await db.execute_query_dict(
        f'SELECT MAX(COALESCE((SELECT MAX(id) FROM "{table}"), 0), COALESCE('
        f"(SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0)) AS top"
    )
    top = int(rows[0]["top"])
    return list(range(top + count, top, -1))
