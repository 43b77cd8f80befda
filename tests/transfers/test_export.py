"""CSV contact export: asked for with the list's filter, built by a real worker, downloaded
once through a short-lived link, deleted after its retention."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from carnet import queue
from carnet.statements import count_statements
from jobs.transfers import purge_contact_export_files
from models.audit import AuditEvent
from models.bulk import BulkOperation
from models.contacts import ConsentStatus, Contact
from models.custom_fields import CustomFieldAnswer, CustomFieldType
from models.groups import Group, GroupMember
from models.identity import Locale
from models.staff import Role, StaffMembership
from models.tasks import Task, TaskStatus
from models.transfers import ContactExport, TransferStatus
from resolvers.bulk import chunks
from resolvers.common.tasks import enqueue_task, job_id
from resolvers.common.time import now
from resolvers.transfers import export_csv, exports
from schema import ids
from tests.contacts.contact_flows import make_contact
from tests.custom_fields_authz_examples import a_fresh_field
from tests.support.files import stored_text
from tests.support.worker import run_worker

ERRORS = "errors { code field message }"
EXPORT_FIELDS = """id status rowCount createdAt finishedAt expiresAt linkExpiresAt failure
  downloadable downloadUrl createdBy { email }"""
EXPORT = f"""mutation($input: ContactsExportInput!) {{
  contactsExport(input: $input) {{ export {{ {EXPORT_FIELDS} }} {ERRORS} }} }}"""
LINK = f"""mutation($id: ID!) {{
  contactExportLink(input: {{id: $id}}) {{ export {{ {EXPORT_FIELDS} }} {ERRORS} }} }}"""
ONE = f"query($id: ID!) {{ contactExport(id: $id) {{ {EXPORT_FIELDS} }} }}"
LIST = """query($o: ID!, $first: Int, $after: String) {
  contactExports(organizationId: $o, first: $first, after: $after) {
    edges { node { id status rowCount } } pageInfo { hasNextPage endCursor } } }"""
SIZES = [{"value": v, "label_en": v, "label_fr": v} for v in ("s", "m", "l")]


def export_input(world, **given):
    return {"input": {"organizationId": world.org_gid, **given}}


async def ask(api, world, member=None, **given) -> dict:
    result = await api.as_(member or world.admin).execute(EXPORT, export_input(world, **given))
    return result.ok("contactsExport")["export"]


async def link_for(api, member, export_id: str) -> str:
    result = await api.as_(member).execute(LINK, {"id": export_id})
    return result.ok("contactExportLink")["export"]["downloadUrl"]


def path_of(url: str) -> str:
    return url[url.index("/exports/") :]


async def fetch(client, url: str):
    return await client.get(path_of(url))


def rows_of(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf"), body[:10]
    text = body.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text, newline="")))


async def exported(api, client, world, settings, member=None, **given) -> list[dict[str, str]]:
    """Asks, runs the worker, downloads: the file's rows as dicts by header."""
    export = await ask(api, world, member, **given)
    await run_worker(settings)
    response = await fetch(client, await link_for(api, member or world.admin, export["id"]))
    assert response.status_code == 200, response.text
    header, *rows = rows_of(response.content)
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.fixture
async def book(world):
    """A small address book: accents, groups, consent, a colour, custom answers, an
    archived contact, and a contact of the other organization."""
    org = world.organization
    juniors = await Group.create(organization=org, name="Juniors")
    seniors = await Group.create(organization=org, name="Séniors")
    size = await a_fresh_field(
        world, key="shirt_size", type=CustomFieldType.SINGLE_CHOICE, choices=SIZES
    )
    note = await a_fresh_field(world, key="allergies", type=CustomFieldType.TEXT)
    goals = await a_fresh_field(world, key="goals", type=CustomFieldType.NUMBER)
    eloise = await make_contact(
        org,
        first_name="Éloïse",
        last_name="Dèsjardins",
        email="eloise@example.test",
        phone="+15145551234",
        city="Montréal",
        email_consent=ConsentStatus.EXPRESS,
    )
    bob = await make_contact(
        org, first_name="Bob", last_name="Martin", notes='=HYPERLINK("http://evil")'
    )
    cid = await make_contact(
        org,
        first_name="Cid",
        last_name="Zed",
        email_consent=ConsentStatus.IMPLIED,
        email_consent_expires_at=now() - timedelta(days=1),  # lapsed: NOT_ASKED now
    )
    await make_contact(org, first_name="Archie", last_name="Ved", archived_at=now())
    await make_contact(world.other_organization, first_name="Foreign", last_name="Person")
    await GroupMember.create(group=juniors, contact=eloise)
    await GroupMember.create(group=seniors, contact=eloise)
    await GroupMember.create(group=juniors, contact=bob)
    await CustomFieldAnswer.create(contact=eloise, field=size, content={"value": "m"})
    await CustomFieldAnswer.create(contact=bob, field=note, content={"value": "@peanuts"})
    await CustomFieldAnswer.create(contact=bob, field=goals, content={"value": -3})
    return {"juniors": juniors, "seniors": seniors, "eloise": eloise, "bob": bob, "cid": cid}


