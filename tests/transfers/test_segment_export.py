"""segmentExport: a segment's contacts in the contacts export's CSV, built by the same job
(a real worker here) and downloaded through the same links."""

from __future__ import annotations

from models.audit import AuditEvent
from models.groups import GroupMember
from models.segments import Segment
from models.tasks import Task
from models.transfers import ContactExport
from schema import ids
from tests.support.files import stored_text
from tests.support.worker import run_worker
from tests.transfers import test_export
from tests.transfers.test_export import EXPORT_FIELDS, ONE, ask, fetch, gid, link_for, rows_of

book = test_export.book  # the contacts export's small address book, as a fixture here too

ERRORS = "errors { code field message }"
SEGMENT_EXPORT = f"""mutation($id: ID!) {{
  segmentExport(input: {{segmentId: $id}}) {{ export {{ {EXPORT_FIELDS} }} {ERRORS} }} }}"""
CREATE = f"""mutation($input: SegmentCreateInput!) {{
  segmentCreate(input: $input) {{ segment {{ id }} {ERRORS} }} }}"""


async def a_segment(api, world, **given) -> str:
    result = await api.as_(world.admin).execute(
        CREATE, {"input": {"organizationId": world.org_gid, "name": "Segment", **given}}
    )
    return result.ok("segmentCreate")["segment"]["id"]


async def ask_segment(api, member, segment_id: str) -> dict:
    result = await api.as_(member).execute(SEGMENT_EXPORT, {"id": segment_id})
    return result.ok("segmentExport")["export"]


async def file_of(api, client, member, export_id: str) -> bytes:
    response = await fetch(client, await link_for(api, member, export_id))
    assert response.status_code == 200, response.text
    return response.content


def names(body: bytes) -> list[str]:
    header, *rows = rows_of(body)
    return [dict(zip(header, row, strict=True))["First name"] for row in rows]


async def test_a_saved_segment_exports_the_same_file_as_its_filter_evaluated_when_built(
    api, client, world, settings, book
):
    juniors = {"groups": {"ids": [gid(book["juniors"])]}}
    segment_id = await a_segment(api, world, filter=juniors)
    by_segment = await ask_segment(api, world.admin, segment_id)
    by_filter = await ask(api, world, filter=juniors)
    assert by_segment["status"] == "PENDING" and by_segment["downloadUrl"] is None
    # Live: a contact joining the group before the job runs is in both files.
    await GroupMember.create(group=book["juniors"], contact=book["cid"])
    await run_worker(settings)
    segment_file = await file_of(api, client, world.admin, by_segment["id"])
    assert segment_file == await file_of(api, client, world.admin, by_filter["id"])
    assert names(segment_file) == ["Éloïse", "Bob", "Cid"]
    read = await api.as_(world.owner).execute(ONE, {"id": by_segment["id"]})
    done = read.data["contactExport"]
    assert (done["status"], done["rowCount"], done["downloadable"]) == ("DONE", 3, True)
    event = await AuditEvent.get(action="contact.export", target_id=ids.decode(done["id"])[1])
    assert event.after["segment_id"] == ids.decode(segment_id)[1]
    assert event.after["segment"]["filter"]["group_ids"] == [book["juniors"].id]
    assert await Task.filter(function="export_contacts").count() == 2  # the same job


async def test_a_static_segment_exports_its_members_only(api, client, world, settings, book):
    members = [gid(book["cid"]), gid(book["eloise"])]
    segment_id = await a_segment(api, world, kind="STATIC", contactIds=members)
    export = await ask_segment(api, world.owner, segment_id)
    await run_worker(settings)
    body = await file_of(api, client, world.owner, export["id"])
    assert names(body) == ["Éloïse", "Cid"]  # by name, as every export
    header, eloise, _ = rows_of(body)
    row = dict(zip(header, eloise, strict=True))
    assert (row["Groups"], row["shirt_size"]) == ("Juniors|Séniors", "m")


