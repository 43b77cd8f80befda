"""A `carnet worker` process SIGKILLed while a team's charge is in flight (issue 16: "a
SIGKILL mid-run neither loses nor doubles the charge").

The worker bills over HTTP (CARNET_PAYMENT_BACKEND=stripe) a local Stripe-compatible
endpoint (tests/support/payment_endpoint.py) that holds the first charge request: either
before charging (the request in flight) or after charging (the provider charged, the worker
never learned it, as if killed before writing the payment). The worker is killed there;
arq keeps the killed `bill_team` job queued, locked until its in-progress mark expires
(the job timeout + 10 s); another worker then runs it again. The endpoint made exactly one
charge (the retry reused the idempotency key), one payment is recorded, the invoice and the
team's charge are PAID, and the period has one invoice.

The worker process runs on the real clock: the team is anchored on today.
"""

from __future__ import annotations

import asyncio
import signal

import pytest
from arq.constants import in_progress_key_prefix

from carnet.providers.payments import ProviderError, StripeProvider
from carnet.settings import configure, current_settings
from models.billing import Invoice, InvoiceStatus, Payment
from models.organizations import Organization
from models.tasks import Task, TaskStatus
from models.team_billing import TeamCharge, TeamChargeStatus
from resolvers.common.tasks import job_id
from resolvers.teams.billing import BILL_TEAM, billing_now, local_date
from tests.support.payment_endpoint import PaymentEndpoint
from tests.support.worker import run_worker
from tests.teams.billing_flows import set_up_billing, team_paying
from tests.test_worker import kill, start_worker_process, wait_for_lock_to_expire

# Long enough for a loaded machine to write the invoice before the charge (a job timing out
# there would not reach the endpoint); the killed job's lock lasts this + 10 s.
JOB_TIMEOUT_SECONDS = 8
REACH_ENDPOINT_SECONDS = 120  # a worker process starting and billing on a loaded machine
RERUN_SECONDS = 120


@pytest.fixture
async def stripe_settings(services):
    """The process's settings (and the worker's) pointed at a local Stripe-like endpoint."""
    original = current_settings()
    endpoint = await PaymentEndpoint().start()
    settings = services.settings(
        payment_backend="stripe",
        payment_api_url=endpoint.url,
        payment_api_key="sk_test_sigkill",
        job_timeout_seconds=JOB_TIMEOUT_SECONDS,
    )
    configure(settings)
    try:
        yield settings, endpoint
    finally:
        configure(original)
        await endpoint.stop()


@pytest.mark.parametrize("charged_before_the_kill", [False, True], ids=["in-flight", "charged"])
async def test_a_worker_killed_mid_charge_charges_once_and_loses_nothing(
    api, world, password_hash, stripe_settings, tmp_path, charged_before_the_kill
):
    settings, endpoint = stripe_settings
    endpoint.hold_first_charge(charge=charged_before_the_kill)
    owner, team, _ = await team_paying(api, world, password_hash, n=2)
    organization = await Organization.get(id=world.organization.id)
    today = local_date(billing_now(), organization)
    await set_up_billing(api, owner, team, anchor=today.isoformat())

    log = tmp_path / "worker.log"
    # The worker runs the account's job, queued by teamBillingUpdate (its period starts today).
    worker = await start_worker_process(settings, log)
    try:
        await asyncio.wait_for(endpoint.held.wait(), REACH_ENDPOINT_SECONDS)
    except TimeoutError:
        pytest.fail(f"the worker never reached the payment endpoint:\n{log.read_text()}")
    finally:
        await kill(worker)
    assert worker.returncode == -signal.SIGKILL
    endpoint.release()  # its client is gone: the held request is dropped

    # What the kill left: the invoice written and OPEN, its charge PENDING with no attempt
    # counted (the retry charges under the same key), no payment, the job still to do.
    [invoice] = await Invoice.all()
    assert invoice.status is InvoiceStatus.OPEN
    [charge] = await TeamCharge.all()
    assert (charge.status, charge.attempts) == (TeamChargeStatus.PENDING, 0)
    assert await Payment.all().count() == 0
    assert len(endpoint.charges) == (1 if charged_before_the_kill else 0)
    [task] = await Task.filter(function=BILL_TEAM)
    assert (task.status, task.attempts) == (TaskStatus.PENDING, 1)

    # arq keeps the killed job queued; once its lock expires the next worker runs it.
    lock = in_progress_key_prefix + job_id(task)
    await wait_for_lock_to_expire(lock, within=JOB_TIMEOUT_SECONDS + 10 + 30)
    await asyncio.wait_for(run_worker(settings), RERUN_SECONDS)

    await task.refresh_from_db()
    assert task.status is TaskStatus.DONE
    requests = endpoint.charge_requests()
    assert len(requests) >= 2  # asked again after the kill…
    assert {r.key for r in requests} == {requests[0].key}  # …under the same key
    assert all(r.authorization == "Bearer sk_test_sigkill" for r in requests)
    [made] = endpoint.charges.values()  # charged once
    [payment] = await Payment.all()
    assert (payment.invoice_id, payment.reference) == (invoice.id, made["id"])
    assert int(made["amount"]) == payment.amount == invoice.total
    [invoice] = await Invoice.all()  # one invoice for the period
    assert invoice.status is InvoiceStatus.PAID
    [charge] = await TeamCharge.all()
    assert (charge.status, charge.invoice_id) == (TeamChargeStatus.PAID, invoice.id)
    assert charge.period_start == today


async def test_the_endpoint_answers_a_repeated_key_with_the_same_charge():
    """The fake the kill test relies on: Stripe's idempotency, as StripeProvider sees it."""
    endpoint = await PaymentEndpoint().start()
    try:
        stripe = StripeProvider(endpoint.url, "sk_test_endpoint")
        first = await stripe.charge(1234, "CAD", "tok_visa", "key-1")
        assert await stripe.charge(1234, "CAD", "tok_visa", "key-1") == first
        assert await stripe.charge(1234, "CAD", "tok_visa", "key-2") != first
        with pytest.raises(ProviderError, match="idempotency_error"):
            await stripe.charge(999, "CAD", "tok_visa", "key-1")  # the key, other parameters
        endpoint.declined_sources.add("tok_declined")
        with pytest.raises(ProviderError, match="card_declined"):
            await stripe.charge(1234, "CAD", "tok_declined", "key-3")
        refund = await stripe.refund(first.reference, 1234, "refund-1")
        assert await stripe.refund(first.reference, 1234, "refund-1") == refund
        assert len(endpoint.charges) == 2 and len(endpoint.refunds) == 1
        assert len(endpoint.received) == 7
        assert endpoint.charges["key-1"]["amount"] == "1234"
    finally:
        await endpoint.stop()
