"""Relationship-matrix examples of the billing fields the account's primary reaches from
the client side: statement and invoice PDFs, and the statement emailed to them. Only the
PRIMARY may; everyone else is answered NOT_FOUND (anonymous: UNAUTHENTICATED)."""

from __future__ import annotations

from tests.billing.flows import open_invoice
from tests.support.relationships import relationship_example

ERRORS = "errors { code field message }"
PERIOD = {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}


async def a_period(house, column):
    await open_invoice(house.api, house.world, house.account["id"])
    return {"input": {"accountId": house.account["id"], **PERIOD}}


async def an_invoice(house, column):
    invoice = await open_invoice(house.api, house.world, house.account["id"])
    return {"input": {"invoiceId": invoice["id"]}}


relationship_example(
    "Mutation.statementPdf",
    f"""mutation($input: StatementPeriodInput!) {{
      statementPdf(input: $input) {{ expiresAt {ERRORS} }} }}""",
    a_period,
)
relationship_example(
    "Mutation.statementSend",
    f"""mutation($input: StatementPeriodInput!) {{
      statementSend(input: $input) {{ sentTo {ERRORS} }} }}""",
    a_period,
)
relationship_example(
    "Mutation.invoicePdf",
    f"""mutation($input: InvoicePdfInput!) {{
      invoicePdf(input: $input) {{ expiresAt {ERRORS} }} }}""",
    an_invoice,
)
