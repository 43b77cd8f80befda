"""Set-based fan-out: a send chunk writes its outbox rows and deliveries in a constant
number of statements whatever its size, queues ONE send job for them, and that job sends
the chunk's emails over one SMTP connection, each once; consent is checked again just
before sending."""

from collections import Counter

from carnet.statements import count_statements
from models.contacts import ConsentStatus, Contact
from models.message_sends import Delivery, DeliveryStatus
from models.messaging import OutboxMessage, OutboxStatus
from models.tasks import Task
from resolvers.bulk import chunks
from resolvers.messaging import fanout
from tests.messaging_sends.support import READ, SEND, draft_for, person
from tests.support.worker import run_worker


async def people(world, prefix: str, count: int):
    return [
        await person(
            world.organization,
            f"{prefix}{n} Person",
            email=f"{prefix}{n}@example.com",
            consent=ConsentStatus.EXPRESS,
        )
        for n in range(count)
    ]


async def sent_chunk(api, world, contacts) -> Task:
    draft = await draft_for(world, contacts)
    (await api.as_(world.agent).execute(SEND, {"input": {"draftId": draft}})).ok("messageSend")
    return await Task.filter(function="bulk_chunk").order_by("-id").first()


async def test_a_chunk_costs_as_many_statements_for_30_recipients_as_for_3(
    api, world, settings, monkeypatch
):
    monkeypatch.setattr(settings, "bulk_chunk_size", 100)
    writes, sends = {}, {}
    for size in (3, 30):
        contacts = await people(world, f"s{size}-", size)
        chunk = await sent_chunk(api, world, contacts)
        with count_statements() as statements:
            await chunks.run_chunk(*chunk.args)
        writes[size] = len(statements)
        # One send job for the chunk, naming its outbox rows.
        [job] = await Task.filter(function=fanout.SEND_BATCH, id__gt=chunk.id)
        outbox = await OutboxMessage.filter(id__in=job.args)
        assert sorted(o.recipient for o in outbox) == sorted(c.email for c in contacts)
        deliveries = await Delivery.filter(outbox_message_id__in=job.args)
        assert {d.status for d in deliveries} == {DeliveryStatus.QUEUED}
        assert {d.recipient for d in deliveries} == {o.recipient for o in outbox}
        for delivery in deliveries:  # each delivery is linked to its own row
            assert next(o for o in outbox if o.id == delivery.outbox_message_id).recipient == (
                delivery.recipient
            )
        with count_statements() as statements:
            await fanout.deliver_batch(*job.args)  # the outbox backend: claims them together
        sends[size] = len(statements)
        assert await OutboxMessage.filter(id__in=job.args, status=OutboxStatus.SENT).count() == size
        assert (
            await Delivery.filter(
                outbox_message_id__in=job.args, status=DeliveryStatus.SENT
            ).count()
            == size
        )
    assert writes[3] == writes[30], writes
    assert sends[3] == sends[30], sends
    assert await Task.filter(function="send_email").count() == 0  # no job per recipient


async def test_a_chunks_emails_go_over_one_smtp_connection_each_once(
    api, world, use_smtp, smtp, monkeypatch
):
    settings = use_smtp()
    monkeypatch.setattr(settings, "bulk_chunk_size", 4)
    contacts = await people(world, "c", 7)  # two chunks: 4 and 3
    draft = await draft_for(world, contacts)
    sent = (await api.as_(world.agent).execute(SEND, {"input": {"draftId": draft}})).ok(
        "messageSend"
    )
    await run_worker(settings)
    assert await Task.filter(function=fanout.SEND_BATCH).count() == 2
    assert smtp.connections == 2  # one per chunk, not one per message
    received = Counter(m["To"] for m in smtp.messages)
    assert received == Counter({c.email: 1 for c in contacts})
    assert all(m["List-Unsubscribe"] for m in smtp.messages)
    # Run every send job again: nothing goes twice.
    for task in await Task.filter(function=fanout.SEND_BATCH):
        await fanout.deliver_batch(*task.args)
    assert len(smtp.messages) == 7 and smtp.connections == 2
    read = (await api.as_(world.agent).execute(READ, {"id": sent["message"]["id"]})).payload(
        "message"
    )
    assert read["counts"]["sent"] == 7


async def test_an_unsubscribe_after_the_chunk_was_written_stops_the_message(
    api, world, use_smtp, smtp
):
    settings = use_smtp()
    ada, bob = await people(world, "u", 2)
    chunk = await sent_chunk(api, world, [ada, bob])
    await chunks.run_chunk(*chunk.args)  # written, not sent yet
    # Bob unsubscribes (the public page's effect) before his message goes.
    await Contact.filter(id=bob.id).update(email_consent=ConsentStatus.WITHDRAWN)
    await run_worker(settings)
    assert [m["To"] for m in smtp.messages] == [ada.email]
    skipped = await Delivery.get(contact_key=bob.id)
    assert (skipped.status, skipped.skip_reason) == (DeliveryStatus.SKIPPED, "WITHDRAWN")
    outbox = await OutboxMessage.get(id=skipped.outbox_message_id)
    assert outbox.status is OutboxStatus.SKIPPED
    assert (await Delivery.get(contact_key=ada.id)).status is DeliveryStatus.SENT


async def test_an_audience_frozen_later_by_its_own_job_is_sent_in_full(
    api, world, settings, monkeypatch
):
    # Over `bulk_freeze_in_request_max` the request leaves the freeze to a job: the message
    # is not "sent to nobody" for that.
    monkeypatch.setattr(settings, "bulk_freeze_in_request_max", 2)
    contacts = await people(world, "f", 3)
    draft = await draft_for(world, contacts)
    sent = (await api.as_(world.agent).execute(SEND, {"input": {"draftId": draft}})).ok(
        "messageSend"
    )
    assert sent["message"]["state"] == "SENDING"
    await run_worker(settings)
    read = (await api.as_(world.agent).execute(READ, {"id": sent["message"]["id"]})).payload(
        "message"
    )
    assert read["state"] == "SENT"
    assert (read["counts"]["total"], read["counts"]["sent"]) == (3, 3)