def gid(record) -> str:
    return ids.encode(type(record).__name__, record.id)


async def test_the_whole_book_with_accents_groups_custom_fields_and_safe_cells(
    api, client, world, settings, book
):
    rows = await exported(api, client, world, settings)
    # By name; the archived contact and the other organization's are not there.
    assert [(r["First name"], r["Last name"]) for r in rows] == [
        ("Éloïse", "Dèsjardins"),
        ("Bob", "Martin"),
        ("Cid", "Zed"),
    ]
    eloise, bob, cid = rows
    assert list(eloise)[:5] == ["Kind", "First name", "Last name", "Organization name", "Email"]
    assert list(eloise)[-3:] == ["shirt_size", "allergies", "goals"]
    assert eloise["City"] == "Montréal"
    assert eloise["Phone"] == "+15145551234"  # a plain number: importable, not escaped
    assert eloise["Groups"] == "Juniors|Séniors"
    assert eloise["Email consent"] == "EXPRESS"
    assert eloise["Language"] == "EN"
    assert eloise["Kind"] == "PERSON"
    assert eloise["Do not contact"] == "false"
    assert eloise["shirt_size"] == "m"
    assert bob["Notes"] == '\'=HYPERLINK("http://evil")'
    assert bob["allergies"] == "'@peanuts"
    assert bob["goals"] == "-3"
    assert cid["Email consent"] == "NOT_ASKED"  # a lapsed implied consent, as the list says


