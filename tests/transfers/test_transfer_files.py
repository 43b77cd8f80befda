"""Import and export files live in file storage (carnet.storage), never in a row: lists and
reads load no file, uploads and export rounds write there, downloads stream from there."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from pydantic import SecretStr

from carnet.statements import count_statements
from carnet.storage import current_storage
from carnet.storage.s3 import S3Storage
from models.tasks import Task
from models.transfers import ContactExport, ContactImport, TransferStatus
from resolvers.bulk import chunks
from resolvers.common.tasks import give_up
from resolvers.common.time import now
from resolvers.transfers import export_downloads, exports
from schema import ids
from tests.contacts.contact_flows import make_contact
from tests.support.files import stored_text
from tests.support.s3 import KEYS, REGION
from tests.support.worker import run_worker
from tests.transfers.test_export import _small_batches, ask, link_for, path_of, rows_of
from tests.transfers.test_import import upload

CP1252_CSV = "First name,Email\r\nZoé,zoe@example.test\r\nRené,rene@example.test\r\n"
READS = [
    """query($o: ID!) { contactImports(organizationId: $o, first: 100) {
      edges { node { id filename status totalRows processedRows createdBy { email } } } } }""",
    """query($o: ID!) { contactExports(organizationId: $o, first: 100) {
      edges { node { id status rowCount downloadable expiresAt } } } }""",
]
ONE_IMPORT = """query($id: ID!) { contactImport(id: $id) { id filename status totalRows
  columns { column field } ignoredColumns rowErrors(first: 10) { edges { node { row } } } } }"""
ONE_EXPORT = """query($id: ID!) { contactExport(id: $id) { id status rowCount downloadable
  downloadUrl expiresAt linkExpiresAt finishedAt failure } }"""
NODE = """query($id: ID!) { node(id: $id) { id
  ... on ContactImport { filename totalRows } ... on ContactExport { rowCount } } }"""


def _files(settings) -> list[str]:
    root = settings.var_dir / "files"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


class _Spy:
    """Counts every call that reads from storage, and the bytes read."""

    def __init__(self, monkeypatch):
        self.calls: list[str] = []
        self.bytes_read = 0
        storage = current_storage()
        for name in ("open", "read", "size", "exists", "signed_url"):
            monkeypatch.setattr(storage, name, self._wrap(name, getattr(storage, name)))

    def _wrap(self, name, method):
        if name != "open":

            async def counted(*args, **kwargs):
                self.calls.append(name)
                return await method(*args, **kwargs)

            return counted

        async def streamed(*args, **kwargs):
            self.calls.append(name)
            async for chunk in method(*args, **kwargs):
                self.bytes_read += len(chunk)
                yield chunk

        return streamed


async def test_an_upload_is_stored_as_utf8_under_its_organization(api, world, settings):
    before = _files(settings)
    result = await upload(
        api, world.admin, world, CP1252_CSV.encode("cp1252"), encoding="WINDOWS_1252"
    )
    started = result.ok("contactsImport")["contactImport"]
    row = await ContactImport.get(id=ids.decode(started["id"])[1])
    assert row.file_key.startswith(f"org/{world.organization.id}/contact-imports/")
    assert "contacts" not in row.file_key  # the key is Carnet's, not the upload's name
    assert await stored_text(row.file_key) == CP1252_CSV
    assert _files(settings) == sorted([*before, row.file_key])
    await run_worker(settings)
    read = await api.as_(world.admin).execute(ONE_IMPORT, {"id": started["id"]})
    assert read.data["contactImport"]["status"] == "DONE"
    assert await world.organization.contacts.all().count() == 2


async def test_a_refused_or_unrecorded_upload_stores_nothing(api, world, settings, monkeypatch):
    before = _files(settings)
    refused = await upload(api, world.admin, world, "Foo,Bar\n1,2\n")
    assert refused.payload_codes("contactsImport") == ["REQUIRED"]

    async def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(ContactImport, "create", broken)
    failed = await upload(api, world.admin, world, "Email\nzoe@example.test\n")
    assert failed.errors  # an internal error, and the file stored for it is deleted again
    assert _files(settings) == before
    assert await ContactImport.all().count() == 0


async def test_lists_nodes_and_reads_never_load_a_file(api, world, settings, monkeypatch):
    await make_contact(world.organization, first_name="Zoé", last_name="Roy")
    for _ in range(2):
        await upload(api, world.admin, world, "Email\nzoe@example.test\n")
        await ask(api, world)
    await run_worker(settings)
    import_ids = [ids.encode("ContactImport", i.id) for i in await ContactImport.all()]
    export_ids = [ids.encode("ContactExport", e.id) for e in await ContactExport.all()]
    spy = _Spy(monkeypatch)
    member = api.as_(world.admin)
    with count_statements() as statements:
        for query in READS:
            result = await member.execute(query, {"o": world.org_gid})
            assert not result.errors, result.errors
        for pk in import_ids:
            assert (await member.execute(ONE_IMPORT, {"id": pk})).data["contactImport"]
        for pk in export_ids:
            exported = (await member.execute(ONE_EXPORT, {"id": pk})).data["contactExport"]
            assert exported["downloadable"] is True
        for pk in import_ids + export_ids:
            assert (await member.execute(NODE, {"id": pk})).data["node"]["id"] == pk
    assert (spy.calls, spy.bytes_read) == ([], 0)
    transfers = [s for s in statements if "contact_import" in s or "contact_export" in s]
    assert transfers and not [s for s in transfers if "content" in s]


async def test_an_export_appends_chunks_and_downloads_streamed(
    api, client, world, settings, monkeypatch
):
    for i in range(25):
        await make_contact(world.organization, first_name=f"P{i:02}", last_name="Roy")
    monkeypatch.setattr(settings, "bulk_chunk_size", 10)
    export = await ask(api, world)
    await run_worker(settings)
    stored = await ContactExport.get(id=ids.decode(export["id"])[1])
    assert (stored.status, stored.row_count) == (TransferStatus.DONE, 25)
    parts = [p for p in _files(settings) if p.startswith(stored.file_key + ".parts/")]
    assert len(parts) == 4  # the header, then one per chunk; none rewritten whole
    spy = _Spy(monkeypatch)
    response = await client.get(path_of(await link_for(api, world.admin, export["id"])))
    assert response.status_code == 200
    header, *rows = rows_of(response.content)
    assert [row[header.index("First name")] for row in rows] == [f"P{i:02}" for i in range(25)]
    assert int(response.headers["content-length"]) == len(response.content)
    assert spy.bytes_read == len(response.content) - 3  # the file, plus the BOM
    assert spy.calls == ["size", "open"]  # streamed: never `read` whole into memory


@pytest.mark.parametrize("how", ["given up", "no longer allowed"])
async def test_a_failed_export_keeps_no_file(api, world, settings, monkeypatch, how):
    for i in range(15):
        await make_contact(world.organization, first_name=f"P{i:02}", last_name="Roy")
    monkeypatch.setattr(settings, "bulk_chunk_size", 10)
    export = await ask(api, world)
    pk = ids.decode(export["id"])[1]
    await exports.build(pk)  # the start, by hand: the header
    stored = await ContactExport.get(id=pk)
    await chunks.run_chunk(stored.operation_id, 1)  # the first chunk, by hand: 10 rows
    key = stored.file_key
    assert (await stored_text(key)).count("\r\n") == 11
    if how == "given up":
        task = await Task.filter(function="bulk_chunk").order_by("-id").first()
        await give_up(task, "boom")  # the next chunk's task
    else:
        await world.admin.membership.delete()
        await run_worker(settings)
    failed = await ContactExport.get(id=pk)
    assert (failed.status, failed.file_key) == (TransferStatus.FAILED, None)
    assert await stored_text(key) is None


async def test_imports_and_exports_run_on_an_s3_bucket(
    api, client, world, settings, monkeypatch, s3_server
):
    """The same flows with CARNET_STORAGE_URL=s3://…: upload, import job, export chunks,
    streamed download, and the retention job's delete, against the S3 server."""
    bucket = f"carnet-{uuid.uuid4().hex[:12]}"
    await s3_server.create_bucket(bucket)
    for name, value in {
        "storage_url": f"s3://{bucket}/files",
        "storage_s3_endpoint_url": s3_server.endpoint_url,
        "storage_s3_region": REGION,
        "storage_s3_access_key_id": KEYS["access_key_id"],
        "storage_s3_secret_access_key": SecretStr(KEYS["secret_access_key"]),
        "storage_s3_addressing_style": "path",
    }.items():
        monkeypatch.setattr(settings, name, value)
    assert isinstance(current_storage(), S3Storage)
    local_before = _files(settings)
    monkeypatch.setattr(exports, "write_records", _small_batches(1))
    # Built before anything is imported: it finds no one. (Not left to race the import's
    # job in one worker run: which finishes first is the worker's business.)
    export = await ask(api, world)
    await run_worker(settings)
    await upload(api, world.admin, world, "First name,Email\nZoé,zoe@example.test\n")
    await run_worker(settings)
    assert await world.organization.contacts.all().count() == 1
    second = await ask(api, world)
    await run_worker(settings)
    response = await client.get(path_of(await link_for(api, world.admin, second["id"])))
    header, *rows = rows_of(response.content)
    assert [row[header.index("Email")] for row in rows] == ["zoe@example.test"]
    first = await ContactExport.get(id=ids.decode(export["id"])[1])
    assert first.row_count == 0 and await current_storage().exists(first.file_key)
    week_ago = now() - timedelta(days=settings.export_retention_days, minutes=1)
    await ContactExport.filter(id=first.id).update(finished_at=week_ago)
    assert await export_downloads.purge_files(settings) == 1
    assert not await current_storage().exists(first.file_key)
    assert _files(settings) == local_before  # nothing went to the local disk
