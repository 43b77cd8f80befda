"""A trigram index for the contacts search box, on PostgreSQL only.

`contact.search_text` (folded names, email and phone digits) is matched with
`LIKE '%term%'` (resolvers/contacts/search.py); a GIN index with `gin_trgm_ops` serves it
for terms of three characters or more. SQLite, for development, keeps a plain scan.

Production: `CREATE EXTENSION pg_trgm` needs a superuser or, from PostgreSQL 13 on, a
database owner (pg_trgm is a trusted extension). Where the migrating role has neither, have
an administrator run `CREATE EXTENSION IF NOT EXISTS pg_trgm` in the database beforehand;
the `IF NOT EXISTS` here then does nothing. The index is built without CONCURRENTLY
(migrations run in a transaction): on a big live table, build it by hand beforehand with
`CREATE INDEX CONCURRENTLY contact_search_trgm ...` and this migration skips it.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

INDEX = "contact_search_trgm"


def _postgres(schema_editor) -> bool:
    return schema_editor.client.capabilities.dialect == "postgres"


async def _run(schema_editor, *statements: str) -> None:
    for sql in statements:
        if schema_editor.collect_sql:
            schema_editor.collected_sql.append(sql)
        else:
            await schema_editor.client.execute_script(sql)


async def create_index(apps, schema_editor) -> None:
    if _postgres(schema_editor):
        await _run(
            schema_editor,
            "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "contact" USING gin ("search_text" gin_trgm_ops)',
        )


async def drop_index(apps, schema_editor) -> None:
    # The extension stays: other objects may use it, and dropping it needs the same rights.
    if _postgres(schema_editor):
        await _run(schema_editor, f'DROP INDEX IF EXISTS "{INDEX}"')


class Migration(migrations.Migration):
    dependencies = [('models', '0005_custom_fields')]

    initial = False

    operations = [
        ops.RunPython(create_index, reverse_code=drop_index),
    ]
