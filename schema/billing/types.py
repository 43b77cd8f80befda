"""Billing's GraphQL types: Money, invoices and their lines, payments, refunds, credit
notes, ledger entries and statements."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import strawberry
from strawberry.dataloader import DataLoader

from models.billing import (
    CreditNote,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LedgerKind,
    Payment,
    PaymentMethod,
    Refund,
    RefundStatus,
)
from resolvers.billing import invoices, ledger, loaders
from resolvers.billing.money import TAX_RATES, format_money
from resolvers.common.permissions import Permission
from schema import ids
from schema.payloads import Payload
from schema.types import Node, model_node

InvoiceStatusEnum = strawberry.enum(InvoiceStatus, name="InvoiceStatus")
PaymentMethodEnum = strawberry.enum(PaymentMethod, name="PaymentMethod")
RefundStatusEnum = strawberry.enum(RefundStatus, name="RefundStatus")
LedgerKindEnum = strawberry.enum(
    LedgerKind,
    name="LedgerEntryKind",
    description="INVOICE adds what an invoice asks; PAYMENT, CREDIT_NOTE and VOID take off; "
    "REFUND adds back what was returned.",
)


@strawberry.enum(description="Québec's sales taxes: GST 5 %, QST 9.975 %.")
class TaxCode(StrEnum):
    GST = "GST"
    QST = "QST"


@strawberry.type(description="An amount in minor units (cents) of an ISO 4217 currency.")
class Money:
    amount: int = strawberry.field(description="Minor units (cents); never a float.")
    currency: str

    @strawberry.field(description='For people, with Babel: en ("$1,234.56") or fr.')
    def formatted(self, info: strawberry.Info, locale: str | None = None) -> str:
        wanted = locale if locale in ("en", "fr") else info.context.locale
        return format_money(self.amount, self.currency, wanted)


@strawberry.input(description="An amount in minor units (cents) and its ISO 4217 currency.")
class MoneyInput:
    amount: int
    currency: str


def money(amount: int, currency: str) -> Money:
    return Money(amount=amount, currency=currency)


@strawberry.type(description="One tax of an invoice: the sum of its per-line amounts.")
class TaxLine:
    code: TaxCode
    rate: str = strawberry.field(description='A decimal fraction: "0.09975".')
    amount: Money


@model_node("InvoiceLine", InvoiceLine, Permission.BILLING_READ, "invoice__organization_id")
class InvoiceLineType(Node):
    description: str
    quantity: int
    tax_codes: list[str]

    @strawberry.field
    def unit_amount(self) -> Money:
        return money(self.unit_amount, self.currency)

    @strawberry.field(description="Quantity × unit amount, before taxes.")
    def amount(self) -> Money:
        return money(self.amount, self.currency)


async def _loaded(info: strawberry.Info, name: str, parent_id: int) -> list:
    batch = getattr(loaders, name)
    return await info.context.loader(f"billing.{name}", lambda: DataLoader(batch)).load(parent_id)


def _ref(type_name: str, pk: int | None) -> strawberry.ID | None:
    return None if pk is None else strawberry.ID(ids.encode(type_name, pk))


@model_node("Invoice", Invoice, Permission.BILLING_READ)
class InvoiceType(Node):
    number: int | None = strawberry.field(description="Assigned when finalized; gapless.")
    status: InvoiceStatusEnum
    currency: str
    memo: str
    created_at: datetime
    finalized_at: datetime | None
    paid_at: datetime | None
    voided_at: datetime | None

    @strawberry.field(description="The client account billed (its global id).")
    def account_id(self) -> strawberry.ID:
        return strawberry.ID(ids.encode("ClientAccount", self.account_id))

    @strawberry.field
    def subtotal(self) -> Money:
        return money(self.subtotal, self.currency)

    @strawberry.field
    def tax_total(self) -> Money:
        return money(self.tax_total, self.currency)

    @strawberry.field
    def total(self) -> Money:
        return money(self.total, self.currency)

    @strawberry.field
    def amount_paid(self) -> Money:
        return money(self.amount_paid, self.currency)

    @strawberry.field
    def amount_refunded(self) -> Money:
        return money(self.amount_refunded, self.currency)

    @strawberry.field
    def amount_credited(self) -> Money:
        return money(self.amount_credited, self.currency)

    @strawberry.field(description="What remains due: total − paid + refunded − credited.")
    def amount_due(self) -> Money:
        return money(invoices.remaining(self), self.currency)

    @strawberry.field
    async def lines(self, info: strawberry.Info) -> list[InvoiceLineType]:
        return await _loaded(info, "lines_of", self.id)

    @strawberry.field(description="Each tax, summed from its per-line amounts.")
    async def tax_lines(self, info: strawberry.Info) -> list[TaxLine]:
        sums: dict[str, int] = {}
        for line in await _loaded(info, "lines_of", self.id):
            for code, amount in line.taxes.items():
                sums[code] = sums.get(code, 0) + amount
        return [
            TaxLine(code=TaxCode(code), rate=str(TAX_RATES[code]), amount=money(a, self.currency))
            for code, a in sums.items()
        ]

    @strawberry.field
    async def payments(self, info: strawberry.Info) -> list[PaymentType]:
        return await _loaded(info, "payments_of", self.id)

    @strawberry.field
    async def credit_notes(self, info: strawberry.Info) -> list[CreditNoteType]:
        return await _loaded(info, "credit_notes_of", self.id)


@model_node("Payment", Payment, Permission.BILLING_READ)
class PaymentType(Node):
    method: PaymentMethodEnum
    reference: str
    received_at: datetime

    @strawberry.field
    def invoice_id(self) -> strawberry.ID:
        return strawberry.ID(ids.encode("Invoice", self.invoice_id))

    @strawberry.field
    def amount(self) -> Money:
        return money(self.amount, self.currency)

    @strawberry.field(description="Refunds written so far, pending ones included.")
    def amount_refunded(self) -> Money:
        return money(self.amount_refunded, self.currency)

    @strawberry.field(description="What may still be refunded.")
    def refundable(self) -> Money:
        return money(self.amount - self.amount_refunded, self.currency)

    @strawberry.field
    async def refunds(self, info: strawberry.Info) -> list[RefundType]:
        return await _loaded(info, "refunds_of", self.id)


@model_node("Refund", Refund, Permission.BILLING_READ)
class RefundType(Node):
    status: RefundStatusEnum = strawberry.field(
        description="PENDING until the provider confirms a card refund."
    )
    reason: str
    idempotency_key: str
    failure: str
    created_at: datetime
    completed_at: datetime | None

    @strawberry.field
    def payment_id(self) -> strawberry.ID:
        return strawberry.ID(ids.encode("Payment", self.payment_id))

    @strawberry.field
    def amount(self) -> Money:
        return money(self.amount, self.currency)


@model_node("CreditNote", CreditNote, Permission.BILLING_READ)
class CreditNoteType(Node):
    reason: str
    created_at: datetime

    @strawberry.field
    def invoice_id(self) -> strawberry.ID:
        return strawberry.ID(ids.encode("Invoice", self.invoice_id))

    @strawberry.field(description="The refund it came with, if any.")
    def refund_id(self) -> strawberry.ID | None:
        return _ref("Refund", self.refund_id)

    @strawberry.field
    def amount(self) -> Money:
        return money(self.amount, self.currency)


@strawberry.type(description="One money movement on an account; entries are never changed.")
class LedgerEntryType:
    kind: LedgerKindEnum
    amount: Money = strawberry.field(description="Positive when the account owes more.")
    created_at: datetime
    source_type: str = strawberry.field(description="Invoice, Payment, Refund or CreditNote.")
    source_id: strawberry.ID
    invoice_number: int | None


def entry(row) -> LedgerEntryType:
    return LedgerEntryType(
        kind=row.kind,
        amount=money(row.amount, row.currency),
        created_at=row.created_at,
        source_type=row.source_type,
        source_id=strawberry.ID(ids.encode(row.source_type, row.source_id)),
        invoice_number=row.invoice.number if row.invoice else None,
    )


@strawberry.type(description="An account's entries over a period, rebuilt from the ledger.")
class StatementType:
    opening_balance: Money = strawberry.field(description="The sum of every earlier entry.")
    entries: list[LedgerEntryType]
    closing_balance: Money = strawberry.field(description="Opening plus the entries listed.")


def statement_of(found: ledger.Statement) -> StatementType:
    return StatementType(
        opening_balance=money(found.opening_balance, found.currency),
        entries=[entry(e) for e in found.entries],
        closing_balance=money(found.closing_balance, found.currency),
    )


@strawberry.type
class InvoicePayload(Payload):
    invoice: InvoiceType | None = None


@strawberry.type
class PaymentPayload(Payload):
    payment: PaymentType | None = None


@strawberry.type
class RefundPayload(Payload):
    refund: RefundType | None = None


@strawberry.type
class CreditNotePayload(Payload):
    credit_note: CreditNoteType | None = None
