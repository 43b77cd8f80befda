"""Authorization-matrix examples for billing (see tests/support/authz.py).

Each call builds its own household, invoice and payment directly in the database, so
allowed calls never collide; only OWNER, ADMIN (reads) and BILLING_ADMIN touch money.
"""

from __future__ import annotations

from itertools import count

from models.billing import Invoice, InvoiceLine, InvoiceStatus, Payment, PaymentMethod
from resolvers.common.time import now
from schema import ids
from tests.accounts_authz_examples import a_household
from tests.support.authz import example

_serial = count(1000)
ERRORS = "errors { code field }"


async def _invoice(world, status=InvoiceStatus.OPEN, paid: int = 0) -> Invoice:
    account, _ = await a_household(world)
    invoice = await Invoice.create(
        organization=world.organization,
        account=account,
        status=status,
        number=None if status is InvoiceStatus.DRAFT else next(_serial),
        currency="CAD",
        subtotal=1000,
        total=1000,
        amount_paid=paid,
    )
    await InvoiceLine.create(
        invoice=invoice,
        description="Court",
        quantity=1,
        unit_amount=1000,
        amount=1000,
        currency="CAD",
    )
    return invoice


async def an_account(world, caller):
    account, _ = await a_household(world)
    return {"a": ids.encode("ClientAccount", account.id)}


async def a_draft(world, caller):
    invoice = await _invoice(world, InvoiceStatus.DRAFT)
    line = await InvoiceLine.filter(invoice=invoice).first()
    return {"i": ids.encode("Invoice", invoice.id), "l": ids.encode("InvoiceLine", line.id)}


async def an_open_invoice(world, caller):
    return {"i": ids.encode("Invoice", (await _invoice(world)).id)}


async def a_cash_payment(world, caller):
    invoice = await _invoice(world, paid=1000)
    payment = await Payment.create(
        organization=world.organization,
        account_id=invoice.account_id,
        invoice=invoice,
        method=PaymentMethod.CASH,
        amount=1000,
        currency="CAD",
        received_at=now(),
    )
    return {"p": ids.encode("Payment", payment.id), "k": f"key-{next(_serial)}"}


async def organization_id(world, caller):
    return {"o": world.org_gid}


INVOICE = f"invoice {{ id status }} {ERRORS}"
example(
    "Query.invoices",
    "query($o: ID!) { invoices(organizationId: $o, first: 5) { edges { node { id } } } }",
    organization_id,
)
example(
    "Query.invoice", "query($i: ID!) { invoice(id: $i) { id total { amount } } }", an_open_invoice
)
example(
    "Query.statement",
    'query($a: ID!) { statement(accountId: $a, from: "2020-01-01T00:00:00Z", '
    'to: "2100-01-01T00:00:00Z") { closingBalance { amount } } }',
    an_account,
)
example(
    "ClientAccount.balance",
    "query($a: ID!) { balance: node(id: $a) { ... on ClientAccount { balance { amount } } } }",
    an_account,
)
example(
    "ClientAccount.credit",
    "query($a: ID!) { credit: node(id: $a) { ... on ClientAccount { credit { amount } } } }",
    an_account,
)
example(
    "Mutation.invoiceCreate",
    f"mutation($a: ID!) {{ invoiceCreate(input: {{accountId: $a}}) {{ {INVOICE} }} }}",
    an_account,
)
example(
    "Mutation.invoiceLineAdd",
    'mutation($i: ID!) { invoiceLineAdd(input: {invoiceId: $i, description: "Pass", '
    f'unitAmount: {{amount: 500, currency: "CAD"}}, taxCodes: [GST]}}) {{ {INVOICE} }} }}',
    a_draft,
)
example(
    "Mutation.invoiceLineRemove",
    f"mutation($l: ID!) {{ invoiceLineRemove(input: {{lineId: $l}}) {{ {INVOICE} }} }}",
    a_draft,
)
example(
    "Mutation.invoiceFinalize",
    f"mutation($i: ID!) {{ invoiceFinalize(input: {{invoiceId: $i}}) {{ {INVOICE} }} }}",
    a_draft,
)
example(
    "Mutation.invoiceVoid",
    f"mutation($i: ID!) {{ invoiceVoid(input: {{invoiceId: $i}}) {{ {INVOICE} }} }}",
    an_open_invoice,
)
example(
    "Mutation.invoiceMarkUncollectible",
    f"mutation($i: ID!) {{ invoiceMarkUncollectible(input: {{invoiceId: $i}}) {{ {INVOICE} }} }}",
    an_open_invoice,
)
example(
    "Mutation.paymentRecord",
    "mutation($i: ID!) { paymentRecord(input: {invoiceId: $i, method: CASH, "
    f'amount: {{amount: 100, currency: "CAD"}}}}) {{ payment {{ id }} {ERRORS} }} }}',
    an_open_invoice,
)
example(
    "Mutation.paymentCharge",
    'mutation($i: ID!) { paymentCharge(input: {invoiceId: $i, source: "tok_visa", '
    'idempotencyKey: "k1", amount: {amount: 100, currency: "CAD"}}) '
    f"{{ payment {{ id }} {ERRORS} }} }}",
    an_open_invoice,
)
example(
    "Mutation.refundCreate",
    "mutation($p: ID!, $k: String!) { refundCreate(input: {paymentId: $p, "
    f'reason: "Cancelled", idempotencyKey: $k}}) {{ refund {{ id }} {ERRORS} }} }}',
    a_cash_payment,
)
example(
    "Mutation.creditNoteCreate",
    'mutation($i: ID!) { creditNoteCreate(input: {invoiceId: $i, reason: "Goodwill", '
    f'amount: {{amount: 100, currency: "CAD"}}}}) {{ creditNote {{ id }} {ERRORS} }} }}',
    an_open_invoice,
)


async def a_payment_to_refund_in_bulk(world, caller):
    found = await a_cash_payment(world, caller)
    return {"o": world.org_gid, "p": found["p"]}


example(
    "Mutation.paymentsBulkRefund",
    "mutation($o: ID!, $p: ID!) { paymentsBulkRefund(input: {organizationId: $o, "
    'target: {paymentIds: [$p]}, reason: "Cancelled"}) '
    f"{{ operation {{ id }} {ERRORS} }} }}",
    a_payment_to_refund_in_bulk,
)


async def an_account_with_an_email(world, caller):
    from models.contacts import Contact

    account, _ = await a_household(world)
    n = next(_serial)
    await Contact.filter(id=account.primary_contact_id).update(email=f"holder{n}@example.test")
    return {"a": ids.encode("ClientAccount", account.id)}


PERIOD = 'from: "2020-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z"'
example(
    "Mutation.statementPdf",
    f"mutation($a: ID!) {{ statementPdf(input: {{accountId: $a, {PERIOD}}}) "
    f"{{ downloadUrl {ERRORS} }} }}",
    an_account,
)
example(
    "Mutation.statementSend",
    f"mutation($a: ID!) {{ statementSend(input: {{accountId: $a, {PERIOD}}}) "
    f"{{ sentTo {ERRORS} }} }}",
    an_account_with_an_email,
)
example(
    "Mutation.invoicePdf",
    f"mutation($i: ID!) {{ invoicePdf(input: {{invoiceId: $i}}) {{ downloadUrl {ERRORS} }} }}",
    an_open_invoice,
)
