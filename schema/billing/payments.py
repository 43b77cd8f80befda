"""Payments, refunds, credit notes, and what the ledger tells of an account (balance,
credit, statements), for staff and for the account's primary contact."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from carnet.i18n import N_
from models.accounts import ClientAccount
from models.billing import PaymentMethod
from resolvers.billing import credit_notes, ledger, payments, refunds
from resolvers.billing.money import Money as Amount
from resolvers.common.errors import BadUserInput
from resolvers.common.permissions import Permission
from schema.billing.types import (
    CreditNotePayload,
    Money,
    MoneyInput,
    PaymentMethodEnum,
    PaymentPayload,
    RefundPayload,
    StatementType,
    money,
    statement_of,
)
from schema.permissions import describe, requires
from schema.scope import scoped_id


@strawberry.input
class PaymentRecordInput:
    invoice_id: strawberry.ID
    method: PaymentMethodEnum = strawberry.field(description="CASH, CHEQUE or TRANSFER.")
    amount: MoneyInput
    reference: str | None = strawberry.field(default=None, description="A cheque number…")
    received_at: datetime | None = None


@strawberry.input
class PaymentChargeInput:
    invoice_id: strawberry.ID
    amount: MoneyInput
    source: str = strawberry.field(description="The provider's card token (tok_…).")
    idempotency_key: str = strawberry.field(description="Retry with the same key: one charge.")


@strawberry.input
class RefundCreateInput:
    payment_id: strawberry.ID
    amount: MoneyInput | None = strawberry.field(
        default=None, description="Omitted: all that remains refundable."
    )
    reason: str
    idempotency_key: str = strawberry.field(
        description="The same key with the same parameters returns the first refund; with "
        "other parameters, IDEMPOTENCY_KEY_REUSED."
    )


@strawberry.input
class CreditNoteCreateInput:
    invoice_id: strawberry.ID
    amount: MoneyInput
    reason: str


def _amount(value: MoneyInput) -> Amount:
    return Amount(value.amount, value.currency)


@strawberry.type
class PaymentsMutation:
    @strawberry.mutation(
        **describe(
            "Records a cash, cheque or transfer payment against an OPEN invoice (PAID when "
            "nothing remains); never more than what remains due.",
            requires(Permission.BILLING_WRITE, scope="input.invoiceId"),
        )
    )
    async def payment_record(
        self, info: strawberry.Info, input: PaymentRecordInput
    ) -> PaymentPayload:
        pk = await scoped_id(info, input.invoice_id, "Invoice", ("input", "invoiceId"))
        payment = await payments.record(
            info.context.actor(info),
            pk,
            PaymentMethod(input.method),
            _amount(input.amount),
            input.reference,
            input.received_at,
        )
        return PaymentPayload(payment=payment)

    @strawberry.mutation(
        **describe(
            "Charges a card through the payment provider and applies it to the invoice.",
            requires(Permission.BILLING_WRITE, scope="input.invoiceId"),
        )
    )
    async def payment_charge(
        self, info: strawberry.Info, input: PaymentChargeInput
    ) -> PaymentPayload:
        pk = await scoped_id(info, input.invoice_id, "Invoice", ("input", "invoiceId"))
        payment = await payments.charge(
            info.context.actor(info),
            pk,
            _amount(input.amount),
            input.source,
            input.idempotency_key,
        )
        return PaymentPayload(payment=payment)

    @strawberry.mutation(
        **describe(
            "Refunds a payment, partly or fully, never beyond what remains refundable. A "
            "card refund is PENDING until the provider confirms it (in the worker).",
            requires(Permission.BILLING_REFUND, scope="input.paymentId"),
        )
    )
    async def refund_create(self, info: strawberry.Info, input: RefundCreateInput) -> RefundPayload:
        pk = await scoped_id(info, input.payment_id, "Payment", ("input", "paymentId"))
        request = refunds.RefundRequest(
            payment_id=pk,
            amount=input.amount.amount if input.amount else None,
            currency=input.amount.currency if input.amount else None,
            reason=input.reason,
            idempotency_key=input.idempotency_key,
        )
        return RefundPayload(refund=await refunds.create(info.context.actor(info), request))

    @strawberry.mutation(
        **describe(
            "Credits an invoice, never beyond its total less earlier credit notes: reduces "
            "what is due, and beyond it becomes account credit.",
            requires(Permission.BILLING_WRITE, scope="input.invoiceId"),
        )
    )
    async def credit_note_create(
        self, info: strawberry.Info, input: CreditNoteCreateInput
    ) -> CreditNotePayload:
        pk = await scoped_id(info, input.invoice_id, "Invoice", ("input", "invoiceId"))
        note = await credit_notes.create(
            info.context.actor(info), pk, _amount(input.amount), input.reason
        )
        return CreditNotePayload(credit_note=note)


async def account_statement(
    account: ClientAccount, start: datetime, end: datetime
) -> StatementType:
    if end <= start:
        raise BadUserInput(N_("`to` must come after `from`."))
    currency = await _currency(account)
    return statement_of(await ledger.statement(account.id, currency, start, end))


async def _currency(account: ClientAccount) -> str:
    from models.organizations import Organization

    return (await Organization.get(id=account.organization_id)).currency


async def account_position(account: ClientAccount) -> tuple[Money, Money]:
    currency = await _currency(account)
    found = await ledger.position(account.id, currency)
    return money(found.balance, currency), money(found.credit, currency)


@strawberry.type
class StatementsQuery:
    @strawberry.field(
        **describe(
            "An account's statement for [from, to): opening balance, every entry, closing "
            "balance, rebuilt from the ledger.",
            requires(Permission.BILLING_READ, scope="accountId"),
        )
    )
    async def statement(
        self,
        info: strawberry.Info,
        account_id: strawberry.ID,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
    ) -> StatementType | None:
        pk = await scoped_id(info, account_id, "ClientAccount", ("accountId",))
        return await account_statement(await ClientAccount.get(id=pk), from_, to)
