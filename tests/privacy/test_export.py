"""Person data exports: a job builds a ZIP of everything the organization holds about a
contact, the requester is mailed, and a single-use link serves it. The discovery test walks
the Tortoise models: every foreign key to a contact, a user or an account contact must have
a registry entry, and every row found through one is in the archive."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

from tortoise import Tortoise

from carnet.settings import current_settings
from models.audit import AuditEvent
from models.messaging import OutboxMessage
from models.privacy import PrivacyRequest, PrivacyRequestStatus
from resolvers.common.actor import RequestMeta
from resolvers.common.time import now
from resolvers.identity.sessions import start_session
from resolvers.privacy import export, registry
from resolvers.privacy.archive import person_in
from tests.privacy.people import FIRST, a_person_everywhere
from tests.support.contacts import gid, new_contact
from tests.support.worker import run_worker

ERRORS = "errors { code field message }"
EXPORT = f"""mutation($c: ID!) {{ personDataExport(input: {{contactId: $c}}) {{
  request {{ id kind status }} {ERRORS} }} }}"""
LINK = f"""mutation($id: ID!) {{ personDataExportLink(input: {{id: $id}}) {{
  request {{ id downloadUrl linkExpiresAt }} {ERRORS} }} }}"""
MY_EXPORT = f"mutation {{ myDataExport {{ request {{ id kind status }} {ERRORS} }} }}"
MY_LINK = f"""mutation($id: ID!) {{ myDataExportLink(input: {{id: $id}}) {{
  request {{ id downloadUrl }} {ERRORS} }} }}"""


def test_every_key_to_a_person_has_a_registry_entry():
    missing = registry.missing()
    assert not missing, (
        "tables refer to a person without privacy support; add to "
        "resolvers/privacy/registry.py:\n" + "\n".join(missing)
    )


async def _exported(api, client, caller, subject_gid) -> tuple[dict, zipfile.ZipFile]:
    asked = (await api.as_(caller).execute(EXPORT, {"c": subject_gid})).ok("personDataExport")
    request_id = asked["request"]["id"]
    await run_worker(current_settings())
    link = (await api.as_(caller).execute(LINK, {"id": request_id})).ok("personDataExportLink")
    path = urlsplit(link["request"]["downloadUrl"]).path
    assert path.startswith("/privacy-exports/")
    fetched = await client.get(path)
    assert fetched.status_code == 200, fetched.text
    assert fetched.headers["content-type"] == "application/zip"
    assert (await client.get(path)).status_code == 410  # single use
    return asked, zipfile.ZipFile(io.BytesIO(fetched.content))


async def test_the_archive_holds_every_row_that_refers_to_the_person(
    api, client, world, password_hash
):
    subject = await a_person_everywhere(api, world, password_hash)
    asked, archive = await _exported(api, client, world.admin, subject.gid)
    data = json.loads(archive.read(f"organization-{world.organization.id}.json"))
    assert data["contact"][0]["first_name"] == FIRST
    person = await person_in(world.organization.id, [subject.contact.id])
    # Discovered from the models, not from the registry: each key to a person, each row.
    represented = set()
    for name, model in Tortoise.apps["models"].items():
        for key in model._meta.fk_fields | model._meta.o2o_fields:
            target = model._meta.fields_map[key].related_model.__name__
            if target not in registry.PERSON_MODELS:
                continue
            entry = registry.REGISTRY[(name, key)]
            query = model.filter(**{f"{key}_id__in": person.ids_for(target)})
            if target == "User":
                if entry.organization is None:
                    continue  # the login's own rows: only in the user's own export
                query = query.filter(**{entry.organization: world.organization.id})
            expected = sorted(await query.values_list("id", flat=True))
            if expected:
                table = f"{model._meta.db_table}.{key}"
                got = sorted(r["id"] for r in data["references"][table])
                assert got == expected, table
                represented.add(table)
    for domain in (
        "consent_record.contact",
        "contact_group_member.contact",
        "affiliation.person",
        "custom_field_answer.contact",
        "account_contact.contact",
        "client_account.primary_contact",
        "member_document.contact",
        "message_delivery.contact",
        "seat.user",
        "team_member.user",
        "account_document_share.account_contact",
    ):
        assert domain in represented, (domain, sorted(represented))
    assert any(e["action"] == "contact.create" for e in data["audit_events_about"])
    names = archive.namelist()
    assert any(n.startswith("files/member_document-") for n in names)
    assert any(n.startswith("files/account-document-") for n in names)
    assert any(n.startswith("files/statement-account-") for n in names)
    # The requester is told by mail, which carries no link secret.
    mail = await OutboxMessage.get(template="privacy_export_ready")
    assert mail.recipient == world.admin.user.email
    assert "privacy-exports" not in json.dumps(mail.context)
    actions = set(
        await AuditEvent.filter(target_type__in=["Contact", "PrivacyRequest"]).values_list(
            "action", flat=True
        )
    )
    assert {"privacy.export", "privacy.export.link", "privacy.export.download"} <= actions


async def test_the_job_run_twice_builds_once(api, client, world):
    contact = await new_contact(world.organization)
    await api.as_(world.owner).execute(EXPORT, {"c": gid(contact)})
    await run_worker(current_settings())
    request = await PrivacyRequest.get()
    assert request.status is PrivacyRequestStatus.DONE
    await export.build(request.id)  # as arq would, run again
    assert await OutboxMessage.filter(template="privacy_export_ready").count() == 1


async def test_refusals_write_nothing(api, world):
    theirs = await new_contact(world.other_organization)
    result = await api.as_(world.admin).execute(EXPORT, {"c": gid(theirs)})
    assert result.payload_codes("personDataExport") == ["NOT_FOUND"]
    refused = await api.as_(world.agent).execute(
        EXPORT, {"c": gid(await new_contact(world.organization))}
    )
    assert refused.error_codes == ["FORBIDDEN"]
    assert await PrivacyRequest.all().count() == 0


async def test_a_link_before_the_build_or_after_the_file_is_gone(api, client, world):
    contact = await new_contact(world.organization)
    asked = (await api.as_(world.owner).execute(EXPORT, {"c": gid(contact)})).ok("personDataExport")
    early = await api.as_(world.owner).execute(LINK, {"id": asked["request"]["id"]})
    assert early.payload_codes("personDataExportLink") == ["NOT_FINISHED"]
    await run_worker(current_settings())
    french = api.as_(world.owner).with_headers(**{"accept-language": "fr"})
    link = (await french.execute(LINK, {"id": asked["request"]["id"]})).ok("personDataExportLink")
    path = urlsplit(link["request"]["downloadUrl"]).path
    # The link expires: 410.
    await PrivacyRequest.all().update(expires_at=await _past())
    assert (await client.get(path)).status_code == 410
    assert (await client.get("/privacy-exports/nope")).status_code == 404
    # Past the retention the file is gone and no new link is minted.
    await PrivacyRequest.all().update(finished_at=await _past(days=30))
    gone = await french.execute(LINK, {"id": asked["request"]["id"]})
    error = gone.payload("personDataExportLink")["errors"][0]
    assert error["code"] == "TOKEN_EXPIRED" and "supprimé" in error["message"]


async def _past(days: int = 0):
    return now() - timedelta(days=days, seconds=1)


async def test_my_data_export_covers_every_organization(api, client, world, password_hash):
    subject = await a_person_everywhere(api, world, password_hash)
    me = world.loner
    issued = await start_session(subject.user, "pytest", RequestMeta(), current_settings())
    caller = SimpleNamespace(token=issued.access_token, user=subject.user)
    asked = (await api.as_(caller).execute(MY_EXPORT)).ok("myDataExport")
    await run_worker(current_settings())
    # Another user cannot mint its link.
    other = await api.as_(me).execute(MY_LINK, {"id": asked["request"]["id"]})
    assert other.payload_codes("myDataExportLink") == ["NOT_FOUND"]
    link = (await api.as_(caller).execute(MY_LINK, {"id": asked["request"]["id"]})).ok(
        "myDataExportLink"
    )
    fetched = await client.get(urlsplit(link["request"]["downloadUrl"]).path)
    archive = zipfile.ZipFile(io.BytesIO(fetched.content))
    login = json.loads(archive.read("login.json"))
    assert login["user"][0]["email"] == subject.user.email
    assert "password_hash" not in login["user"][0]
    assert "session.user" in login["references"]
    data = json.loads(archive.read(f"organization-{world.organization.id}.json"))
    assert data["contact"][0]["id"] == subject.contact.id
