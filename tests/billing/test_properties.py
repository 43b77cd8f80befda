"""Property tests (hypothesis) for the billing arithmetic: per-line tax rounding and
totals, what remains refundable, and balances that always reconcile to the entries."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.billing import Invoice, LedgerEntry, Payment, PaymentMethod
from resolvers.billing import credit_notes, invoices, ledger, payments, refunds
from resolvers.billing.money import TAX_RATES, Money, line_taxes, remaining_due, tax_of, totals
from resolvers.common.actor import Actor
from resolvers.common.errors import UserErrors
from tests.billing.flows import household

amounts = st.integers(min_value=1, max_value=10**9)
codes = st.sampled_from([[], ["GST"], ["QST"], ["GST", "QST"]])


@given(amounts, st.sampled_from(sorted(TAX_RATES)))
def test_each_tax_is_the_exact_one_rounded_half_up(amount, code):
    exact = Decimal(amount) * TAX_RATES[code]
    tax = tax_of(amount, code)
    assert abs(Decimal(tax) - exact) <= Decimal("0.5")
    if exact - int(exact) == Decimal("0.5"):
        assert tax == int(exact) + 1  # half up, never to even


@given(st.lists(st.tuples(amounts, codes), min_size=1, max_size=20))
def test_the_total_is_the_sum_of_the_lines_and_their_taxes(lines):
    taxed = [(amount, line_taxes(amount, line_codes)) for amount, line_codes in lines]
    result = totals(taxed)
    assert result.subtotal == sum(a for a, _ in taxed)
    assert result.tax_total == sum(sum(t.values()) for _, t in taxed)
    assert result.total == result.subtotal + result.tax_total


@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6))
def test_remaining_due_is_never_negative(total, paid, refunded, credited):
    left = remaining_due(total, paid, refunded, credited)
    assert left >= 0 and left >= total - paid + refunded - credited


operations = st.lists(
    st.tuples(st.sampled_from(["pay", "refund", "credit", "void"]), st.integers(1, 12000)),
    max_size=8,
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    lines=st.lists(
        st.tuples(st.integers(1, 3), st.integers(1, 5000), codes), min_size=1, max_size=3
    ),
    steps=operations,
)
async def test_balances_always_equal_the_sum_of_entries(world, lines, steps):
    staff = world.billing_admin
    actor = Actor(staff.user, world.organization, staff.membership)
    account, _ = await household(world)
    invoice = await invoices.create(actor, account.id, "")
    for quantity, unit, line_codes in lines:
        await invoices.line_add(actor, invoice.id, "Item", quantity, unit, "CAD", line_codes)
    invoice = await invoices.finalize(actor, invoice.id)
    for index, (operation, amount) in enumerate(steps):
        try:
            if operation == "pay":
                await payments.record(
                    actor, invoice.id, PaymentMethod.CASH, Money(amount, "CAD"), "", None
                )
            elif operation == "credit":
                await credit_notes.create(actor, invoice.id, Money(amount, "CAD"), "Goodwill")
            elif operation == "void":
                await invoices.void(actor, invoice.id)
            else:
                payment = await Payment.filter(invoice_id=invoice.id).order_by("-id").first()
                if payment is None:
                    continue
                request = refunds.RefundRequest(
                    payment.id, amount, "CAD", "Cancelled", f"{invoice.id}-{index}"
                )
                await refunds.create(actor, request)
        except UserErrors:
            pass  # refused: nothing written
        for payment in await Payment.filter(invoice_id=invoice.id):
            assert 0 <= payment.amount_refunded <= payment.amount
        entries = await LedgerEntry.filter(account_id=account.id).values_list("amount", flat=True)
        position = await ledger.position(account.id, "CAD")
        assert position.net == sum(entries)
        assert position.balance - position.credit == sum(entries)
        current = await Invoice.get(id=invoice.id)
        if current.status != "VOID":
            net = current.total - current.amount_paid + current.amount_refunded
            assert sum(entries) == net - current.amount_credited
            assert invoices.remaining(current) == max(sum(entries), 0)
