"""Import and export files move out of the database into file storage (carnet.storage).

Each row's `content` is written to the storage backend of the settings in force
(`carnet.settings.current_settings()`, which `carnet migrate` sets), its key kept in
`file_key`, then the `content` columns are dropped: lists and reads of these rows then
load no file. An import's text is stored as UTF-8; an export's CSV becomes part 0 of a
file in parts, so an export still RUNNING carries on appending rounds after it.
Rows are moved in batches, and a row already moved (a migration run again after a crash)
is skipped.
"""

import secrets

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

BATCH = 500


def _key(organization_id: int, kind: str) -> str:
    # A frozen copy of carnet.storage.new_key's format.
    return f"org/{int(organization_id)}/{kind}/{secrets.token_hex(16)}.csv"


async def _move(client, storage, table: str, kind: str, in_parts: bool) -> None:
    slot = "$1" if client.capabilities.dialect == "postgres" else "?"
    other = "$2" if slot == "$1" else "?"
    last = 0
    while True:
        _, rows = await client.execute_query(
            f"SELECT id, organization_id FROM {table} "
            f"WHERE content IS NOT NULL AND file_key IS NULL AND id > {int(last)} "
            f"ORDER BY id LIMIT {BATCH}"
        )
        if not rows:
            return
        for row in rows:
            # One file in memory at a time: a file may be tens of megabytes.
            _, found = await client.execute_query(
                f"SELECT content FROM {table} WHERE id = {slot}", [row["id"]]
            )
            key = _key(row["organization_id"], kind)
            data = found[0]["content"].encode("utf-8")
            if in_parts:
                await storage.put_part(key, 0, data)
            else:
                await storage.put(key, data)
            await client.execute_query(
                f"UPDATE {table} SET file_key = {slot} WHERE id = {other}", [key, row["id"]]
            )
        last = rows[-1]["id"]


async def move_files(apps, schema_editor) -> None:
    if schema_editor.collect_sql:
        return
    # The backend is deployment configuration, not schema: read it as the app does.
    from carnet.settings import current_settings
    from carnet.storage import storage_for

    storage = storage_for(current_settings())
    client = schema_editor.client
    await _move(client, storage, "contact_import", "contact-imports", in_parts=False)
    await _move(client, storage, "contact_export", "contact-exports", in_parts=True)


async def nothing(apps, schema_editor) -> None:
    return None


class Migration(migrations.Migration):
    dependencies = [("models", "0011_contact_export_resume")]

    initial = False

    operations = [
        ops.AddField(
            model_name="ContactImport",
            name="file_key",
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AddField(
            model_name="ContactExport",
            name="file_key",
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.RunPython(move_files, nothing),
        ops.RemoveField(model_name="ContactImport", name="content"),
        ops.RemoveField(model_name="ContactExport", name="content"),
    ]
