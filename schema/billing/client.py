"""The client side of billing: what an account's primary sees of their own account
(`me { accounts { invoices statement } }`); other account contacts are refused."""

from __future__ import annotations

from datetime import datetime

from models.accounts import ClientAccount
from models.billing import Invoice, InvoiceStatus
from resolvers.common.errors import Forbidden
from schema import ids
from schema.billing.payments import account_statement
from schema.billing.types import StatementType


async def _primary_account(mine) -> ClientAccount:
    # `mine.role` was worked out from the signed-in user's own contact in the account.
    if getattr(mine.role, "value", mine.role) != "PRIMARY":
        raise Forbidden()
    return await ClientAccount.get(id=ids.decode_as(mine.id, "ClientAccount"))


async def my_invoices(mine) -> list[Invoice]:
    account = await _primary_account(mine)
    return (
        await Invoice.filter(account_id=account.id)
        .exclude(status=InvoiceStatus.DRAFT)
        .order_by("-id")
    )


async def my_statement(mine, start: datetime, end: datetime) -> StatementType:
    return await account_statement(await _primary_account(mine), start, end)