@pytest.mark.parametrize(
    "cell, written",
    [
        ("=1+2", "'=1+2"),
        ("+1 514", "'+1 514"),
        ("-", "'-"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("+15145551234", "+15145551234"),
        ("-2.5", "-2.5"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_formula_cells_are_escaped_and_plain_numbers_are_not(cell, written):
    assert export_csv.safe_cell(cell) == written


async def test_filters_groups_search_and_consent_select_exactly_their_rows(
    api, client, world, settings, book
):
    by_group = await exported(
        api, client, world, settings, filter={"groups": {"ids": [gid(book["juniors"])]}}
    )
    assert [r["First name"] for r in by_group] == ["Éloïse", "Bob"]
    by_search = await exported(api, client, world, settings, search="desjardins")
    assert [r["First name"] for r in by_search] == ["Éloïse"]
    consent = {"channel": "EMAIL", "statuses": ["NOT_ASKED"]}
    by_consent = await exported(api, client, world, settings, filter={"consent": consent})
    assert [r["First name"] for r in by_consent] == ["Bob", "Cid"]
    archived = await exported(api, client, world, settings, filter={"archived": True})
    assert [r["First name"] for r in archived] == ["Archie"]


async def test_french_headers_for_a_french_user(api, client, world, settings, book):
    world.admin.user.locale = Locale.FR
    await world.admin.user.save()
    rows = await exported(api, client, world, settings)
    assert list(rows[0])[:3] == ["Type", "Prénom", "Nom"]
    assert "Courriel" in rows[0] and "Groupes" in rows[0]


async def test_the_request_is_checked_like_the_list_and_writes_nothing_when_refused(
    api, world, book
):
    foreign = await Group.create(organization=world.other_organization, name="Theirs")
    cases = [
        ({"groups": {"ids": [gid(foreign)]}}, ["input", "filter", "groups", "ids"]),
        (
            {"customFields": [{"fieldId": ids.encode("CustomField", 999), "isSet": True}]},
            ["input", "filter", "customFields", 0, "fieldId"],
        ),
        ({"age": {"min": -1}}, ["input", "filter"]),
        ({"affiliatedTo": ids.encode("Group", 1)}, ["input", "filter", "affiliatedTo"]),
    ]
    for given, field in cases:
        result = await api.as_(world.admin).execute(EXPORT, export_input(world, filter=given))
        payload = result.payload("contactsExport")
        assert payload["export"] is None
        assert [e["field"] for e in payload["errors"]] == [field], payload
    assert await ContactExport.all().count() == 0
    assert await Task.all().count() == 0
    assert await AuditEvent.filter(action__startswith="contact.export").count() == 0


async def test_pending_then_done_with_audit_events_once_however_often_the_job_runs(
    api, world, settings, book
):
    export = await ask(api, world, search="martin")
    assert export["status"] == "PENDING"
    assert export["downloadUrl"] is None and export["createdBy"]["email"] == "admin@alpha.test"
    await run_worker(settings)
    await run_worker(settings)
    pk = ids.decode(export["id"])[1]
    await exports.build(pk)  # the job body run again by hand: a finished export is left alone
    done = (await api.as_(world.owner).execute(ONE, {"id": export["id"]})).data["contactExport"]
    assert (done["status"], done["rowCount"], done["downloadable"]) == ("DONE", 1, True)
    assert done["downloadUrl"] is None  # reads never show (or mint) a link
    assert done["finishedAt"] and done["expiresAt"] > done["finishedAt"]
    requested = await AuditEvent.get(action="contact.export")
    assert requested.actor_id == world.admin.user.id
    assert requested.after["filter"]["search"] == "martin"
    assert await AuditEvent.filter(action="contact.export.done").count() == 1
    [task] = await Task.filter(function="export_contacts")
    assert (task.status, task.args) == (TaskStatus.DONE, [pk])


async def test_a_build_killed_halfway_is_redone_from_scratch_once(api, world, settings, book):
    export = await ask(api, world)
    pk = ids.decode(export["id"])[1]
    # A worker died mid-file: the export says RUNNING, nothing was stored, the task pends.
    await ContactExport.filter(id=pk).update(status=TransferStatus.RUNNING)
    await run_worker(settings)
    stored = await ContactExport.get(id=pk)
    assert (stored.status, stored.row_count) == (TransferStatus.DONE, 3)
    assert (await stored_text(stored.file_key)).count("\r\n") == 4  # header, 3 rows, once


async def test_a_requester_no_longer_allowed_gets_no_file(api, world, settings, book):
    export = await ask(api, world)
    await StaffMembership.filter(id=world.admin.membership.id).update(role=Role.AGENT)
    await run_worker(settings)
    stored = await ContactExport.get(id=ids.decode(export["id"])[1])
    assert (stored.status, stored.file_key) == (TransferStatus.FAILED, None)
    french = {"accept-language": "fr"}
    result = await api.as_(world.owner).execute(ONE, {"id": export["id"]}, **french)
    assert result.data["contactExport"]["failure"].startswith("La personne")


async def test_a_given_up_export_is_failed(api, world, settings, book):
    export = await ask(api, world)
    [task] = await Task.filter(function="export_contacts")
    from resolvers.common.tasks import give_up

    await give_up(task, "boom")
    result = await api.as_(world.owner).execute(ONE, {"id": export["id"]})
    assert result.data["contactExport"]["status"] == "FAILED"
    assert result.data["contactExport"]["failure"]
    link = await api.as_(world.owner).execute(LINK, {"id": export["id"]})
    assert link.payload_codes("contactExportLink") == ["INVALID"]


async def test_the_download_is_an_attachment_never_cached_and_audited(
    api, client, world, settings, book
):
    export = await ask(api, world)
    await run_worker(settings)
    url = await link_for(api, world.owner, export["id"])
    assert url.startswith(f"{settings.public_url}/exports/")
    response = await client.get(path_of(url), headers={"x-forwarded-for": "10.0.0.9"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    day = (await ContactExport.get(id=ids.decode(export["id"])[1])).finished_at
    assert response.headers["content-disposition"] == (
        f'attachment; filename="contacts-{day.astimezone(_toronto()).date().isoformat()}.csv"'
    )
    assert response.headers["cache-control"] == "no-store"
    [event] = await AuditEvent.filter(action="contact.export.download")
    assert event.target_id == str(ids.decode(export["id"])[1])
    assert event.organization_id == world.organization.id
    assert event.ip_address == "127.0.0.1" and event.actor_id is None
    minted = await AuditEvent.get(action="contact.export.link")
    assert minted.actor_id == world.owner.user.id
    # Only the token's digest is stored.
    token = path_of(url).rsplit("/", 1)[1]
    stored = await ContactExport.get(id=ids.decode(export["id"])[1])
    assert stored.download_token_hash and token not in stored.download_token_hash


def _toronto():
    from zoneinfo import ZoneInfo

    return ZoneInfo("America/Toronto")


async def test_links_expire_and_a_fresh_one_kills_the_old_one(api, client, world, settings, book):
    export = await ask(api, world)
    await run_worker(settings)
    first = await link_for(api, world.admin, export["id"])
    read = (await api.as_(world.admin).execute(ONE, {"id": export["id"]})).data["contactExport"]
    assert read["linkExpiresAt"] is not None
    second = await link_for(api, world.owner, export["id"])
    assert first != second
    assert (await fetch(client, first)).status_code == 404
    assert (await fetch(client, second)).status_code == 200
    # The clock moves past the link's life.
    await ContactExport.all().update(expires_at=now() - timedelta(seconds=1))
    expired = await client.get(path_of(second), headers={"accept-language": "fr"})
    assert expired.status_code == 410
    assert expired.headers["content-type"].startswith("text/plain")
    assert "expiré" in expired.text
    third = await link_for(api, world.admin, export["id"])
    assert (await fetch(client, third)).status_code == 200
    assert (await client.get("/exports/nonsense")).status_code == 404
    assert (await client.get("/exports/" + "x" * 5000)).status_code == 404
    assert await AuditEvent.filter(action="contact.export.download").count() == 2


async def test_a_link_ttl_comes_from_the_settings(api, world, settings, book):
    export = await ask(api, world)
    await run_worker(settings)
    result = await api.as_(world.admin).execute(LINK, {"id": export["id"]})
    minted = result.ok("contactExportLink")["export"]["linkExpiresAt"]
    lifetime = (await ContactExport.get(id=ids.decode(export["id"])[1])).expires_at - now()
    assert minted
    expected = timedelta(seconds=settings.export_link_ttl_seconds)
    assert expected - timedelta(seconds=30) < lifetime <= expected


async def test_no_link_before_the_file_is_built(api, world, book):
    export = await ask(api, world)
    result = await api.as_(world.admin).execute(LINK, {"id": export["id"]})
    assert result.payload_codes("contactExportLink") == ["INVALID"]
    assert await AuditEvent.filter(action="contact.export.link").count() == 0


async def test_retention_deletes_the_file_and_its_link(api, client, world, settings, book):
    old = await ask(api, world)
    recent = await ask(api, world)
    await run_worker(settings)
    url = await link_for(api, world.admin, old["id"])
    old_pk, recent_pk = (ids.decode(e["id"])[1] for e in (old, recent))
    week_ago = now() - timedelta(days=settings.export_retention_days, minutes=1)
    await ContactExport.filter(id=old_pk).update(finished_at=week_ago)
    old_key = (await ContactExport.get(id=old_pk)).file_key
    assert (await stored_text(old_key)).startswith("Kind,")
    assert await purge_contact_export_files({"settings": settings}) == 1
    assert await purge_contact_export_files({"settings": settings}) == 0
    gone = await ContactExport.get(id=old_pk)
    assert (gone.file_key, gone.download_token_hash, gone.row_count) == (None, None, 3)
    assert await stored_text(old_key) is None  # deleted from storage
    assert await stored_text((await ContactExport.get(id=recent_pk)).file_key) is not None
    assert (await fetch(client, url)).status_code == 404
    result = await api.as_(world.admin).execute(
        LINK, {"id": old["id"]}, **{"accept-language": "fr"}
    )
    [error] = result.payload("contactExportLink")["errors"]
    assert error["code"] == "TOKEN_EXPIRED" and "supprimé" in error["message"]
    read = (await api.as_(world.admin).execute(ONE, {"id": old["id"]})).data["contactExport"]
    assert read["downloadable"] is False


async def test_the_list_is_newest_first_and_paged(api, world, book):
    made = [await ask(api, world) for _ in range(3)]
    result = await api.as_(world.owner).execute(LIST, {"o": world.org_gid, "first": 2})
    page = result.data["contactExports"]
    assert [e["node"]["id"] for e in page["edges"]] == [made[2]["id"], made[1]["id"]]
    more = await api.as_(world.owner).execute(
        LIST, {"o": world.org_gid, "first": 2, "after": page["pageInfo"]["endCursor"]}
    )
    assert [e["node"]["id"] for e in more.data["contactExports"]["edges"]] == [made[0]["id"]]


async def test_another_organizations_export_is_not_found(api, world, settings, book):
    export = await ask(api, world)
    await run_worker(settings)
    outsider = api.as_(world.outsider)
    assert (await outsider.execute(ONE, {"id": export["id"]})).error_codes == ["NOT_FOUND"]
    link = await outsider.execute(LINK, {"id": export["id"]})
    assert link.payload_codes("contactExportLink") == ["NOT_FOUND"]
    listed = await outsider.execute(LIST, {"o": world.other_org_gid})
    assert listed.data["contactExports"]["edges"] == []
    foreign = await outsider.execute(EXPORT, export_input(world))
    assert foreign.payload_codes("contactsExport") == ["NOT_FOUND"]
    assert await ContactExport.all().count() == 1


async def test_the_job_statements_do_not_grow_with_the_rows(api, world, settings, monkeypatch):
    org = world.organization
    group = await Group.create(organization=org, name="All")
    field = await a_fresh_field(world, key="shirt")

    async def statements_for(people: int) -> int:
        await Contact.filter(organization_id=org.id).delete()
        for i in range(people):
            contact = await make_contact(org, first_name=f"P{i:03}")
            await GroupMember.create(group=group, contact=contact)
            await CustomFieldAnswer.create(contact=contact, field=field, content={"value": "x"})
        export = await ask(api, world)
        with count_statements() as statements:
            # The export's start and its one chunk; no cron job, whose statements would land
            # in the count when one starts in this window.
            await run_worker(settings, cron_jobs=[])
        stored = await ContactExport.get(id=ids.decode(export["id"])[1])
        assert (stored.status, stored.row_count) == (TransferStatus.DONE, people)
        return len(statements)

    assert await statements_for(3) == await statements_for(40)
    # Several batches in a chunk: a few statements per batch of rows, never per row.
    monkeypatch.setattr(exports, "write_records", _small_batches(10))
    many = await statements_for(40)
    assert many <= await statements_for(3) + 4 * 3


def _small_batches(size: int):
    original = export_csv.write_records

    async def write(*args, **kwargs):
        return await original(*args, batch_size=size, **kwargs)

    return write


async def test_an_export_whose_group_was_deleted_since_fails_with_the_reason(
    api, world, settings, book
):
    export = await ask(api, world, filter={"groups": {"ids": [gid(book["seniors"])]}})
    await book["seniors"].delete()
    await run_worker(settings)
    result = await api.as_(world.admin).execute(ONE, {"id": export["id"]})
    read = result.data["contactExport"]
    assert read["status"] == "FAILED" and "deleted since" in read["failure"]
    [task] = await Task.filter(function="export_contacts")
    assert task.attempts == 1  # no retry can help


async def test_at_most_three_exports_under_way_per_organization(api, world, settings, book):
    for _ in range(3):
        await ask(api, world)
    result = await api.as_(world.admin).execute(EXPORT, export_input(world))
    assert result.payload_codes("contactsExport") == ["RATE_LIMITED"]
    assert await ContactExport.all().count() == 3
    await run_worker(settings)
    await ask(api, world)  # the others are done: room again


async def test_a_long_export_runs_in_chunks_and_a_chunk_run_twice_writes_its_rows_once(
    api, world, settings, monkeypatch
):
    """On the bulk-operation engine (this replaced the rounds with a resume point): the
    start freezes the contacts in the file's order, once however often it runs; each
    chunk stores its part; a chunk run again changes nothing; the file is the one a
    single chunk writes."""
    for i in range(25):
        await make_contact(world.organization, first_name=f"P{i:02}", last_name="Roy")
    single = await ask(api, world)
    await run_worker(settings)
    whole = await stored_text((await ContactExport.get(id=ids.decode(single["id"])[1])).file_key)

    monkeypatch.setattr(settings, "bulk_chunk_size", 10)
    export = await ask(api, world)
    pk = ids.decode(export["id"])[1]
    await exports.build(pk)  # the start, by hand
    await exports.build(pk)  # run again: the same operation
    stored = await ContactExport.get(id=pk)
    assert (stored.status, stored.row_count) == (TransferStatus.RUNNING, 0)
    operation = await BulkOperation.get(id=stored.operation_id)
    assert (operation.kind, operation.total) == ("CONTACT_EXPORT", 25)
    assert await BulkOperation.filter(kind="CONTACT_EXPORT").count() == 2

    await chunks.run_chunk(operation.id, 1)
    await chunks.run_chunk(operation.id, 1)  # a duplicate job: its chunk is done
    read = (await api.as_(world.admin).execute(ONE, {"id": export["id"]})).data["contactExport"]
    assert (read["status"], read["rowCount"], read["downloadable"]) == ("RUNNING", 10, False)

    await run_worker(settings)  # the chunks left, and the duplicate of chunk 1
    done = await ContactExport.get(id=pk)
    assert (done.status, done.row_count) == (TransferStatus.DONE, 25)
    assert await stored_text(done.file_key) == whole
    chunk_tasks = await Task.filter(function="bulk_chunk").values_list("args", flat=True)
    assert sorted(a for a in chunk_tasks if a[0] == operation.id) == [
        [operation.id, n] for n in (1, 2, 3)
    ]
    assert await Task.filter(function="export_contacts", args=[pk]).count() == 1
    events = await AuditEvent.filter(action="contact.export.done", target_id=str(pk)).count()
    assert events == 1


async def test_every_chunk_job_of_an_export_run_twice_writes_each_row_once(
    api, world, settings, monkeypatch
):
    """The engine's exactly-once, on an export: a second job queued beside every chunk's,
    then every job run again as if it died before recording it was done."""
    for i in range(7):
        await make_contact(world.organization, first_name=f"P{i:02}", last_name="Roy")
    single = await ask(api, world)
    await run_worker(settings)
    whole = await stored_text((await ContactExport.get(id=ids.decode(single["id"])[1])).file_key)

    monkeypatch.setattr(settings, "bulk_chunk_size", 3)
    export = await ask(api, world)
    pk = ids.decode(export["id"])[1]
    await exports.build(pk)
    operation_id = (await ContactExport.get(id=pk)).operation_id
    first_tasks = await Task.filter(function="bulk_chunk").order_by("id")
    mine = [t for t in first_tasks if t.args[0] == operation_id]
    assert [t.args for t in mine] == [[operation_id, n] for n in (1, 2, 3)]
    for task in mine:
        await enqueue_task(await Task.create(function="bulk_chunk", args=task.args))
    await run_worker(settings)
    for task in await Task.filter(function="bulk_chunk"):
        if task.args[0] == operation_id:
            await Task.filter(id=task.id).update(status=TaskStatus.PENDING)
            await queue.forget_result(job_id(task))
            await enqueue_task(task)
    await run_worker(settings)
    done = await ContactExport.get(id=pk)
    assert (done.status, done.row_count) == (TransferStatus.DONE, 7)
    assert await stored_text(done.file_key) == whole
    operation = await BulkOperation.get(id=operation_id)
    assert (operation.processed, operation.succeeded) == (7, 7)
    events = await AuditEvent.filter(action="contact.export.done", target_id=str(pk)).count()
    assert events == 1
