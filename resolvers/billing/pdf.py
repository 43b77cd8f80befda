"""A statement, and an invoice, as a PDF (fpdf2, pure Python). A statement: the
organization's identity, the account, the period, the opening balance, every entry and the
closing balance; amounts formatted with Babel in the reader's language (EN/FR).

fpdf2's built-in Helvetica writes Latin-1: French needs nothing more, and the few other
characters (Babel's narrow no-break space in "1 234,56 $") are written as spaces, so that
a PDF reader copies the amounts as people read them.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_date
from babel.numbers import format_percent
from fpdf import FPDF

from carnet.i18n import N_, translate
from models.accounts import ClientAccount
from models.billing import Invoice, InvoiceLine
from models.organizations import Organization
from resolvers.billing.ledger import Statement
from resolvers.billing.money import TAX_RATES, format_money, remaining_due

KIND_LABELS = {
    "INVOICE": N_("Invoice"),
    "PAYMENT": N_("Payment"),
    "REFUND": N_("Refund"),
    "CREDIT_NOTE": N_("Credit note"),
    "VOID": N_("Void"),
}
_SPACES = str.maketrans({"\u202f": " ", "\u00a0": " ", "\u2009": " "})


def latin1(text: str) -> str:
    return text.translate(_SPACES).encode("latin-1", "replace").decode("latin-1")


def _day(moment: datetime, locale: str) -> str:
    return format_date(moment.date(), format="long", locale={"fr": "fr_CA"}.get(locale, "en_CA"))


def _identity(organization: Organization) -> list[str]:
    city = " ".join(
        x for x in (organization.city, organization.region, organization.postal_code) if x
    )
    lines = [organization.legal_name or organization.name, organization.address_line1]
    lines += [organization.address_line2, city]
    return [x for x in lines if x]


def render_statement(
    organization: Organization,
    account: ClientAccount,
    found: Statement,
    start: datetime,
    end: datetime,
    locale: str,
) -> bytes:
    def t(message: str, **params: object) -> str:
        return latin1(translate(message, locale, **params))

    def money(amount: int) -> str:
        return latin1(format_money(amount, found.currency, locale))

    pdf = FPDF(format="A4")
    pdf.set_title(t("Account statement"))
    pdf.set_creator("Carnet")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, t("Account statement"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for line in _identity(organization):
        pdf.cell(0, 5, latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.cell(0, 6, t("Account: {name}", name=account.name), new_x="LMARGIN", new_y="NEXT")
    period = t("Period: {start} to {end}", start=_day(start, locale), end=_day(end, locale))
    pdf.cell(0, 6, period, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(120, 7, t("Opening balance"))
    pdf.cell(0, 7, money(found.opening_balance), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for entry in found.entries:
        label = t(KIND_LABELS.get(str(getattr(entry.kind, "value", entry.kind)), N_("Entry")))
        number = entry.invoice.number if entry.invoice else None
        if number is not None:
            label += " " + t("(invoice no. {number})", number=number)
        pdf.cell(40, 6, latin1(_day(entry.created_at, locale)))
        pdf.cell(80, 6, label)
        pdf.cell(0, 6, money(entry.amount), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(120, 7, t("Closing balance"))
    pdf.cell(0, 7, money(found.closing_balance), align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def render_invoice(
    organization: Organization,
    account: ClientAccount,
    invoice: Invoice,
    lines: list[InvoiceLine],
    locale: str,
) -> bytes:
    """An invoice: its number and date, its lines, taxes as lines with their rate, the
    total, what was paid or credited and what remains due."""

    def t(message: str, **params: object) -> str:
        return latin1(translate(message, locale, **params))

    def money(amount: int) -> str:
        return latin1(format_money(amount, invoice.currency, locale))

    def row(label: str, amount: int, bold: bool = False) -> None:
        pdf.set_font("Helvetica", "B" if bold else "", 10)
        pdf.cell(150, 6, label)
        pdf.cell(0, 6, money(amount), align="R", new_x="LMARGIN", new_y="NEXT")

    title = (
        t("Invoice no. {number}", number=invoice.number)
        if invoice.number is not None
        else t("Draft invoice")
    )
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("Carnet")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for line in _identity(organization):
        pdf.cell(0, 5, latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.cell(0, 6, t("Account: {name}", name=account.name), new_x="LMARGIN", new_y="NEXT")
    if invoice.finalized_at is not None:
        issued = t("Issued on {date}", date=_day(invoice.finalized_at, locale))
        pdf.cell(0, 6, issued, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    taxes: dict[str, int] = {}
    for line in lines:
        row(latin1(f"{line.quantity} x {line.description}"), line.amount)
        for code, amount in line.taxes.items():
            taxes[code] = taxes.get(code, 0) + amount
    row(t("Subtotal"), invoice.subtotal, bold=True)
    for code, amount in taxes.items():
        rate = format_percent(
            TAX_RATES[code], "#,##0.###%", locale={"fr": "fr_CA"}.get(locale, "en_CA")
        )
        row(latin1(f"{code} ({rate})"), amount)
    row(t("Total"), invoice.total, bold=True)
    row(t("Paid"), invoice.amount_paid - invoice.amount_refunded)
    if invoice.amount_credited:
        row(t("Credited"), invoice.amount_credited)
    due = remaining_due(
        invoice.total, invoice.amount_paid, invoice.amount_refunded, invoice.amount_credited
    )
    row(t("Amount due"), due, bold=True)
    return bytes(pdf.output())


def render_tax_receipt(
    organization: Organization,
    year: int,
    child: str,
    payer: str,
    lines: list[tuple[str, int]],
    currency: str,
    locale: str,
) -> bytes:
    """A yearly RL-24 receipt (Québec childcare expenses): the organization, the year, the
    child and the payer, each eligible item with what was paid for it, and the total."""

    def t(message: str, **params: object) -> str:
        return latin1(translate(message, locale, **params))

    def money(amount: int) -> str:
        return latin1(format_money(amount, currency, locale))

    title = t("RL-24 slip: childcare expenses")
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("Carnet")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for line in _identity(organization):
        pdf.cell(0, 5, latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for text in (
        t("Year: {year}", year=str(year)),
        t("Child: {name}", name=child),
        t("Payer: {name}", name=payer),
    ):
        pdf.cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for name, amount in lines:
        pdf.cell(150, 6, latin1(name))
        pdf.cell(0, 6, money(amount), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(150, 7, t("Total eligible expenses paid"))
    pdf.cell(0, 7, money(sum(amount for _, amount in lines)), align="R")
    return bytes(pdf.output())
