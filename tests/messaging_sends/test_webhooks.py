"""Provider webhooks: an inbound STOP (ARRÊT...) withdraws SMS consent in the organization
that texted the number, START restores it only after a STOP reply; a hard bounce marks the
delivery BOUNCED and later sends skip the address; a complaint withdraws EMAIL consent. Bad
or missing signatures are 403 and malformed calls 400, changing nothing."""

import json

import pytest
from pydantic import SecretStr

from models.contacts import ConsentChannel, ConsentRecord, ConsentStatus, Contact
from models.identity import Locale
from models.message_sends import Delivery, DeliveryStatus, UndeliverableAddress
from models.messaging import OutboxMessage
from resolvers.messaging import webhooks
from tests.messaging_sends.support import READ, SEND, draft_for, person
from tests.support.worker import run_worker

TOKEN, SECRET = "twilio-token", "email-secret"
PHONE = "+15145550001"
SMS_CONTENTS = {"en": {"subject": "", "body": "Hi {{ contact.first_name }}"}}


@pytest.fixture
def signed(app):
    original = app.state._state["settings"]
    settings = original.model_copy(
        update={"sms_auth_token": SecretStr(TOKEN), "email_webhook_secret": SecretStr(SECRET)}
    )
    app.state._state["settings"] = settings
    yield settings
    app.state._state["settings"] = original


async def post_sms(client, settings, form, signature=None):
    url = settings.public_url.rstrip("/") + "/webhooks/sms"
    if signature is None:
        signature = webhooks.twilio_signature(TOKEN, url, form)
    headers = {"x-twilio-signature": signature} if signature else {}
    return await client.post("/webhooks/sms", data=form, headers=headers)


async def post_email(client, payload, secret=SECRET):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    signature = webhooks.email_signature(secret, body)
    return await client.post(
        "/webhooks/email", content=body,
        headers={"x-carnet-signature": signature, "content-type": "application/json"},
    )


async def test_stop_and_start_replies_change_sms_consent_where_texted(
    api, client, world, services, signed
):
    org = world.organization
    org.sms_number = "+15145550000"
    await org.save()
    texted = await person(org, "Sam Sms", phone=PHONE, consent=ConsentStatus.EXPRESS,
                          channel=ConsentChannel.SMS, locale=Locale.FR)
    elsewhere = await person(world.other_organization, "Sam Other", phone=PHONE,
                             consent=ConsentStatus.EXPRESS, channel=ConsentChannel.SMS)
    agent = api.as_(world.agent)
    draft = await draft_for(world, [texted], channel="SMS", contents=SMS_CONTENTS)
    (await agent.execute(SEND, {"input": {"draftId": draft}})).ok("messageSend")
    await run_worker(services.settings())
    assert await Delivery.filter(status=DeliveryStatus.SENT).count() == 1

    form = {"From": PHONE, "To": org.sms_number, "Body": "Arrêt"}
    assert (await post_sms(client, signed, form, signature="")).status_code == 403
    assert (await post_sms(client, signed, form, signature="bogus")).status_code == 403
    assert (await post_sms(client, signed, {**form, "Body": "STOP"}, signature=(
        webhooks.twilio_signature(TOKEN, signed.public_url + "/webhooks/sms", form)
    ))).status_code == 403  # signed for another body
    assert (await Contact.get(id=texted.id)).sms_consent is ConsentStatus.EXPRESS

    stopped = await post_sms(client, signed, form)
    assert stopped.status_code == 200 and "<Response>" in stopped.text
    assert (await Contact.get(id=texted.id)).sms_consent is ConsentStatus.WITHDRAWN
    # The organization that never texted that number keeps its consent.
    assert (await Contact.get(id=elsewhere.id)).sms_consent is ConsentStatus.EXPRESS
    record = await ConsentRecord.filter(contact_id=texted.id).order_by("-id").first()
    assert record.source == webhooks.STOP_SOURCE and "Arrêt" in record.proof
    assert (await post_sms(client, signed, form)).status_code == 200  # twice: no new record
    assert await ConsentRecord.filter(contact_id=texted.id).count() == 2

    # The next message skips them before it is sent.
    again = await draft_for(world, [texted], channel="SMS", contents=SMS_CONTENTS)
    sent = (await agent.execute(SEND, {"input": {"draftId": again}})).ok("messageSend")
    await run_worker(services.settings())
    read = (await agent.execute(READ, {"id": sent["message"]["id"]})).payload("message")
    assert read["counts"]["skips"] == [{"reason": "WITHDRAWN", "count": 1}]

    started = await post_sms(client, signed, {**form, "Body": "start"})
    assert started.status_code == 200
    assert (await Contact.get(id=texted.id)).sms_consent is ConsentStatus.EXPRESS
    # Withdrawn another way: a START text does not undo it.
    texted.sms_consent = ConsentStatus.WITHDRAWN
    await texted.save()
    await ConsentRecord.create(contact=texted, channel=ConsentChannel.SMS,
                               status=ConsentStatus.WITHDRAWN, source="told the office")
    await post_sms(client, signed, {**form, "Body": "START"})
    assert (await Contact.get(id=texted.id)).sms_consent is ConsentStatus.WITHDRAWN
    assert (await post_sms(client, signed, {"Body": "STOP"})).status_code == 400


async def test_hard_bounces_and_complaints(api, client, world, use_smtp, smtp, signed):
    settings = use_smtp()
    org = world.organization
    ada = await person(org, "Ada L", email="ada@example.com", consent=ConsentStatus.EXPRESS)
    bob = await person(org, "Bob M", email="bob@example.com", consent=ConsentStatus.EXPRESS)
    agent = api.as_(world.agent)
    draft = await draft_for(world, [ada, bob])
    (await agent.execute(SEND, {"input": {"draftId": draft}})).ok("messageSend")
    await run_worker(settings)
    assert len(smtp.messages) == 2
    ada_mail = next(m for m in smtp.messages if m["To"] == "ada@example.com")
    outbox = await OutboxMessage.get(recipient="ada@example.com")
    assert ada_mail["Message-ID"] == f"<outbox-{outbox.id}@carnet>"

    bounce = {"type": "bounce", "bounceType": "hard", "messageId": ada_mail["Message-ID"],
              "recipient": "ada@example.com"}
    assert (await post_email(client, bounce, secret="wrong")).status_code == 403
    assert (await post_email(client, b"{not json")).status_code == 400
    assert (await post_email(client, {"type": "party"})).status_code == 400
    assert not await UndeliverableAddress.exists()
    answer = await post_email(client, bounce)
    assert answer.status_code == 200 and answer.json()["matched"] is True
    delivery = await Delivery.get(recipient="ada@example.com")
    assert delivery.status is DeliveryStatus.BOUNCED and delivery.bounced_at
    complaint = {"type": "complaint", "recipient": "bob@example.com"}
    assert (await post_email(client, complaint)).status_code == 200
    assert (await Contact.get(id=bob.id)).email_consent is ConsentStatus.WITHDRAWN

    later = await draft_for(world, [ada, bob])
    sent = (await agent.execute(SEND, {"input": {"draftId": later}})).ok("messageSend")
    await run_worker(settings)
    assert len(smtp.messages) == 2  # nobody mailed again
    read = (await agent.execute(READ, {"id": sent["message"]["id"]})).payload("message")
    skips = {s["reason"]: s["count"] for s in read["counts"]["skips"]}
    assert skips == {"UNDELIVERABLE": 1, "WITHDRAWN": 1}
