"""Yearly RL-24 receipts: per member and payer, what was paid in the year for eligible
items, net of refunds and credit notes, stored as PDF member documents (read back with
pypdf, in the payer's language) by a job and downloadable through the member-document
link; a rerun makes no duplicate, and replaces a plain-text receipt of an earlier
version."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from carnet.storage import current_storage
from models.account_features import MemberDocument
from models.billing import Payment
from models.catalogue import ItemKind
from models.contacts import Contact
from models.identity import Locale
from models.tasks import Task
from resolvers.billing import tax_receipts
from schema import ids
from tests.accounts.test_member_documents import LINK, path_of
from tests.billing.flows import CREDIT, REFUND, pay
from tests.billing.test_statement_pdf import spaced, text_of
from tests.catalogue.flows import ERRORS, a_household, an_item
from tests.sales.test_purchase_invoices import BUY, CANCEL, _buy, codes
from tests.support.worker import run_worker

GENERATE = f"""mutation($o: ID!, $y: Int!) {{
  taxReceiptsGenerate(input: {{organizationId: $o, year: $y}}) {{ year {ERRORS} }} }}"""


async def _eligible(organization, amount=10000):
    item = await an_item(organization, ItemKind.ACTIVITY, amount=amount)
    item.rl24_eligible = True
    await item.save()
    return item


def _year(world) -> int:
    return datetime.now(ZoneInfo(world.organization.timezone)).year


async def _text(document) -> str:
    data = await current_storage().read(document.storage_key)
    assert data.startswith(b"%PDF-") and document.content_type == "application/pdf"
    return spaced(text_of(data))


def _name(contact) -> str:
    return f"{contact.first_name} {contact.last_name}"


async def test_receipts_per_member_net_of_credit_notes_and_a_rerun_duplicates_nothing(
    api, client, world, settings
):
    account, primary, child = await a_household(world.organization)
    camp = await _eligible(world.organization, 10000)  # 114.98 $ with taxes
    shop = await an_item(world.organization, ItemKind.MERCHANDISE, amount=5000)
    staff = api.as_(world.billing_admin)
    one = (await staff.execute(BUY, _buy(camp, child))).ok("purchaseCreate")["purchase"]
    two = (await staff.execute(BUY, _buy(camp, child))).ok("purchaseCreate")["purchase"]
    other = (await staff.execute(BUY, _buy(shop, child))).ok("purchaseCreate")["purchase"]
    await pay(api, world, one["invoice"]["id"], 11498)
    await pay(api, world, two["invoice"]["id"], 11498)
    await pay(api, world, other["invoice"]["id"], 5749)
    # The second camp partly credited after payment: 40.00 $ less was finally owed.
    credited = await staff.execute(CREDIT, {"i": two["invoice"]["id"], "a": 4000, "r": "Sick"})
    credited.ok("creditNoteCreate")
    # A purchase canceled before any payment counts nothing.
    three = (await staff.execute(BUY, _buy(camp, child))).ok("purchaseCreate")["purchase"]
    (await staff.execute(CANCEL, {"id": three["id"], "credit": None})).ok("purchaseCancel")

    result = await staff.execute(GENERATE, {"o": world.org_gid, "y": _year(world)})
    assert result.ok("taxReceiptsGenerate")["year"] == _year(world)
    assert await MemberDocument.all().count() == 0  # the job makes them
    await run_worker(settings)
    [document] = await MemberDocument.all()
    assert document.contact_id == child.contact_id
    assert document.name.startswith(f"RL-24 {_year(world)}")
    assert document.name.endswith(".pdf")
    text = await _text(document)
    child_contact = await Contact.get(id=child.contact_id)
    payer = await Contact.get(id=primary.contact_id)
    assert f"Child: {_name(child_contact)}" in text
    assert f"Payer: {_name(payer)}" in text
    assert f"Year: {_year(world)}" in text
    # 114.98 + 74.98 (shop not eligible), in the payer's language (English).
    assert "Total eligible expenses paid $189.96" in text.replace("\n", " ")
    assert text.count(camp.name) == 2 and shop.name not in text

    # Downloadable through the member-document link: the same PDF.
    gid = ids.encode("MemberDocument", document.id)
    url = (await staff.execute(LINK, {"id": gid})).ok("memberDocumentDownloadLink")[
        "downloadUrl"
    ]
    fetched = await client.get(path_of(url))
    assert fetched.status_code == 200, fetched.text
    assert fetched.headers["content-type"] == "application/pdf"
    assert fetched.content == await current_storage().read(document.storage_key)

    # Twice: the same document, rewritten.
    (await staff.execute(GENERATE, {"o": world.org_gid, "y": _year(world)})).ok(
        "taxReceiptsGenerate"
    )
    await run_worker(settings)
    assert await MemberDocument.all().count() == 1
    assert (await MemberDocument.get()).id == document.id
    # The job body run again directly: still one.
    await tax_receipts.generate(world.organization.id, _year(world))
    assert await MemberDocument.all().count() == 1
    assert await Task.filter(function=tax_receipts.JOB, status="DONE").count() == 2


async def test_only_payments_of_the_year_count(api, world, settings):
    _, _, child = await a_household(world.organization)
    camp = await _eligible(world.organization)
    staff = api.as_(world.billing_admin)
    bought = (await staff.execute(BUY, _buy(camp, child))).ok("purchaseCreate")["purchase"]
    await pay(api, world, bought["invoice"]["id"], 11498)
    last_year = datetime.now(ZoneInfo("UTC")) - timedelta(days=400)
    await Payment.all().update(received_at=last_year)
    await tax_receipts.generate(world.organization.id, _year(world))
    assert await MemberDocument.all().count() == 0
    assert await tax_receipts.generate(world.organization.id, last_year.year) == 1


async def test_generate_auth_bad_year_and_other_orgs(api, world):
    variables = {"o": world.org_gid, "y": _year(world)}
    refused = await api.as_(world.viewer).execute(GENERATE, variables)
    assert refused.error_codes == ["FORBIDDEN"]
    assert (await api.execute(GENERATE, variables)).error_codes == ["UNAUTHENTICATED"]
    foreign = await api.as_(world.outsider).execute(GENERATE, variables)
    assert codes(foreign, "taxReceiptsGenerate") == ["NOT_FOUND"]
    future = await api.as_(world.billing_admin).execute(
        GENERATE, {**variables, "y": _year(world) + 1}, **{"accept-language": "fr"}
    )
    assert future.payload_codes("taxReceiptsGenerate") == ["INVALID"]
    assert "année" in future.data["taxReceiptsGenerate"]["errors"][0]["message"]
    assert await Task.filter(function=tax_receipts.JOB).count() == 0


async def test_refunds_reduce_the_receipt(api, world):
    _, _, child = await a_household(world.organization)
    camp = await _eligible(world.organization)
    staff = api.as_(world.billing_admin)
    bought = (await staff.execute(BUY, _buy(camp, child))).ok("purchaseCreate")["purchase"]
    payment = await pay(api, world, bought["invoice"]["id"], 11498)
    refund = {
        "p": payment["id"],
        "amount": {"amount": 1000, "currency": "CAD"},
        "k": "rl24-refund",
        "r": "One day missed",
    }
    assert (await staff.execute(REFUND, refund)).ok("refundCreate")["refund"]["status"] == (
        "SUCCEEDED"
    )
    assert await tax_receipts.generate(world.organization.id, _year(world)) == 1
    text = await _text(await MemberDocument.get())
    assert "$104.98" in text


async def test_in_french_for_a_french_payer_and_replacing_a_text_receipt(api, world):
    _, primary, child = await a_household(world.organization)
    await Contact.filter(id=primary.contact_id).update(locale=Locale.FR)
    camp = await _eligible(world.organization)
    staff = api.as_(world.billing_admin)
    bought = (await staff.execute(BUY, _buy(camp, child))).ok("purchaseCreate")["purchase"]
    await pay(api, world, bought["invoice"]["id"], 11498)
    # The plain-text receipt an earlier version made for the same year, member and payer.
    year = _year(world)
    legacy = (
        f"org/{world.organization.id}/tax-receipts/"
        f"rl24-{year}-c{child.contact_id}-p{primary.contact_id}.txt"
    )
    await current_storage().put(legacy, b"RL-24")
    await MemberDocument.create(
        organization=world.organization,
        contact_id=child.contact_id,
        name=f"RL-24 {year}",
        content_type="text/plain",
        size=5,
        storage_key=legacy,
    )
    assert await tax_receipts.generate(world.organization.id, year) == 1
    [document] = await MemberDocument.all()
    assert document.storage_key == legacy.removesuffix(".txt") + ".pdf"
    assert await current_storage().size(legacy) is None
    text = await _text(document)
    child_contact = await Contact.get(id=child.contact_id)
    assert f"Enfant : {_name(child_contact)}" in text and f"Année : {year}" in text
    assert "Total des frais admissibles payés 114,98 $" in text.replace("\n", " ")
