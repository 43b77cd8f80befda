"""Invoices: drafts and their lines, finalizing, voiding, writing off; the lists."""

from __future__ import annotations

import strawberry

from models.billing import Invoice, InvoiceStatus
from resolvers.billing import invoices
from resolvers.common.permissions import Permission
from schema.billing.types import (
    InvoicePayload,
    InvoiceStatusEnum,
    InvoiceType,
    MoneyInput,
    TaxCode,
)
from schema.permissions import describe, requires
from schema.scope import scoped_id, scoped_id_or_none
from schema.types import Connection


@strawberry.input
class InvoiceCreateInput:
    account_id: strawberry.ID = strawberry.field(description="The client account billed.")
    memo: str | None = None


@strawberry.input
class InvoiceLineAddInput:
    invoice_id: strawberry.ID
    description: str
    quantity: int = 1
    unit_amount: MoneyInput
    tax_codes: list[TaxCode] = strawberry.field(
        default_factory=list, description="Taxes on this line, e.g. [GST, QST]."
    )


@strawberry.input
class InvoiceLineRemoveInput:
    line_id: strawberry.ID


@strawberry.input
class InvoiceInput:
    invoice_id: strawberry.ID


def _write(scope: str = "input.invoiceId") -> dict:
    return requires(Permission.BILLING_WRITE, scope=scope)


@strawberry.type
class InvoicesQuery:
    @strawberry.field(
        **describe(
            "The organization's invoices, newest first; by account and status.",
            requires(Permission.BILLING_READ, scope="organizationId"),
        )
    )
    async def invoices(
        self,
        info: strawberry.Info,
        organization_id: strawberry.ID,
        account_id: strawberry.ID | None = None,
        status: InvoiceStatusEnum | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[InvoiceType]:
        account_pk = await scoped_id_or_none(info, account_id, "ClientAccount", ("accountId",))
        page = await invoices.invoices(
            info.context.actor(info).organization_id,
            account_pk,
            InvoiceStatus(status) if status else None,
            first=first,
            after=after,
        )
        return Connection.of(page)

    @strawberry.field(**describe("One invoice.", requires(Permission.BILLING_READ)))
    async def invoice(self, info: strawberry.Info, id: strawberry.ID) -> InvoiceType | None:
        return await Invoice.get_or_none(id=await scoped_id(info, id, "Invoice", ("id",)))


@strawberry.type
class InvoicesMutation:
    @strawberry.mutation(
        **describe(
            "Starts a DRAFT invoice for a client account, in the organization's currency.",
            _write("input.accountId"),
        )
    )
    async def invoice_create(
        self, info: strawberry.Info, input: InvoiceCreateInput
    ) -> InvoicePayload:
        pk = await scoped_id(info, input.account_id, "ClientAccount", ("input", "accountId"))
        invoice = await invoices.create(info.context.actor(info), pk, input.memo)
        return InvoicePayload(invoice=invoice)

    @strawberry.mutation(
        **describe(
            "Adds a line to a DRAFT: quantity × unit amount, each tax rounded half up on the line.",
            _write(),
        )
    )
    async def invoice_line_add(
        self, info: strawberry.Info, input: InvoiceLineAddInput
    ) -> InvoicePayload:
        pk = await scoped_id(info, input.invoice_id, "Invoice", ("input", "invoiceId"))
        invoice = await invoices.line_add(
            info.context.actor(info),
            pk,
            input.description,
            input.quantity,
            input.unit_amount.amount,
            input.unit_amount.currency,
            [TaxCode(c).value for c in input.tax_codes],
        )
        return InvoicePayload(invoice=invoice)

    @strawberry.mutation(**describe("Removes a line from a DRAFT.", _write("input.lineId")))
    async def invoice_line_remove(
        self, info: strawberry.Info, input: InvoiceLineRemoveInput
    ) -> InvoicePayload:
        pk = await scoped_id(info, input.line_id, "InvoiceLine", ("input", "lineId"))
        invoice = await invoices.line_remove(info.context.actor(info), pk)
        return InvoicePayload(invoice=invoice)

    @strawberry.mutation(
        **describe(
            "DRAFT → OPEN: assigns the organization's next number (gapless) and records "
            "the total in the account's ledger.",
            _write(),
        )
    )
    async def invoice_finalize(self, info: strawberry.Info, input: InvoiceInput) -> InvoicePayload:
        pk = await scoped_id(info, input.invoice_id, "Invoice", ("input", "invoiceId"))
        return InvoicePayload(invoice=await invoices.finalize(info.context.actor(info), pk))

    @strawberry.mutation(
        **describe(
            "OPEN or UNCOLLECTIBLE → VOID: what remained due leaves the ledger; the number "
            "stays used.",
            _write(),
        )
    )
    async def invoice_void(self, info: strawberry.Info, input: InvoiceInput) -> InvoicePayload:
        pk = await scoped_id(info, input.invoice_id, "Invoice", ("input", "invoiceId"))
        return InvoicePayload(invoice=await invoices.void(info.context.actor(info), pk))

    @strawberry.mutation(**describe("OPEN → UNCOLLECTIBLE (written off, still payable).", _write()))
    async def invoice_mark_uncollectible(
        self, info: strawberry.Info, input: InvoiceInput
    ) -> InvoicePayload:
        pk = await scoped_id(info, input.invoice_id, "Invoice", ("input", "invoiceId"))
        invoice = await invoices.mark_uncollectible(info.context.actor(info), pk)
        return InvoicePayload(invoice=invoice)
