"""A team's billing job interrupted (issue 16): a run that dies after the card was charged but
before the payment was written, or halfway through writing the invoice, is rerun; the team
is invoiced once and charged once.

The death is an exception raised at that point of the run (the process's transaction is
rolled back, as a SIGKILL's would be), in process so that the fake provider's record of
charges by idempotency key can be read back. tests/teams/test_billing_sigkill.py kills a
real worker process mid-charge."""

from __future__ import annotations

import pytest

from models.billing import Invoice, InvoiceStatus, Payment
from models.team_billing import TeamBillingAccount, TeamCharge, TeamChargeStatus
from resolvers.billing import invoices, payments
from resolvers.teams.billing_runs import bill
from tests.teams.billing_flows import run_billing, set_up_billing, team_paying


async def bill_the_account(settings) -> None:
    """What the account's `bill_team` job runs."""
    [billing_id] = await TeamBillingAccount.all().values_list("id", flat=True)
    await bill(billing_id, settings)


class Killed(BaseException):
    """Not an Exception: nothing on the way catches it, as nothing survives a SIGKILL."""


async def test_killed_after_the_charge_before_the_payment_is_written(
    api, world, password_hash, settings, billing_clock, provider, monkeypatch
):
    owner, team, _ = await team_paying(api, world, password_hash, n=2)
    await set_up_billing(api, owner, team)
    real_apply = payments._apply

    async def die(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(payments, "_apply", die)
    with pytest.raises(Killed):
        await bill_the_account(settings)
    assert len(provider.charges) == 1  # the card was charged…
    assert await Payment.all().count() == 0  # …and nothing recorded it
    [charge] = await TeamCharge.all()
    assert (charge.status, charge.attempts) == (TeamChargeStatus.PENDING, 0)

    monkeypatch.setattr(payments, "_apply", real_apply)
    await run_billing(settings)
    await run_billing(settings)
    keys = [key for operation, key, _ in provider.calls if operation == "charge"]
    assert len(keys) == 2 and len(set(keys)) == 1  # the rerun asked again under the same key
    assert len(provider.charges) == 1  # charged once
    assert await Payment.all().count() == 1
    [invoice] = await Invoice.all()
    assert invoice.status is InvoiceStatus.PAID
    assert (await TeamCharge.get(id=charge.id)).status is TeamChargeStatus.PAID


async def test_killed_while_writing_the_invoice(
    api, world, password_hash, settings, billing_clock, provider, monkeypatch
):
    owner, team, _ = await team_paying(api, world, password_hash, n=2)
    await set_up_billing(api, owner, team)
    real_finalize = invoices.finalize

    async def die(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(invoices, "finalize", die)
    with pytest.raises(Killed):
        await bill_the_account(settings)
    assert await TeamCharge.all().count() == 0  # the key went with the invoice's transaction
    assert await Invoice.all().count() == 0
    assert provider.calls == []

    monkeypatch.setattr(invoices, "finalize", real_finalize)
    await run_billing(settings)
    await run_billing(settings)
    [invoice] = await Invoice.all()
    assert (invoice.number, invoice.status) == (1, InvoiceStatus.PAID)  # gapless, once
    assert len(provider.charges) == 1
