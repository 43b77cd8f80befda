"""The test database is built by the migrations; they match the models exactly."""

from tortoise import Tortoise, connections
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.constraints import CheckConstraint, UniqueConstraint

from carnet.db import APP_LABEL, tortoise_config
from carnet.migrations import move_constraints


async def _unique_indexes(table: str) -> set[tuple[str, ...]]:
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        _, rows = await connection.execute_query(
            "SELECT array_agg(a.attname ORDER BY k.ord) AS cols "
            "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
            "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
            "WHERE t.relname = $1 AND i.indisunique GROUP BY i.indexrelid", [table])
        return {tuple(r["cols"]) for r in rows}
    _, indexes = await connection.execute_query(f'PRAGMA index_list("{table}")')
    found = set()
    for index in indexes:
        if index["unique"]:
            _, columns = await connection.execute_query(f'PRAGMA index_info("{index["name"]}")')
            found.add(tuple(c["name"] for c in columns))
    return found


async def _check_constraint_names(table: str) -> set[str]:
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        _, rows = await connection.execute_query(
            "SELECT conname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
            "WHERE t.relname = $1 AND c.contype = 'c'", [table])
        return {r["conname"] for r in rows}
    _, rows = await connection.execute_query(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table])
    sql = rows[0]["sql"]
    return {name for name in _declared_check_names() if f'"{name}"' in sql}


def _declared_check_names() -> set[str]:
    return {c.name for model in Tortoise.apps[APP_LABEL].values()
            for c in getattr(model._meta, "constraints", ()) if isinstance(c, CheckConstraint)}


async def test_every_declared_constraint_exists(app):
    for model in Tortoise.apps[APP_LABEL].values():
        table = model._meta.db_table
        uniques = await _unique_indexes(table)
        for name, field in model._meta.fields_map.items():
            if field.unique and not field.pk and getattr(field, "source_field", None) is None:
                column = model._meta.fields_db_projection[name]
                assert (column,) in uniques, f"{table}.{column} is not unique in the database"
        for fields in model._meta.unique_together:
            columns = tuple(model._meta.fields_db_projection.get(f, f) for f in fields)
            assert columns in uniques, f"{table} lacks unique_together {columns}"
        checks = await _check_constraint_names(table)
        for constraint in getattr(model._meta, "constraints", ()):
            if isinstance(constraint, UniqueConstraint):
                assert tuple(constraint.fields) in uniques, f"{table} lacks {constraint.name}"
            else:
                assert constraint.name in checks, f"{table} lacks check {constraint.name}"


async def test_the_email_check_constraint_is_enforced(app):
    from tortoise.exceptions import IntegrityError

    from models.identity import User

    try:
        await User.create(email="Mixed@Case.test", password_hash="x")
    except IntegrityError:
        return
    raise AssertionError("an upper-case email was stored")


async def test_no_model_change_lacks_a_migration(settings):
    config = tortoise_config(settings)
    apps = config["apps"]
    detector = MigrationAutodetector(Tortoise.apps, apps)
    writers = await detector.changes()
    assert not writers, "model changes without a migration: run `carnet makemigrations`"


def test_constraints_move_out_of_create_model():
    unique = "UniqueConstraint(fields=('a', 'b'), name='u')"
    check = "CheckConstraint(check='a > 0', name='c')"
    options = f"{{'table': 'thing', 'constraints': [{unique}, {check}], 'pk_attr': 'id'}}"
    source = (
        "class Migration:\n"
        "    operations = [\n"
        "        ops.CreateModel(\n"
        "            name='Thing',\n"
        "            fields=[],\n"
        f"            options={options},\n"
        "        ),\n"
        "    ]\n"
    )
    result = move_constraints(source)
    assert "'constraints'" not in result
    assert f"ops.AddConstraint(model_name='Thing', constraint={unique})" in result
    assert f"ops.AddConstraint(model_name='Thing', constraint={check})" in result
    compile(result, "migration", "exec")


async def test_text_answers_are_backfilled_with_their_folded_text(world):
    """Migration 0009 fills `search_text` of text answers written before it existed."""
    from importlib import import_module
    from types import SimpleNamespace

    from models.contacts import Contact
    from models.custom_fields import CustomFieldAnswer, CustomFieldType
    from tests.custom_fields_authz_examples import a_fresh_field

    migration = import_module("models.migrations.0009_custom_field_answer_search_text")
    text = await a_fresh_field(world, type=CustomFieldType.TEXT)
    number = await a_fresh_field(world, type=CustomFieldType.NUMBER)
    contact = await Contact.create(organization=world.organization, first_name="Zoé")
    old = await CustomFieldAnswer.create(
        contact=contact, field=text, content={"value": "Élève  en SOINS"}
    )
    count = await CustomFieldAnswer.create(contact=contact, field=number, content={"value": 3})
    editor = SimpleNamespace(collect_sql=False, client=connections.get("default"))
    await migration.backfill(None, editor)
    await old.refresh_from_db()
    await count.refresh_from_db()
    assert (old.search_text, count.search_text) == ("eleve en soins", "")


async def test_files_in_rows_before_0012_end_up_in_storage(services, tmp_path):
    """Migration 0012 moves each import's and export's `content` into file storage, keeps
    the key, and drops the columns. Run in a process of its own on a fresh database."""
    import asyncio
    import json
    import sys
    from urllib.parse import urlsplit, urlunsplit

    import asyncpg

    from carnet.storage.local import LocalStorage
    from tests.support import migrate_0012

    url = f"sqlite://{tmp_path / 'old.sqlite3'}"
    if services.is_postgres:
        name = f"{services.database_name}_0012"
        dsn = services.postgres_admin_url.replace("postgres://", "postgresql://", 1)
        admin = await asyncpg.connect(dsn)
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = urlunsplit(urlsplit(services.postgres_admin_url)._replace(path=f"/{name}"))
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.support.migrate_0012",
            url,
            str(tmp_path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()[-3000:]
    finally:
        if services.is_postgres:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
    found = json.loads(out.decode().strip().splitlines()[-1])
    storage = LocalStorage(tmp_path / "files")
    [imported] = found["contact_import"]
    exported, never_built = found["contact_export"]
    assert "content" not in imported and "content" not in exported
    org = found["organization_id"]
    assert imported["file_key"].startswith(f"org/{org}/contact-imports/")
    assert exported["file_key"].startswith(f"org/{org}/contact-exports/")
    assert await storage.read(imported["file_key"]) == migrate_0012.IMPORT_CSV.encode()
    assert await storage.read(exported["file_key"]) == migrate_0012.EXPORT_CSV.encode()
    assert never_built["file_key"] is None
