"""Invoices and statements emailed to the account's primary contact: transactional mail
through the outbox, sent by the worker once however often it runs, in the contact's
language, with no unsubscribe; nothing when the primary has no email address."""

from __future__ import annotations

from models.contacts import Contact
from models.messaging import OutboxMessage
from models.tasks import Task
from resolvers.messaging.email import SEND_EMAIL
from schema import ids
from tests.billing.flows import household, open_invoice, pay
from tests.support.mail import received, text_of
from tests.support.worker import run_worker

SEND = """mutation($a: ID!, $from: DateTime!, $to: DateTime!) {
  statementSend(input: {accountId: $a, from: $from, to: $to}) {
    sentTo errors { code field message } } }"""
PERIOD = {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}


async def _household_with_email(world, email: str, locale: str = "en"):
    account, link = await household(world)
    await Contact.filter(id=account.primary_contact_id).update(email=email, locale=locale)
    return account, ids.encode("ClientAccount", account.id)


async def test_a_finalized_invoice_is_emailed_once_to_the_primary(api, world, use_smtp, smtp):
    settings = use_smtp()
    _, gid = await _household_with_email(world, "holder@example.test", "fr")
    invoice = await open_invoice(api, world, gid, [(1, 10000, ["GST", "QST"])])
    task = await Task.get(function=SEND_EMAIL)

    await run_worker(settings)
    await run_worker(settings)

    [mail] = received(smtp, "holder@example.test")
    assert f"Facture {invoice['number']}" in str(mail["Subject"])
    text = text_of(mail).replace("\u202f", " ").replace("\u00a0", " ")
    assert "114,98 $" in text  # 100 $ + GST 5 $ + QST 9,98 $, in the contact's French
    assert mail["List-Unsubscribe"] is None  # transactional: no unsubscribe
    assert (await Task.get(id=task.id)).attempts == 1
    assert await OutboxMessage.all().count() == 1


async def test_no_email_no_mail(api, world, use_smtp, smtp):
    settings = use_smtp()
    account, _ = await household(world)
    await open_invoice(api, world, ids.encode("ClientAccount", account.id))
    await run_worker(settings)
    assert smtp.messages == [] and not await OutboxMessage.exists()
    sent = await api.as_(world.billing_admin).execute(
        SEND, {"a": ids.encode("ClientAccount", account.id), **PERIOD}
    )
    assert sent.payload_codes("statementSend") == ["REQUIRED"]
    assert not await OutboxMessage.exists()


async def test_a_statement_is_emailed_once(api, world, use_smtp, smtp):
    settings = use_smtp()
    _, gid = await _household_with_email(world, "holder@example.test")
    invoice = await open_invoice(api, world, gid, [(1, 2000, [])])
    await pay(api, world, invoice["id"], 500)
    result = await api.as_(world.owner).execute(SEND, {"a": gid, **PERIOD})
    assert result.ok("statementSend")["sentTo"] == "holder@example.test"

    await run_worker(settings)
    await run_worker(settings)

    [mail] = received(smtp, "holder@example.test", "statement")
    text = text_of(mail)
    assert "Closing balance: $15.00" in text and "Opening balance: $0.00" in text
    assert mail["List-Unsubscribe"] is None
    assert len(received(smtp, "holder@example.test")) == 2  # the invoice's and the statement's


async def test_only_billing_readers_and_the_primary_send(api, world, password_hash):
    account, gid = await _household_with_email(world, "holder@example.test")
    assert (await api.as_(world.viewer).execute(SEND, {"a": gid, **PERIOD})).error_codes == [
        "FORBIDDEN"
    ]
    outsider = await api.as_(world.outsider).execute(SEND, {"a": gid, **PERIOD})
    assert (outsider.error_codes or outsider.payload_codes("statementSend")) == ["NOT_FOUND"]
    await Contact.filter(id=account.primary_contact_id).update(user_id=world.loner.user.id)
    mine = await api.as_(world.loner).execute(SEND, {"a": gid, **PERIOD})
    assert mine.ok("statementSend")["sentTo"] == "holder@example.test"
    assert await OutboxMessage.filter(recipient="holder@example.test").count() == 1
