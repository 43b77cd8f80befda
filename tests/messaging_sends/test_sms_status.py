"""Twilio-compatible status callbacks (`POST /webhooks/sms/status`): the delivery is found
by the provider's message id stored when the provider took the SMS; delivered confirms
it, undelivered / failed make it FAILED with the provider's error code. A bad signature is
403 (logged, nothing written), an unknown id is ignored, a repeated callback changes
nothing more."""

import logging

import pytest
from pydantic import SecretStr

from carnet.settings import configure, current_settings
from models.contacts import ConsentChannel, ConsentStatus
from models.message_sends import Delivery, DeliveryStatus
from resolvers.messaging import webhooks
from tests.messaging_sends.support import SEND, draft_for, person
from tests.support.sms_endpoint import SmsEndpoint
from tests.support.worker import run_worker

TOKEN = "twilio-token"
SMS_CONTENTS = {"en": {"subject": "", "body": "Hi {{ contact.first_name }}"}}


@pytest.fixture
def signed(app):
    original = app.state._state["settings"]
    settings = original.model_copy(update={"sms_auth_token": SecretStr(TOKEN)})
    app.state._state["settings"] = settings
    yield settings
    app.state._state["settings"] = original


@pytest.fixture
async def sms_api():
    endpoint = await SmsEndpoint().start()
    try:
        yield endpoint
    finally:
        await endpoint.stop()


async def post_status(client, settings, form, signature=None):
    url = settings.public_url.rstrip("/") + "/webhooks/sms/status"
    if signature is None:
        signature = webhooks.twilio_signature(TOKEN, url, form)
    headers = {"x-twilio-signature": signature} if signature else {}
    return await client.post("/webhooks/sms/status", data=form, headers=headers)


async def two_sent(api, world, services, sms_api):
    settings = services.settings(
        sms_backend="twilio", sms_api_url=sms_api.url, sms_account_sid="AC1", sms_from="+1500"
    )
    original = current_settings()
    configure(settings)
    try:
        org = world.organization
        contacts = [
            await person(
                org,
                f"P{n} Person",
                phone=f"+1514555000{n}",
                consent=ConsentStatus.EXPRESS,
                channel=ConsentChannel.SMS,
            )
            for n in range(2)
        ]
        draft = await draft_for(world, contacts, channel="SMS", contents=SMS_CONTENTS)
        (await api.as_(world.agent).execute(SEND, {"input": {"draftId": draft}})).ok("messageSend")
        await run_worker(settings)
    finally:
        configure(original)
    deliveries = [await Delivery.get(contact_key=c.id) for c in contacts]
    assert [d.status for d in deliveries] == [DeliveryStatus.SENT] * 2
    assert all(d.provider_message_id.startswith("SM") for d in deliveries)
    return deliveries


async def test_status_callbacks_confirm_or_fail_deliveries_by_provider_id(
    api,
    client,
    world,
    services,
    sms_api,
    signed,
):
    ok, lost = await two_sent(api, world, services, sms_api)
    delivered = {"MessageSid": ok.provider_message_id, "MessageStatus": "delivered"}
    for _ in range(2):  # repeated: the same outcome, confirmed once
        answer = await post_status(client, signed, delivered)
        assert answer.status_code == 200 and answer.json()["matched"] is True
        if _ == 0:
            confirmed = (await Delivery.get(id=ok.id)).confirmed_at
    row = await Delivery.get(id=ok.id)
    assert row.status is DeliveryStatus.SENT and row.confirmed_at == confirmed is not None

    failed = {
        "MessageSid": lost.provider_message_id,
        "MessageStatus": "undelivered",
        "ErrorCode": "30003",
    }
    for _ in range(2):
        assert (await post_status(client, signed, failed)).status_code == 200
    row = await Delivery.get(id=lost.id)
    assert (row.status, row.error_code) == (DeliveryStatus.FAILED, "30003")
    # Out of order, a late "delivered" does not undo the failure; "sent" changes nothing.
    late = {"MessageSid": lost.provider_message_id, "MessageStatus": "delivered"}
    await post_status(client, signed, late)
    await post_status(client, signed, {**late, "MessageStatus": "sent"})
    assert (await Delivery.get(id=lost.id)).status is DeliveryStatus.FAILED


async def test_a_bad_signature_is_refused_and_logged_and_an_unknown_id_ignored(
    api,
    client,
    world,
    services,
    sms_api,
    signed,
    caplog,
):
    ok, _ = await two_sent(api, world, services, sms_api)
    form = {"MessageSid": ok.provider_message_id, "MessageStatus": "failed", "ErrorCode": "1"}
    with caplog.at_level(logging.WARNING, logger="carnet.webhooks"):
        assert (await post_status(client, signed, form, signature="")).status_code == 403
        assert (await post_status(client, signed, form, signature="bogus")).status_code == 403
        other = webhooks.twilio_signature(
            TOKEN, signed.public_url + "/webhooks/sms/status", {**form, "ErrorCode": "2"}
        )
        assert (await post_status(client, signed, form, signature=other)).status_code == 403
    assert "bad signature" in caplog.text
    row = await Delivery.get(id=ok.id)
    assert (row.status, row.error_code, row.confirmed_at) == (DeliveryStatus.SENT, "", None)

    unknown = await post_status(
        client, signed, {"MessageSid": "SMnope", "MessageStatus": "failed", "ErrorCode": "9"}
    )
    assert unknown.status_code == 200 and unknown.json()["matched"] is False
    assert await Delivery.filter(status=DeliveryStatus.FAILED).count() == 0
    missing = await post_status(client, signed, {"MessageStatus": "delivered"})
    assert missing.status_code == 400