async def test_an_empty_static_segment_exports_the_header_only(api, client, world, settings, book):
    segment_id = await a_segment(api, world, kind="STATIC", contactIds=[])
    export = await ask_segment(api, world.admin, segment_id)
    await run_worker(settings)
    assert names(await file_of(api, client, world.admin, export["id"])) == []


async def test_another_organizations_segment_or_none_is_not_found_and_nothing_is_written(
    api, world, book
):
    theirs = await Segment.create(
        organization=world.other_organization, name="Theirs", name_key="theirs"
    )
    for segment_id in (gid(theirs), ids.encode("Segment", 999_999), gid(book["juniors"])):
        result = await api.as_(world.admin).execute(SEGMENT_EXPORT, {"id": segment_id})
        payload = result.payload("segmentExport")
        assert payload["export"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("NOT_FOUND", ["input", "segmentId"])
        ], payload
    assert await ContactExport.all().count() == 0
    assert await Task.all().count() == 0
    assert await AuditEvent.filter(action__startswith="contact.export").count() == 0


async def test_a_segment_with_problems_is_refused_with_its_own_error(api, world, book):
    segment_id = await a_segment(api, world, filter={"groups": {"ids": [gid(book["seniors"])]}})
    await book["seniors"].delete()
    result = await api.as_(world.admin).execute(
        SEGMENT_EXPORT, {"id": segment_id}, **{"accept-language": "fr"}
    )
    [error] = result.payload("segmentExport")["errors"]
    assert (error["code"], error["field"]) == ("INVALID", ["input", "segmentId"])
    assert error["message"].startswith("Le filtre de ce segment")
    assert await ContactExport.all().count() == 0
    assert await Task.all().count() == 0


async def test_a_segment_broken_or_deleted_before_the_build_fails_with_the_reason(
    api, world, settings, book
):
    broken_id = await a_segment(api, world, filter={"groups": {"ids": [gid(book["seniors"])]}})
    static_id = await a_segment(
        api, world, name="Static", kind="STATIC", contactIds=[gid(book["bob"])]
    )
    broken = await ask_segment(api, world.admin, broken_id)
    deleted = await ask_segment(api, world.admin, static_id)
    await book["seniors"].delete()
    await Segment.filter(id=ids.decode(static_id)[1]).delete()
    await run_worker(settings)
    french = {"accept-language": "fr"}
    failures = {}
    for export in (broken, deleted):
        result = await api.as_(world.admin).execute(ONE, {"id": export["id"]}, **french)
        read = result.data["contactExport"]
        assert read["status"] == "FAILED" and read["downloadable"] is False
        failures[export["id"]] = read["failure"]
        stored = await ContactExport.get(id=ids.decode(export["id"])[1])
        assert stored.file_key is None
    assert failures[broken["id"]].startswith("Le filtre de ce segment")
    assert failures[deleted["id"]].startswith("Le segment a été supprimé")
    assert {t.attempts for t in await Task.filter(function="export_contacts")} == {1}


async def test_segment_exports_count_towards_the_exports_under_way(api, world, book):
    segment_id = await a_segment(api, world)
    for _ in range(2):
        await ask_segment(api, world.admin, segment_id)
    await ask(api, world)
    result = await api.as_(world.admin).execute(SEGMENT_EXPORT, {"id": segment_id})
    [error] = result.payload("segmentExport")["errors"]
    assert (error["code"], error["field"]) == ("RATE_LIMITED", ["input", "segmentId"])
    assert await ContactExport.all().count() == 3


async def test_a_segment_export_whose_worker_runs_twice_is_built_once(api, world, settings, book):
    segment_id = await a_segment(api, world, search="martin")
    export = await ask_segment(api, world.admin, segment_id)
    await run_worker(settings)
    await run_worker(settings)
    stored = await ContactExport.get(id=ids.decode(export["id"])[1])
    assert stored.row_count == 1
    assert (await stored_text(stored.file_key)).count("\r\n") == 2  # header and Bob, once
