"""Statement PDFs: a job renders them, a short-lived single-use link serves them, and the
PDF's text (read back with pypdf) gives the same totals as the statement query; staff who
read billing and the account's primary may ask, nobody else."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

from pypdf import PdfReader

from carnet.settings import current_settings
from models.contacts import Contact
from models.tasks import Task, TaskStatus
from schema import ids
from tests.billing.flows import STATEMENT, household, open_invoice, pay
from tests.support.world import make_member

ERRORS = "errors { code field message }"
PDF = f"""mutation($a: ID!, $from: DateTime!, $to: DateTime!) {{
  statementPdf(input: {{accountId: $a, from: $from, to: $to}}) {{ downloadUrl expiresAt {ERRORS} }}
}}"""
PERIOD = {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def spaced(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


async def _billed(api, world):
    account, link = await household(world)
    gid = ids.encode("ClientAccount", account.id)
    invoice = await open_invoice(api, world, gid, [(2, 2000, ["GST", "QST"])])
    await pay(api, world, invoice["id"], 1500)
    return account, link, gid


async def test_the_pdf_gives_the_statement_querys_totals(api, client, world):
    _, _, gid = await _billed(api, world)
    for locale in ("en", "fr"):
        caller = api.as_(world.billing_admin).with_headers(**{"accept-language": locale})
        statement = (await caller.execute(STATEMENT, {"a": gid, **PERIOD})).data["statement"]
        asked = (await caller.execute(PDF, {"a": gid, **PERIOD})).ok("statementPdf")
        path = urlsplit(asked["downloadUrl"]).path
        assert path.startswith("/statements/")
        # Not rendered yet: 409, and the link is not used up.
        assert (await client.get(path)).status_code == 409
        await _run_worker()
        fetched = await client.get(path)
        assert fetched.status_code == 200, fetched.text
        assert fetched.headers["content-type"] == "application/pdf"
        assert fetched.headers["cache-control"] == "no-store"
        text = spaced(text_of(fetched.content))
        closing = spaced(statement["closingBalance"]["formatted"])
        opening = spaced(statement["openingBalance"]["formatted"])
        assert statement["closingBalance"]["amount"] == 2 * 2000 + 200 + 399 - 1500
        assert closing in text and opening in text
        for entry in statement["entries"]:
            assert spaced(entry["amount"]["formatted"]) in text
        title, closing_label = {
            "en": ("Account statement", "Closing balance"),
            "fr": ("État de compte", "Solde de clôture"),
        }[locale]
        assert title in text and closing_label in text
        assert world.organization.name in text
        # Single use.
        assert (await client.get(path)).status_code == 410


async def _run_worker():
    from tests.support.worker import run_worker

    await run_worker(current_settings())


async def test_the_render_job_run_twice_stores_one_file(api, client, world):
    _, _, gid = await _billed(api, world)
    asked = (await api.as_(world.owner).execute(PDF, {"a": gid, **PERIOD})).ok("statementPdf")
    await _run_worker()
    task = await Task.get(function="render_statement_pdf")
    assert task.status is TaskStatus.DONE and task.attempts == 1
    await Task.filter(id=task.id).update(status=TaskStatus.PENDING)
    from jobs.billing import render_statement_pdf

    await render_statement_pdf({"settings": current_settings(), "job_try": 1}, task.id)
    task = await Task.get(id=task.id)
    assert task.status is TaskStatus.DONE and task.attempts == 2
    fetched = await client.get(urlsplit(asked["downloadUrl"]).path)
    assert fetched.status_code == 200 and fetched.content.startswith(b"%PDF")


async def test_the_primary_asks_from_the_client_side_and_nobody_else(
    api, client, world, password_hash
):
    account, link, gid = await _billed(api, world)
    await Contact.filter(id=account.primary_contact_id).update(user_id=world.loner.user.id)
    member = await make_member("member@example.test", password_hash, None, None)
    await Contact.filter(id=link.contact_id).update(user_id=member.user.id)

    mine = (await api.as_(world.loner).execute(PDF, {"a": gid, **PERIOD})).ok("statementPdf")
    await _run_worker()
    assert (await client.get(urlsplit(mine["downloadUrl"]).path)).status_code == 200

    for who, code in ((member, "NOT_FOUND"), (world.outsider, "NOT_FOUND")):
        refused = await api.as_(who).execute(PDF, {"a": gid, **PERIOD})
        codes = refused.error_codes or refused.payload_codes("statementPdf")
        assert codes == [code], who
    viewer = await api.as_(world.viewer).execute(PDF, {"a": gid, **PERIOD})
    assert viewer.error_codes == ["FORBIDDEN"]
    anonymous = await api.as_(None).execute(PDF, {"a": gid, **PERIOD})
    assert anonymous.error_codes == ["UNAUTHENTICATED"]
    assert await Task.filter(function="render_statement_pdf").count() == 1


async def test_a_period_that_ends_before_it_starts_is_refused(api, world):
    _, _, gid = await _billed(api, world)
    backwards = {"from": PERIOD["to"], "to": PERIOD["from"]}
    for locale, words in (("en", "must come after"), ("fr", "doit")):
        result = (
            await api.as_(world.owner)
            .with_headers(**{"accept-language": locale})
            .execute(PDF, {"a": gid, **backwards})
        )
        [error] = result.payload("statementPdf")["errors"]
        assert (error["code"], error["field"]) == ("INVALID", ["input", "to"])
        assert words in error["message"]
    assert not await Task.filter(function="render_statement_pdf").exists()


async def test_a_bad_link_is_404(client):
    assert (await client.get("/statements/1.2.3.nope")).status_code == 404
