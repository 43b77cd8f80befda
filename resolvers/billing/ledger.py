"""The account ledger: entries appended by every money movement, and what is read back
from them alone (balance, credit, statements), so any past state can be rebuilt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.functions import Sum

from models.billing import Invoice, LedgerEntry, LedgerKind


async def append(
    kind: LedgerKind,
    amount: int,
    invoice: Invoice,
    source: tuple[str, int],
) -> LedgerEntry:
    """Adds one entry (inside the caller's unit of work); `amount` signed, positive when
    the account owes more."""
    return await LedgerEntry.create(
        organization_id=invoice.organization_id,
        account_id=invoice.account_id,
        kind=kind,
        amount=amount,
        currency=invoice.currency,
        source_type=source[0],
        source_id=source[1],
        invoice_id=invoice.id,
    )


async def _sum(account_id: int, currency: str, **when) -> int:
    rows = (
        await LedgerEntry.filter(account_id=account_id, currency=currency, **when)
        .annotate(total=Sum("amount"))
        .values_list("total", flat=True)
    )
    return int(rows[0] or 0) if rows else 0


@dataclass(frozen=True)
class Position:
    balance: int  # what the account owes (0 when in credit)
    credit: int  # what the organization owes the account (0 when it owes)
    net: int  # the sum of every entry: balance - credit


async def position(account_id: int, currency: str, at: datetime | None = None) -> Position:
    net = await _sum(account_id, currency, **({"created_at__lt": at} if at else {}))
    return Position(max(net, 0), max(-net, 0), net)


@dataclass(frozen=True)
class Statement:
    currency: str
    opening_balance: int  # net of every entry before `start`
    entries: list[LedgerEntry]
    closing_balance: int  # the opening plus every entry listed


async def statement(account_id: int, currency: str, start: datetime, end: datetime) -> Statement:
    opening = await _sum(account_id, currency, created_at__lt=start)
    entries = (
        await LedgerEntry.filter(
            account_id=account_id, currency=currency, created_at__gte=start, created_at__lt=end
        )
        .select_related("invoice")
        .order_by("created_at", "id")
    )
    closing = opening + sum(e.amount for e in entries)
    return Statement(currency, opening, entries, closing)
