"""The billing ledger: invoices with lines, payments, refunds, credit notes, and the
append-only ledger of every money movement per client account.

Money is integer minor units (cents) with an ISO 4217 currency; never floats.
`LedgerEntry` rows are never updated or deleted (a database trigger refuses it, see
migration 0028): a correction is a new entry, so a statement can be rebuilt at any date.
Plans, subscriptions and the catalogue live in models/catalogue.py, not here.
"""

from enum import StrEnum

from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint
from tortoise.models import Model

from models.base import TimestampedModel


class InvoiceStatus(StrEnum):
    DRAFT = "DRAFT"  # editable lines, no number
    OPEN = "OPEN"  # numbered, due
    PAID = "PAID"  # nothing remains due
    VOID = "VOID"  # cancelled after finalizing; the number stays used
    UNCOLLECTIBLE = "UNCOLLECTIBLE"  # written off, still payable


class PaymentMethod(StrEnum):
    CARD = "CARD"  # through the payment provider
    CASH = "CASH"
    CHEQUE = "CHEQUE"
    TRANSFER = "TRANSFER"


class RefundStatus(StrEnum):
    PENDING = "PENDING"  # written, the provider not yet confirmed (card refunds)
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"  # the provider refused: the amount is refundable again


class LedgerKind(StrEnum):
    INVOICE = "INVOICE"  # + the total, when an invoice is finalized
    PAYMENT = "PAYMENT"  # - the amount received
    REFUND = "REFUND"  # + the amount given back
    CREDIT_NOTE = "CREDIT_NOTE"  # - the amount credited
    VOID = "VOID"  # - what remained due on a voided invoice


class InvoiceCounter(Model):
    """The next invoice number of one organization: its row is locked FOR UPDATE by the
    finalizing transaction, so numbers are gapless and never given twice."""

    id = fields.BigIntField(primary_key=True)
    organization = fields.OneToOneField(
        "models.Organization", related_name="invoice_counter", on_delete=fields.CASCADE
    )
    last_number = fields.BigIntField(default=0)

    class Meta:
        table = "billing_invoice_counter"


class Invoice(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="invoices", on_delete=fields.CASCADE
    )
    account = fields.ForeignKeyField(
        "models.ClientAccount", related_name="invoices", on_delete=fields.NO_ACTION
    )
    number = fields.BigIntField(null=True)  # assigned by invoiceFinalize
    status = fields.CharEnumField(InvoiceStatus, max_length=16, default=InvoiceStatus.DRAFT)
    currency = fields.CharField(max_length=3)
    memo = fields.CharField(max_length=500, default="")
    # Kept in step with the lines while a draft; frozen once finalized.
    subtotal = fields.BigIntField(default=0)
    tax_total = fields.BigIntField(default=0)
    total = fields.BigIntField(default=0)
    amount_paid = fields.BigIntField(default=0)  # payments applied
    amount_refunded = fields.BigIntField(default=0)  # refunds of those payments, succeeded
    amount_credited = fields.BigIntField(default=0)  # credit notes
    finalized_at = fields.DatetimeField(null=True)
    paid_at = fields.DatetimeField(null=True)
    voided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "billing_invoice"
        constraints = (
            UniqueConstraint(fields=("organization_id", "number"), name="billing_invoice_number"),
        )
        indexes = (("organization_id", "status", "id"), ("account_id", "id"))


class InvoiceLine(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    invoice = fields.ForeignKeyField(
        "models.Invoice", related_name="lines", on_delete=fields.CASCADE
    )
    description = fields.CharField(max_length=500)
    quantity = fields.IntField()
    unit_amount = fields.BigIntField()
    amount = fields.BigIntField()  # quantity × unit amount
    currency = fields.CharField(max_length=3)  # the invoice's
    tax_codes = fields.JSONField(default=list)  # ["GST", "QST"]
    # Each tax of this line, rounded half up on its own: {"GST": 50, "QST": 100}.
    taxes = fields.JSONField(default=dict)

    class Meta:
        table = "billing_invoice_line"
        indexes = (("invoice_id", "id"),)


class Payment(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="payments", on_delete=fields.CASCADE
    )
    account = fields.ForeignKeyField(
        "models.ClientAccount", related_name="payments", on_delete=fields.NO_ACTION
    )
    invoice = fields.ForeignKeyField(
        "models.Invoice", related_name="payments", on_delete=fields.NO_ACTION
    )
    method = fields.CharEnumField(PaymentMethod, max_length=8)
    amount = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    amount_refunded = fields.BigIntField(default=0)  # refunds written, pending ones included
    reference = fields.CharField(max_length=200, default="")  # cheque number, provider charge
    received_at = fields.DatetimeField()

    class Meta:
        table = "billing_payment"
        indexes = (("organization_id", "id"), ("account_id", "id"), ("invoice_id",))


class Refund(TimestampedModel):
    """Written, with its idempotency key, before the provider is called (in a job)."""

    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="refunds", on_delete=fields.CASCADE
    )
    payment = fields.ForeignKeyField(
        "models.Payment", related_name="refunds", on_delete=fields.NO_ACTION
    )
    amount = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    reason = fields.CharField(max_length=500)
    idempotency_key = fields.CharField(max_length=255)
    # The parameters given with the key: the same key must come with the same ones.
    request = fields.JSONField(default=dict)
    status = fields.CharEnumField(RefundStatus, max_length=10, default=RefundStatus.PENDING)
    provider_reference = fields.CharField(max_length=200, default="")
    failure = fields.CharField(max_length=500, default="")
    completed_at = fields.DatetimeField(null=True)
    created_by = fields.ForeignKeyField(
        "models.User", related_name="refunds_created", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "billing_refund"
        constraints = (
            UniqueConstraint(
                fields=("organization_id", "idempotency_key"), name="billing_refund_key"
            ),
        )
        indexes = (("payment_id",), ("organization_id", "status"))


class CreditNote(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="credit_notes", on_delete=fields.CASCADE
    )
    invoice = fields.ForeignKeyField(
        "models.Invoice", related_name="credit_notes", on_delete=fields.NO_ACTION
    )
    amount = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    reason = fields.CharField(max_length=500)
    # Set when the credit note comes with a refund: the sale is reduced by what is returned.
    refund = fields.OneToOneField(
        "models.Refund", related_name="credit_note", null=True, on_delete=fields.NO_ACTION
    )
    created_by = fields.ForeignKeyField(
        "models.User", related_name="credit_notes_created", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "billing_credit_note"
        indexes = (("invoice_id",),)


class LedgerEntry(Model):
    """One money movement on an account, positive when the account owes more. Append-only."""

    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="ledger_entries", on_delete=fields.CASCADE
    )
    account = fields.ForeignKeyField(
        "models.ClientAccount", related_name="ledger_entries", on_delete=fields.NO_ACTION
    )
    kind = fields.CharEnumField(LedgerKind, max_length=12)
    amount = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    # What the entry records: an Invoice, a Payment, a Refund, a CreditNote.
    source_type = fields.CharField(max_length=20)
    source_id = fields.BigIntField()
    invoice = fields.ForeignKeyField(
        "models.Invoice", related_name="ledger_entries", null=True, on_delete=fields.NO_ACTION
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "billing_ledger_entry"
        indexes = (("account_id", "created_at", "id"),)
