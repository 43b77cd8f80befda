"""Each delivery's provider call happens at most once: SENDING is committed before the
call, and a run that finds it SENDING (its worker died mid-call) marks it UNKNOWN rather
than sending it again. SMS through a Twilio-compatible HTTP API, retried only when the
provider did not take the message (429, 5xx); a refusal for good is FAILED."""

import pytest

from models.contacts import ConsentChannel, ConsentStatus
from models.message_sends import Delivery, DeliveryStatus
from models.messaging import OutboxMessage, OutboxStatus
from models.tasks import Task
from resolvers.messaging import email, sms
from tests.messaging_sends.support import READ, SEND, draft_for, person
from tests.support.sms_endpoint import SmsEndpoint
from tests.support.worker import run_worker, run_worker_skipping_retry_delays


@pytest.fixture
async def sms_api():
    endpoint = await SmsEndpoint().start()
    try:
        yield endpoint
    finally:
        await endpoint.stop()


async def test_a_delivery_interrupted_mid_send_is_unknown_and_never_sent_twice(
    api, world, use_smtp, smtp
):
    settings = use_smtp()
    ada = await person(world.organization, "Ada L", email="ada@example.com",
                       consent=ConsentStatus.EXPRESS)
    bob = await person(world.organization, "Bob M", email="bob@example.com",
                       consent=ConsentStatus.EXPRESS)
    agent = api.as_(world.agent)
    draft = await draft_for(world, [ada, bob])
    sent = (await agent.execute(SEND, {"input": {"draftId": draft}})).ok("messageSend")
    # Run the chunk only, then claim Ada's email as a worker would before calling the
    # relay, and "die" there: SENDING is committed, nothing was sent.
    chunk = await Task.get(function="bulk_chunk")
    from resolvers.bulk import chunks

    await chunks.run_chunk(*chunk.args)
    outbox = await OutboxMessage.get(recipient="ada@example.com")
    assert await email.claim_at_most_once(outbox.id)
    assert (await Delivery.get(recipient="ada@example.com")).status is DeliveryStatus.SENDING
    await run_worker(settings)  # every job, Ada's email included
    assert [m["To"] for m in smtp.messages] == ["bob@example.com"]
    ada_delivery = await Delivery.get(recipient="ada@example.com")
    assert ada_delivery.status is DeliveryStatus.UNKNOWN
    assert (await OutboxMessage.get(id=outbox.id)).status is OutboxStatus.FAILED
    await email.deliver(outbox.id, settings)  # and again: still nothing
    assert len(smtp.messages) == 1
    read = (await agent.execute(READ, {"id": sent["message"]["id"]})).payload("message")
    assert (read["counts"]["sent"], read["counts"]["unknown"]) == (1, 1)


async def test_sms_through_an_http_provider_retried_only_when_not_taken(
    api, world, services, sms_api
):
    settings = services.settings(
        sms_backend="twilio", sms_api_url=sms_api.url, sms_account_sid="AC1", sms_from="+1500"
    )
    from carnet.settings import configure, current_settings

    original = current_settings()
    configure(settings)
    try:
        org = world.organization
        org.sms_number = "+15145550000"
        await org.save()
        sam = await person(org, "Sam S", phone="+15145550001", consent=ConsentStatus.EXPRESS,
                           channel=ConsentChannel.SMS)
        bad = await person(org, "Bad N", phone="+15145550009", consent=ConsentStatus.EXPRESS,
                           channel=ConsentChannel.SMS)
        agent = api.as_(world.agent)
        draft = await draft_for(
            world, [sam, bad], channel="SMS",
            contents={"en": {"subject": "", "body": "Hi {{ contact.first_name }}"}},
        )
        # Sam's: not taken twice (429, 503), then taken; Bad's: refused for good.
        sms_api.replies = {"+15145550001": [429, 503], "+15145550009": [400]}
        (await agent.execute(SEND, {"input": {"draftId": draft}})).ok("messageSend")
        await run_worker(settings)  # the chunk; Sam's SMS is retried later
        task = await Task.get(function=sms.SEND_SMS, args=[
            (await OutboxMessage.get(recipient="+15145550001")).id
        ])
        for _ in range(3):
            if (await Delivery.get(contact_key=sam.id)).status is DeliveryStatus.SENT:
                break
            await run_worker_skipping_retry_delays(settings, task)
        assert (await Delivery.get(contact_key=sam.id)).status is DeliveryStatus.SENT
        assert [f["To"] for f in sms_api.accepted] == ["+15145550001"]
        [accepted] = sms_api.accepted
        assert accepted["From"] == "+15145550000" and accepted["Body"].startswith("Hi Sam")
        assert "STOP" in accepted["Body"]
        assert (await Delivery.get(contact_key=bad.id)).status is DeliveryStatus.FAILED
        assert len(sms_api.received) == 4  # 429, 503, refused, accepted: none sent twice
        for outbox in await OutboxMessage.filter(channel="SMS"):
            await sms.deliver(outbox.id)
        assert len(sms_api.received) == 4
    finally:
        configure(original)
