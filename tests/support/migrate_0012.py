"""Run by tests/test_migrations.py in a process of its own (Tortoise's state is global):
migrates a fresh database to 0011, writes an import and exports with their files in the
`content` columns as they were then, migrates to the end, and prints the rows as JSON.

Usage: python -m tests.support.migrate_0012 DATABASE_URL VAR_DIR
"""

from __future__ import annotations

import asyncio
import json
import sys

from tortoise import Tortoise, connections
from tortoise.migrations.api.migrate import migrate

from carnet.db import tortoise_config
from carnet.settings import Environment, Settings, configure

IMPORT_CSV = "Prénom;Email\r\nZoé;zoe@example.test\r\n"
EXPORT_CSV = "Kind,First name\r\nPERSON,Zoé\r\n"


async def main(database_url: str, var_dir: str) -> None:
    settings = Settings(environment=Environment.TEST, var_dir=var_dir, database_url=database_url)
    configure(settings)
    config = tortoise_config(settings)
    await migrate(config=config, target="models.0011_contact_export_resume")
    await Tortoise.init(config=config)
    from models.organizations import Organization

    organization = await Organization.create(name="Old club")
    client = connections.get("default")
    slot = (lambda n: f"${n}") if client.capabilities.dialect == "postgres" else (lambda n: "?")
    now = "CURRENT_TIMESTAMP"
    await client.execute_query(
        "INSERT INTO contact_import (organization_id, status, filename, content, mapping, "
        "consent, on_existing, total_rows, processed_rows, created_count, updated_count, "
        "error_count, skipped_count, failure, created_at, updated_at) "
        f"VALUES ({slot(1)}, 'DONE', 'old.csv', {slot(2)}, '{{}}', '{{}}', 'FILL_BLANKS', "
        f"1, 1, 1, 0, 0, 0, '', {now}, {now})",
        [organization.id, IMPORT_CSV],
    )
    for content in (EXPORT_CSV, None):
        await client.execute_query(
            "INSERT INTO contact_export (organization_id, status, filters, row_count, content, "
            f"failure, created_at, updated_at) VALUES ({slot(1)}, 'DONE', '{{}}', 1, "
            f"{slot(2)}, '', {now}, {now})",
            [organization.id, content],
        )
    await Tortoise.close_connections()
    await migrate(config=config)
    await Tortoise.init(config=config)
    client = connections.get("default")
    found = {}
    for table in ("contact_import", "contact_export"):
        _, rows = await client.execute_query(f"SELECT * FROM {table} ORDER BY id")
        found[table] = [dict(row) for row in rows]
    await Tortoise.close_connections()
    print(json.dumps({"organization_id": organization.id, **found}, default=str))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
