"""SMS length and pace: a draft whose text takes several segments (GSM-7 160/153, UCS-2
70/67, STOP wording included) is saved with a warning giving the count, and refused over
CARNET_SMS_MAX_SEGMENTS (SMS_TOO_LONG, EN/FR, nothing written); the preview gives the
recipient's count. The HTTP provider is called at most CARNET_SMS_PER_SECOND times a
second: checked on a virtual clock (deferrals counted), never with wall-clock times."""

import pytest

from carnet.providers import sms as sms_provider
from carnet.settings import configure, current_settings
from models.contacts import ConsentChannel, ConsentStatus
from models.message_sends import Delivery, DeliveryStatus
from models.messaging import MessageDraft
from resolvers.messaging.sms_length import SmsEncoding, measure
from tests.messaging_sends.support import SEND, draft_for, person
from tests.support.contacts import gid
from tests.support.sms_endpoint import SmsEndpoint
from tests.support.worker import run_worker

WARNINGS = "warnings { locale message sms { encoding characters segments } }"
CREATE = f"""mutation($input: MessageDraftCreateInput!) {{ messageDraftCreate(input: $input) {{
  draft {{ id {WARNINGS} }} errors {{ code field message }} }} }}"""
PREVIEW = """query($id: ID!, $c: ID!) { messageDraft(id: $id) {
  preview(contactId: $c) { body sms { encoding characters segments } } } }"""


def test_segments_are_counted_as_carriers_do():
    assert (measure("a" * 160).segments, measure("a" * 161).segments) == (1, 2)
    assert (measure("a" * 306).segments, measure("a" * 307).segments) == (2, 3)
    assert measure("é" * 160).encoding is SmsEncoding.GSM_7  # é is in the GSM alphabet
    assert measure("€" * 80).units == 160 and measure("€" * 81).segments == 2  # two each
    ucs = measure("Ê" * 70)
    assert (ucs.encoding, ucs.segments) == (SmsEncoding.UCS_2, 1)
    assert (measure("Ê" * 71).segments, measure("Ê" * 134).segments) == (2, 2)
    assert measure("Ê" * 135).segments == 3
    assert measure("🙂" * 35).units == 70  # an emoji is two UTF-16 units


def sms_input(world, contact, body, locale="EN"):
    return {"input": {
        "organizationId": world.org_gid, "channel": "SMS",
        "target": {"contactIds": [gid(contact)]},
        "contents": [{"locale": locale, "body": body}],
    }}


async def test_a_long_sms_draft_warns_with_its_segments_and_too_long_is_refused(api, world):
    agent = api.as_(world.agent)
    ada = await person(world.organization, "Ada L", phone="+15145550001",
                       consent=ConsentStatus.EXPRESS, channel=ConsentChannel.SMS)
    short = await agent.execute(CREATE, sms_input(world, ada, "Hi {{ contact.first_name }}"))
    assert short.ok("messageDraftCreate")["draft"]["warnings"] == []
    long_body = "Hello {{ contact.first_name }}! " + "x" * 300  # + "\nReply STOP…": 3 parts
    saved = (await agent.execute(CREATE, sms_input(world, ada, long_body))).ok(
        "messageDraftCreate")
    [warning] = saved["draft"]["warnings"]
    assert warning["sms"] == {"encoding": "GSM_7", "characters": 338, "segments": 3}
    assert warning["locale"] == "EN" and "3 segments" in warning["message"]
    preview = (await agent.execute(PREVIEW, {"id": saved["draft"]["id"], "c": gid(ada)})).payload(
        "messageDraft")["preview"]
    assert preview["sms"] == {"encoding": "GSM_7", "characters": 338, "segments": 3}
    assert preview["body"].startswith("Hello Ada! x")
    french = await agent.with_headers(**{"accept-language": "fr"}).execute(
        PREVIEW.replace("preview", f"{WARNINGS} preview"), {"id": saved["draft"]["id"],
                                                           "c": gid(ada)})
    assert "3 segments" in french.payload("messageDraft")["warnings"][0]["message"]
    assert "facturé" in french.payload("messageDraft")["warnings"][0]["message"]

    original = current_settings()
    configure(original.model_copy(update={"sms_max_segments": 2}))
    try:
        drafts_before = await MessageDraft.all().count()
        refused = await agent.execute(CREATE, sms_input(world, ada, long_body))
        [error] = refused.payload("messageDraftCreate")["errors"]
        assert (error["code"], error["field"]) == (
            "SMS_TOO_LONG", ["input", "contents", 0, "body"])
        assert "3 segments" in error["message"] and "at most 2" in error["message"]
        fr = await agent.with_headers(**{"accept-language": "fr"}).execute(
            CREATE, sms_input(world, ada, "Ê" * 140, locale="FR"))
        [error] = fr.payload("messageDraftCreate")["errors"]
        assert error["code"] == "SMS_TOO_LONG" and "au plus 2" in error["message"]
        assert await MessageDraft.all().count() == drafts_before  # nothing written
    finally:
        configure(original)


class VirtualClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
async def sms_api():
    endpoint = await SmsEndpoint().start()
    try:
        yield endpoint
    finally:
        await endpoint.stop()


async def test_sms_sending_keeps_the_pace_set(api, world, services, sms_api, monkeypatch):
    clock = VirtualClock()
    pacer = sms_provider.Pacer(clock=clock, sleep=clock.sleep)
    monkeypatch.setattr(sms_provider, "PACER", pacer)
    settings = services.settings(
        sms_backend="twilio", sms_api_url=sms_api.url, sms_account_sid="AC1",
        sms_from="+1500", sms_per_second=2,
    )
    original = current_settings()
    configure(settings)
    try:
        contacts = [
            await person(world.organization, f"P{n} S", phone=f"+1514555000{n}",
                         consent=ConsentStatus.EXPRESS, channel=ConsentChannel.SMS)
            for n in range(5)
        ]
        draft = await draft_for(
            world, contacts, channel="SMS",
            contents={"en": {"subject": "", "body": "Hi {{ contact.first_name }}"}},
        )
        agent = api.as_(world.agent)
        (await agent.execute(SEND, {"input": {"draftId": draft}})).ok(
            "messageSend")
        await run_worker(settings)
        assert len(sms_api.accepted) == 5
        assert await Delivery.filter(status=DeliveryStatus.SENT).count() == 5
        # 2 a second: the first goes at once, each next one waits for its half-second slot.
        assert pacer.deferrals == 4
        assert clock.now == pytest.approx(2.0)  # the fifth went at t = 4 × 0.5 s
    finally:
        configure(original)
