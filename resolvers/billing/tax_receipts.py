"""Québec's yearly RL-24 receipts (childcare expenses), from the ledger's records.

For a calendar year (in the organization's timezone), per member and payer (the primary
of the account that bought): what was PAID that year on the invoices of purchases of
catalogue items flagged `rl24_eligible`. For each such invoice the eligible amount is

    min(payments received in the year − refunds succeeded in the year,
        invoice total − credit notes issued by the year's end)

never below zero: a refund gives the money back, and a credit note (a cancellation)
means less was finally owed, whichever came first. Credit notes that come with a refund
are counted once, as the refund.

Each member gets one PDF receipt per payer (in the payer's language, EN/FR), stored as a
member document under a key made of the year, member and payer: running the job again
replaces it, never duplicates it; a plain-text receipt made by an earlier version under
the same key (ending in .txt) is replaced by the PDF. `request` queues the job;
`generate` is its idempotent body.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from carnet.i18n import N_
from carnet.storage import current_storage
from models.account_features import MemberDocument
from models.billing import CreditNote, Invoice, Payment, Refund, RefundStatus
from models.catalogue import Purchase
from models.contacts import Contact
from models.organizations import Organization
from resolvers.accounts import member_documents
from resolvers.billing.pdf import render_tax_receipt
from resolvers.common import audit
from resolvers.common.actor import Actor
from resolvers.common.errors import UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now

JOB = "generate_tax_receipts"
FIRST_YEAR = 2000
CONTENT_TYPE = "application/pdf"


def _check_year(year: int, organization: Organization) -> None:
    current = now().astimezone(ZoneInfo(organization.timezone)).year
    if not FIRST_YEAR <= year <= current:
        raise UserErrors.single(
            UserErrorCode.INVALID,
            ("input", "year"),
            N_("Choose a year from {first} to {last}."),
            first=FIRST_YEAR,
            last=current,
        )


async def request(actor: Actor, year: int) -> int:
    """Queues the receipts of `year`, after commit; the year."""
    _check_year(year, actor.organization)
    async with unit_of_work() as uow:
        await audit.record(
            "billing.tax_receipts.generate",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("Organization", actor.organization_id),
            after={"year": year},
        )
        await uow.defer(JOB, actor.organization_id, year)
    return year


@dataclass
class Receipt:
    member_contact_id: int
    payer_contact_id: int
    currency: str
    lines: list[tuple[str, int]] = field(default_factory=list)  # item name, eligible paid

    @property
    def total(self) -> int:
        return sum(amount for _, amount in self.lines)


def _sums(rows) -> dict[int, int]:
    found: dict[int, int] = defaultdict(int)
    for key, amount in rows:
        found[key] += amount
    return found


async def receipts(organization: Organization, year: int) -> list[Receipt]:
    """The figures of every receipt of `year`, members with nothing eligible paid left out."""
    zone = ZoneInfo(organization.timezone)
    start, end = datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)
    purchases = await Purchase.filter(
        organization_id=organization.id, item__rl24_eligible=True, invoice_id__isnull=False
    ).select_related("item", "member", "account")
    invoice_ids = list({p.invoice_id for p in purchases})
    if not invoice_ids:
        return []
    invoices = {i.id: i for i in await Invoice.filter(id__in=invoice_ids)}
    paid = _sums(
        await Payment.filter(
            invoice_id__in=invoice_ids, received_at__gte=start, received_at__lt=end
        ).values_list("invoice_id", "amount")
    )
    refunded = _sums(
        await Refund.filter(
            payment__invoice_id__in=invoice_ids,
            status=RefundStatus.SUCCEEDED,
            completed_at__gte=start,
            completed_at__lt=end,
        ).values_list("payment__invoice_id", "amount")
    )
    credited = _sums(
        await CreditNote.filter(
            invoice_id__in=invoice_ids, refund_id__isnull=True, created_at__lt=end
        ).values_list("invoice_id", "amount")
    )
    found: dict[tuple[int, int], Receipt] = {}
    for purchase in sorted(purchases, key=lambda p: p.id):
        invoice = invoices[purchase.invoice_id]
        amount = min(
            paid[invoice.id] - refunded[invoice.id], invoice.total - credited[invoice.id]
        )
        if amount <= 0:
            continue
        key = (purchase.member.contact_id, purchase.account.primary_contact_id)
        receipt = found.setdefault(key, Receipt(key[0], key[1], invoice.currency))
        receipt.lines.append((purchase.item.name, amount))
    return list(found.values())


def _name(contact: Contact) -> str:
    return f"{contact.first_name} {contact.last_name}".strip()


def _locale(contact: Contact) -> str:
    return str(getattr(contact.locale, "value", contact.locale))


def render(organization: Organization, year: int, receipt: Receipt, contacts) -> bytes:
    member, payer = contacts[receipt.member_contact_id], contacts[receipt.payer_contact_id]
    return render_tax_receipt(
        organization,
        year,
        _name(member),
        _name(payer),
        receipt.lines,
        receipt.currency,
        _locale(payer),
    )


def document_key(organization_id: int, year: int, receipt: Receipt) -> str:
    return (
        f"org/{organization_id}/tax-receipts/"
        f"rl24-{year}-c{receipt.member_contact_id}-p{receipt.payer_contact_id}.pdf"
    )


async def _drop_text_version(organization_id: int, key: str) -> str | None:
    """The row of the plain-text receipt an earlier version wrote for the same year,
    member and payer, deleted so the PDF replaces it instead of joining it; its storage key,
    for the file to go once the deletion is committed."""
    legacy = key.removesuffix(".pdf") + ".txt"
    document = await MemberDocument.filter(
        organization_id=organization_id, storage_key=legacy
    ).first()
    if document is not None:
        await document.delete()
        return legacy
    return None


async def generate(organization_id: int, year: int) -> int:
    """The job's body: every receipt of the year written or rewritten; how many. One at a
    time per organization (its row locked), so two runs never race to a duplicate."""
    async with unit_of_work():
        organization = (
            await Organization.filter(id=organization_id).select_for_update().get()
        )
        found = await receipts(organization, year)
        wanted = {r.member_contact_id for r in found} | {r.payer_contact_id for r in found}
        contacts = {c.id: c for c in await Contact.filter(id__in=list(wanted))}
        dropped: list[str] = []
        for receipt in found:
            key = document_key(organization_id, year, receipt)
            if legacy := await _drop_text_version(organization_id, key):
                dropped.append(legacy)
            await member_documents.put_generated(
                organization_id,
                receipt.member_contact_id,
                key,
                f"RL-24 {year} — {_name(contacts[receipt.payer_contact_id])}"[:196] + ".pdf",
                render(organization, year, receipt, contacts),
                CONTENT_TYPE,
            )
    for legacy in dropped:
        await current_storage().delete(legacy)
    return len(found)
