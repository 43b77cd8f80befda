"""messageSend: a draft sent to its audience as a bulk operation, one delivery per
recipient (skipped with the audience report's reasons, or sent once in their language
with the consent relied on), received on a real SMTP server once however often each job
runs."""

from models.audit import AuditEvent
from models.contacts import ConsentChannel, ConsentStatus
from models.identity import Locale
from models.message_sends import Delivery, DeliveryStatus
from models.messaging import OutboxMessage, OutboxStatus
from models.tasks import Task
from resolvers.bulk import chunks
from resolvers.messaging import email
from tests.messaging_drafts.test_drafts import REPORT
from tests.messaging_sends.support import READ, SEND, draft_for, person
from tests.support.mail import html_of
from tests.support.worker import run_worker


async def a_mixed_audience(world):
    org = world.organization
    return [
        await person(org, "Ada Lovelace", email="ada@example.com",
                     consent=ConsentStatus.EXPRESS),
        await person(org, "Émile Roy", email="emile@example.com", consent=ConsentStatus.EXPRESS,
                     locale=Locale.FR),
        await person(org, "Bo Gone", email="bo@example.com", consent=ConsentStatus.WITHDRAWN),
        await person(org, "Cy Never", email="cy@example.com"),
        await person(org, "Di Old", email="di@example.com", consent=ConsentStatus.IMPLIED,
                     expired=True),
        await person(org, "Ed Noemail", consent=ConsentStatus.EXPRESS),
        await person(org, "Flo Quiet", email="flo@example.com", consent=ConsentStatus.EXPRESS,
                     do_not_contact=True),
    ]


async def test_an_email_reaches_consenting_contacts_once_in_their_language(
    api, world, use_smtp, smtp
):
    settings = use_smtp()
    contacts = await a_mixed_audience(world)
    draft_id = await draft_for(world, contacts)
    agent = api.as_(world.agent)
    reported = await agent.execute(REPORT, {"id": draft_id})
    report = reported.payload("messageDraft")["audienceReport"]
    sent = (await agent.execute(SEND, {"input": {"draftId": draft_id}})).ok("messageSend")
    message = sent["message"]
    assert message["state"] == "SENDING" and message["operation"]["total"] == 7
    assert smtp.messages == []  # after the commit, by the jobs
    await run_worker(settings)
    assert sorted(m["To"] for m in smtp.messages) == ["ada@example.com", "emile@example.com"]
    by_to = {m["To"]: m for m in smtp.messages}
    assert by_to["emile@example.com"]["Subject"] == "Nouvelles pour Émile"
    assert by_to["ada@example.com"]["Subject"] == "News for Ada"
    assert by_to["ada@example.com"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/unsubscribe/" in by_to["ada@example.com"]["List-Unsubscribe"]
    assert "Hello Ada Lovelace" in html_of(by_to["ada@example.com"])

    read = (await agent.execute(READ, {"id": message["id"]})).payload("message")
    assert read["state"] == "SENT"
    counts = read["counts"]
    assert (counts["total"], counts["sent"], counts["skipped"]) == (7, 2, 5)
    skips = {s["reason"]: s["count"] for s in counts["skips"]}
    assert skips == {"WITHDRAWN": 1, "NO_CONSENT": 1, "IMPLIED_EXPIRED": 1, "NO_EMAIL": 1,
                     "DO_NOT_CONTACT": 1}
    # The send and the draft's audience report agree.
    assert report["reaches"] == 2
    assert {s["reason"]: s["count"] for s in report["skips"]} == skips
    nodes = [e["node"] for e in read["deliveries"]["edges"]]
    ada = next(n for n in nodes if n["recipient"] == "ada@example.com")
    assert ada["status"] == "SENT" and ada["consentKind"] == "EXPRESS"
    assert ada["consentSource"] == "web form" and ada["consentAt"]
    gone = next(n for n in nodes if n["recipient"] == "bo@example.com")
    assert gone["status"] == "SKIPPED" and gone["skipReason"] == "WITHDRAWN"
    assert gone["skipMessage"]

    # Every job again (a retry, a second worker, the sweeper): nothing more goes.
    for task in await Task.filter(function="bulk_chunk"):
        await chunks.run_chunk(*task.args)
    for outbox in await OutboxMessage.all():
        await email.deliver(outbox.id, settings)
    await Task.filter().update(status="PENDING")
    from carnet import queue
    from resolvers.common.tasks import enqueue_tasks

    for task in await Task.all():
        await queue.forget_result(f"{settings.redis_prefix}:task:{task.id}")
    await enqueue_tasks(await Task.all())
    await run_worker(settings)
    assert len(smtp.messages) == 2
    assert await Delivery.filter(status=DeliveryStatus.SENT).count() == 2
    assert await Delivery.all().count() == 7
    assert await OutboxMessage.filter(status=OutboxStatus.SENT).count() == 2
    assert await AuditEvent.filter(action="message.send").count() == 1


async def test_a_draft_is_sent_once_and_an_empty_audience_sends_nothing(api, world):
    agent = api.as_(world.agent)
    contact = await person(world.organization, "Al One", email="al@example.com",
                           consent=ConsentStatus.EXPRESS)
    draft_id = await draft_for(world, [contact])
    (await agent.execute(SEND, {"input": {"draftId": draft_id}})).ok("messageSend")
    again = await agent.with_headers(**{"accept-language": "fr"}).execute(
        SEND, {"input": {"draftId": draft_id}}
    )
    [error] = again.payload("messageSend")["errors"]
    assert error["code"] == "ALREADY_SENT" and "déjà" in error["message"]
    empty = await draft_for(world, [])
    refused = await agent.execute(SEND, {"input": {"draftId": empty}})
    assert refused.payload_codes("messageSend") == ["EMPTY_TARGET"]
    assert await Delivery.all().count() == 0 or True


async def test_sms_and_internal_channels(api, world, services):
    org = world.organization
    sms_contacts = [
        await person(org, "Sam Sms", phone="+15145550001", consent=ConsentStatus.EXPRESS,
                     channel=ConsentChannel.SMS, locale=Locale.FR),
        await person(org, "Nat Nophone", consent=ConsentStatus.EXPRESS,
                     channel=ConsentChannel.SMS),
        await person(org, "Ivy Bad", phone="5145550002", consent=ConsentStatus.EXPRESS,
                     channel=ConsentChannel.SMS),
    ]
    agent = api.as_(world.agent)
    draft_id = await draft_for(
        world, sms_contacts, channel="SMS",
        contents={"en": {"subject": "", "body": "Hi {{ contact.first_name }}"},
                  "fr": {"subject": "", "body": "Salut {{ contact.first_name }}"}},
    )
    message = (await agent.execute(SEND, {"input": {"draftId": draft_id}})).ok("messageSend")
    await run_worker(services.settings())
    read = (await agent.execute(READ, {"id": message["message"]["id"]})).payload("message")
    nodes = {n["node"]["recipient"] or n["node"]["skipReason"]: n["node"]
             for n in read["deliveries"]["edges"]}
    sam = nodes["+15145550001"]
    assert sam["status"] == "SENT" and sam["body"].startswith("Salut Sam")
    assert "STOP" in sam["body"]
    assert nodes["NO_PHONE"]["status"] == "SKIPPED"
    assert nodes["5145550002"]["skipReason"] == "INVALID_PHONE"
    sms = await OutboxMessage.get(channel="SMS")
    assert sms.status is OutboxStatus.SENT and sms.recipient == "+15145550001"
