"""Billing test helpers: a household to bill, and the operations as a client sends them."""

from __future__ import annotations

from tests.accounts_authz_examples import a_household

ERRORS = "errors { code field message }"
MONEY = "{ amount currency formatted }"
INVOICE = (
    f"invoice {{ id number status currency total {MONEY} subtotal {MONEY} taxTotal {MONEY} "
    f"amountDue {MONEY} amountPaid {MONEY} taxLines {{ code rate amount {MONEY} }} "
    f"lines {{ id description quantity amount {MONEY} }} }}"
)

CREATE = f"""mutation($a: ID!) {{
  invoiceCreate(input: {{accountId: $a}}) {{ {INVOICE} {ERRORS} }} }}"""
LINE_ADD = f"""mutation($i: ID!, $d: String!, $q: Int!, $u: Int!, $c: String!, $t: [TaxCode!]!) {{
  invoiceLineAdd(input: {{invoiceId: $i, description: $d, quantity: $q,
    unitAmount: {{amount: $u, currency: $c}}, taxCodes: $t}}) {{ {INVOICE} {ERRORS} }} }}"""
LINE_REMOVE = f"""mutation($l: ID!) {{
  invoiceLineRemove(input: {{lineId: $l}}) {{ {INVOICE} {ERRORS} }} }}"""
FINALIZE = f"""mutation($i: ID!) {{
  invoiceFinalize(input: {{invoiceId: $i}}) {{ {INVOICE} {ERRORS} }} }}"""
VOID = f"""mutation($i: ID!) {{
  invoiceVoid(input: {{invoiceId: $i}}) {{ {INVOICE} {ERRORS} }} }}"""
UNCOLLECTIBLE = f"""mutation($i: ID!) {{ invoiceMarkUncollectible(input: {{invoiceId: $i}})
  {{ {INVOICE} {ERRORS} }} }}"""
PAYMENT = f"payment {{ id method amount {MONEY} refundable {MONEY} }}"
PAY = f"""mutation($i: ID!, $a: Int!, $c: String!, $m: PaymentMethod!) {{
  paymentRecord(input: {{invoiceId: $i, method: $m, amount: {{amount: $a, currency: $c}},
    reference: "cheque 12"}}) {{ {PAYMENT} {ERRORS} }} }}"""
CHARGE = f"""mutation($i: ID!, $a: Int!, $k: String!) {{
  paymentCharge(input: {{invoiceId: $i, amount: {{amount: $a, currency: "CAD"}},
    source: "tok_visa", idempotencyKey: $k}}) {{ {PAYMENT} {ERRORS} }} }}"""
REFUND_FIELDS = f"refund {{ id status reason amount {MONEY} }}"
REFUND = f"""mutation($p: ID!, $amount: MoneyInput, $k: String!, $r: String!) {{
  refundCreate(input: {{paymentId: $p, amount: $amount, reason: $r, idempotencyKey: $k}})
  {{ {REFUND_FIELDS} {ERRORS} }} }}"""
CREDIT = f"""mutation($i: ID!, $a: Int!, $r: String!) {{
  creditNoteCreate(input: {{invoiceId: $i, amount: {{amount: $a, currency: "CAD"}}, reason: $r}})
  {{ creditNote {{ id amount {MONEY} reason }} {ERRORS} }} }}"""
POSITION = """query($id: ID!) { node(id: $id) { ... on ClientAccount {
  balance { amount currency } credit { amount currency } } } }"""
STATEMENT = f"""query($a: ID!, $from: DateTime!, $to: DateTime!) {{
  statement(accountId: $a, from: $from, to: $to) {{ openingBalance {MONEY}
    entries {{ kind amount {MONEY} sourceType invoiceNumber }} closingBalance {MONEY} }} }}"""


async def household(world):
    account, link = await a_household(world)
    return account, link


async def open_invoice(api, world, account_gid: str, lines=((1, 10000, ["GST", "QST"]),)) -> dict:
    """A finalized invoice with `lines` (quantity, unit amount in cents, taxes)."""
    caller = api.as_(world.billing_admin)
    invoice = (await caller.execute(CREATE, {"a": account_gid})).ok("invoiceCreate")["invoice"]
    for quantity, unit, taxes in lines:
        variables = {
            "i": invoice["id"],
            "d": "Swim lessons",
            "q": quantity,
            "u": unit,
            "c": "CAD",
            "t": taxes,
        }
        (await caller.execute(LINE_ADD, variables)).ok("invoiceLineAdd")
    return (await caller.execute(FINALIZE, {"i": invoice["id"]})).ok("invoiceFinalize")["invoice"]


async def pay(api, world, invoice_id: str, amount: int, method: str = "CASH") -> dict:
    result = await api.as_(world.billing_admin).execute(
        PAY, {"i": invoice_id, "a": amount, "c": "CAD", "m": method}
    )
    return result.ok("paymentRecord")["payment"]
