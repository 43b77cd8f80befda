"""Invoice PDFs: rendered by a job, served once through a short-lived link; the text read
back with pypdf gives the invoice's totals. Staff who read billing, and the account's
primary for a finalized invoice; nobody else."""

from __future__ import annotations

from urllib.parse import urlsplit

from models.contacts import Contact
from models.tasks import Task
from schema import ids
from tests.billing.flows import CREATE, household, open_invoice, pay
from tests.billing.test_statement_pdf import spaced, text_of
from tests.support.worker import run_worker

PDF = """mutation($i: ID!) { invoicePdf(input: {invoiceId: $i}) {
  downloadUrl expiresAt errors { code field message } } }"""


async def test_the_invoice_pdf_gives_its_totals(api, client, world, settings):
    account, _ = await household(world)
    gid = ids.encode("ClientAccount", account.id)
    invoice = await open_invoice(api, world, gid, [(2, 2000, ["GST", "QST"])])
    await pay(api, world, invoice["id"], 1500)
    for locale, words in (("en", ("Invoice no.", "Amount due")), ("fr", ("Facture no", "dû"))):
        caller = api.as_(world.billing_admin).with_headers(**{"accept-language": locale})
        asked = (await caller.execute(PDF, {"i": invoice["id"]})).ok("invoicePdf")
        path = urlsplit(asked["downloadUrl"]).path
        assert path.startswith("/invoice-pdfs/")
        assert (await client.get(path)).status_code == 409
        await run_worker(settings)
        fetched = await client.get(path)
        assert fetched.status_code == 200 and fetched.headers["content-type"] == "application/pdf"
        assert f"invoice-{invoice['number']}.pdf" in fetched.headers["content-disposition"]
        text = spaced(text_of(fetched.content))
        total, due = {"en": ("$45.99", "$30.99"), "fr": ("45,99 $", "30,99 $")}[locale]
        assert total in text and due in text, text
        assert all(w in text for w in words), text
        assert (await client.get(path)).status_code == 410


async def test_the_primary_gets_their_finalized_invoices_only(api, world):
    account, link = await household(world)
    gid = ids.encode("ClientAccount", account.id)
    await Contact.filter(id=account.primary_contact_id).update(user_id=world.loner.user.id)
    invoice = await open_invoice(api, world, gid)
    assert (await api.as_(world.loner).execute(PDF, {"i": invoice["id"]})).ok("invoicePdf")
    draft = (await api.as_(world.billing_admin).execute(CREATE, {"a": gid})).ok("invoiceCreate")
    refused = await api.as_(world.loner).execute(PDF, {"i": draft["invoice"]["id"]})
    assert (refused.error_codes or refused.payload_codes("invoicePdf")) == ["NOT_FOUND"]
    outsider = await api.as_(world.outsider).execute(PDF, {"i": invoice["id"]})
    assert (outsider.error_codes or outsider.payload_codes("invoicePdf")) == ["NOT_FOUND"]
    viewer = await api.as_(world.viewer).execute(PDF, {"i": invoice["id"]})
    assert viewer.error_codes == ["FORBIDDEN"]
    assert await Task.filter(function="render_invoice_pdf").count() == 1
