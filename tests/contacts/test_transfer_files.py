"""Import and export files live in file storage (carnet.storage), never in a row: lists and
reads load no file, uploads and export rounds write there, downloads stream from there."""

from __future__ import annotations

import pytest

from carnet.statements import count_statements
from carnet.storage import current_storage
from models.contact_transfers import ContactExport, ContactImport, TransferStatus
from models.tasks import Task
from resolvers.common.tasks import give_up
from resolvers.contacts import exports
from schema import ids
from tests.contacts.contact_flows import make_contact
from tests.contacts.test_export import _small_batches, ask, link_for, path_of, rows_of
from tests.contacts.test_import import upload
from tests.support.files import stored_text
from tests.support.worker import run_worker

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


async def test_an_export_appends_rounds_and_downloads_streamed(
    api, client, world, settings, monkeypatch
):
    for i in range(25):
        await make_contact(world.organization, first_name=f"P{i:02}", last_name="Roy")
    monkeypatch.setattr(exports, "write_contacts", _small_batches(10))
    monkeypatch.setattr(exports, "run_budget_seconds", lambda: 0)
    export = await ask(api, world)
    await run_worker(settings)
    stored = await ContactExport.get(id=ids.decode(export["id"])[1])
    assert (stored.status, stored.row_count) == (TransferStatus.DONE, 25)
    parts = [p for p in _files(settings) if p.startswith(stored.file_key + ".parts/")]
    assert len(parts) == 3  # one per round, none rewritten whole
    spy = _Spy(monkeypatch)
    response = await client.get(path_of(await link_for(api, world.admin, export["id"])))
    assert response.status_code == 200
    header, *rows = rows_of(response.content)
    assert [row[header.index("First name")] for row in rows] == [f"P{i:02}" for i in range(25)]
    assert int(response.headers["content-length"]) == len(response.content)
    assert spy.bytes_read == len(response.content) - 3  # the file, plus the BOM


@pytest.mark.parametrize("how", ["given up", "no longer allowed"])
async def test_a_failed_export_keeps_no_file(api, world, settings, monkeypatch, how):
    for i in range(15):
        await make_contact(world.organization, first_name=f"P{i:02}", last_name="Roy")
    monkeypatch.setattr(exports, "write_contacts", _small_batches(10))
    monkeypatch.setattr(exports, "run_budget_seconds", lambda: 0)
    export = await ask(api, world)
    pk = ids.decode(export["id"])[1]
    await exports.build(pk)  # the first round, by hand
    key = (await ContactExport.get(id=pk)).file_key
    assert (await stored_text(key)).count("\r\n") == 11
    if how == "given up":
        task = await Task.filter(function="export_contacts").order_by("-id").first()
        await give_up(task, "boom")  # the next round's task
    else:
        await world.admin.membership.delete()
        await run_worker(settings)
    failed = await ContactExport.get(id=pk)
    assert (failed.status, failed.file_key) == (TransferStatus.FAILED, None)
    assert await stored_text(key) is None
