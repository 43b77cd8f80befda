"""Money arithmetic, pure: integer minor units, taxes per line, formatting for people.

Taxes (Québec): GST 5 % and QST 9.975 %, each computed on each line's amount and rounded
half up to the cent on its own (never on the invoice's sum); the invoice's tax is the sum
of those per-line, per-tax amounts. So a line of 0.10 $ owes 0.01 $ of QST (0.009975
rounds up) and 0.01 $ of GST (0.005 rounds up).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency, get_currency_precision

from carnet.i18n import N_
from resolvers.common.errors import ErrorCollector, FieldPath, UserErrorCode

TAX_RATES: dict[str, Decimal] = {"GST": Decimal("0.05"), "QST": Decimal("0.09975")}
# The largest amount anywhere (a bigint holds more; this keeps sums far from overflow).
MAX_AMOUNT = 10**12


@dataclass(frozen=True)
class Money:
    amount: int  # minor units (cents)
    currency: str  # ISO 4217, upper case


def tax_of(amount: int, code: str) -> int:
    """One tax on one line, rounded half up to the minor unit (negative lines mirror)."""
    exact = Decimal(abs(amount)) * TAX_RATES[code]
    rounded = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return rounded if amount >= 0 else -rounded


def line_taxes(amount: int, codes: Sequence[str]) -> dict[str, int]:
    return {code: tax_of(amount, code) for code in codes}


@dataclass(frozen=True)
class Totals:
    subtotal: int
    taxes: dict[str, int]  # per tax code, summed over the lines

    @property
    def tax_total(self) -> int:
        return sum(self.taxes.values())

    @property
    def total(self) -> int:
        return self.subtotal + self.tax_total


def totals(lines: Iterable[tuple[int, dict[str, int]]]) -> Totals:
    """(line amount, that line's taxes) → the invoice's totals."""
    subtotal, taxes = 0, {}
    for amount, line_tax in lines:
        subtotal += amount
        for code, tax in line_tax.items():
            taxes[code] = taxes.get(code, 0) + tax
    return Totals(subtotal, taxes)


def remaining_due(total: int, paid: int, refunded: int, credited: int) -> int:
    """What an invoice still asks for; never below zero (a surplus is account credit)."""
    return max(total - paid + refunded - credited, 0)


def check_positive(amount: int, errors: ErrorCollector, field: FieldPath) -> None:
    if amount <= 0:
        errors.add(
            UserErrorCode.AMOUNT_NOT_POSITIVE,
            field,
            N_("Enter an amount above zero, in cents."),
        )
    elif amount > MAX_AMOUNT:
        errors.add(UserErrorCode.AMOUNT_TOO_HIGH, field, N_("This amount is too large."))


def check_currency(currency: str, expected: str, errors: ErrorCollector, field: FieldPath) -> None:
    if currency.strip().upper() != expected:
        errors.add(
            UserErrorCode.CURRENCY_MISMATCH,
            field,
            N_("Use {currency}, the currency of this record."),
            currency=expected,
        )


def format_money(amount: int, currency: str, locale: str) -> str:
    digits = get_currency_precision(currency)
    value = Decimal(amount).scaleb(-digits)
    return format_currency(value, currency, locale={"fr": "fr_CA"}.get(locale, "en_CA"))
