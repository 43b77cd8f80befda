"""A statement as a PDF (fpdf2, pure Python): the organization's identity, the account,
the period, the opening balance, every entry and the closing balance, amounts formatted
with Babel in the reader's language (EN/FR).

fpdf2's built-in Helvetica writes Latin-1: French needs nothing more, and the few other
characters (Babel's narrow no-break space in "1 234,56 $") are written as spaces, so that
a PDF reader copies the amounts as people read them.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_date
from fpdf import FPDF

from carnet.i18n import N_, translate
from models.accounts import ClientAccount
from models.organizations import Organization
from resolvers.billing.ledger import Statement
from resolvers.billing.money import format_money

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
