"""Batch loaders for invoice lists: an invoice's lines, payments (and their refunds) and
credit notes, one query per page for each, whatever the page's size."""

from __future__ import annotations

from collections import defaultdict

from tortoise.models import Model

from models.billing import CreditNote, InvoiceLine, Payment, Refund


async def _by_invoice(model: type[Model], invoice_ids: list[int]) -> list[list]:
    found: dict[int, list] = defaultdict(list)
    for row in await model.filter(invoice_id__in=invoice_ids).order_by("id"):
        found[row.invoice_id].append(row)
    return [found[pk] for pk in invoice_ids]


async def lines_of(invoice_ids: list[int]) -> list[list[InvoiceLine]]:
    return await _by_invoice(InvoiceLine, invoice_ids)


async def payments_of(invoice_ids: list[int]) -> list[list[Payment]]:
    return await _by_invoice(Payment, invoice_ids)


async def credit_notes_of(invoice_ids: list[int]) -> list[list[CreditNote]]:
    return await _by_invoice(CreditNote, invoice_ids)


async def refunds_of(payment_ids: list[int]) -> list[list[Refund]]:
    found: dict[int, list] = defaultdict(list)
    for row in await Refund.filter(payment_id__in=payment_ids).order_by("id"):
        found[row.payment_id].append(row)
    return [found[pk] for pk in payment_ids]
