"""A `carnet worker` subprocess is SIGKILLed while it is mid-send (its SMTP conversation
held open at DATA): the next worker finishes the message, and on the receiving SMTP server
nobody got two copies; the interrupted delivery is UNKNOWN, counted, never resent."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter

import pytest
from arq.constants import in_progress_key_prefix

from models.contacts import ConsentStatus
from models.message_sends import Delivery, DeliveryStatus
from models.messaging import OutboxMessage, OutboxStatus
from models.tasks import Task, TaskStatus
from resolvers.common.tasks import job_id
from resolvers.messaging.email import SEND_EMAIL
from tests.messaging_sends.support import READ, SEND, draft_for, person
from tests.support.worker import run_worker
from tests.test_worker import (
    KILLED_JOB_TIMEOUT_SECONDS,
    age,
    kill,
    start_worker_process,
    sweep,
    wait_for_lock_to_expire,
)


async def test_a_worker_killed_mid_send_leaves_no_recipient_with_two_copies(
    api, world, use_smtp, smtp, tmp_path
):
    settings = use_smtp(job_timeout_seconds=KILLED_JOB_TIMEOUT_SECONDS)
    smtp.hold_first_data()
    contacts = [
        await person(world.organization, f"P{n} Person", email=f"p{n}@example.com",
                     consent=ConsentStatus.EXPRESS)
        for n in range(4)
    ]
    draft = await draft_for(world, contacts)
    sent = (await api.as_(world.agent).execute(SEND, {"input": {"draftId": draft}})).ok(
        "messageSend"
    )
    log = tmp_path / "worker.log"
    worker = await start_worker_process(settings, log)
    try:
        await asyncio.wait_for(smtp.data_held.wait(), 20)
    except TimeoutError:
        pytest.fail(f"the worker never reached the SMTP server:\n{log.read_text()}")
    finally:
        await kill(worker)
    assert worker.returncode == -signal.SIGKILL
    smtp.release()
    # At least the held one was mid-send (another may have been, under load).
    interrupted = await OutboxMessage.filter(status=OutboxStatus.SENDING)
    assert interrupted
    held = next(o for o in interrupted if o.recipient not in [m["To"] for m in smtp.messages])
    held_task = await Task.get(function=SEND_EMAIL, args=[held.id])
    assert held_task.status is TaskStatus.PENDING

    lock = in_progress_key_prefix + job_id(held_task)
    await wait_for_lock_to_expire(lock, within=KILLED_JOB_TIMEOUT_SECONDS + 11)
    for task in await Task.filter(status=TaskStatus.PENDING):
        await age(task, seconds=3600, enqueued=True)
    await sweep(settings)
    await asyncio.wait_for(run_worker(settings), 20)

    received = Counter(m["To"] for m in smtp.messages)
    assert all(n == 1 for n in received.values()), received  # nobody got two copies
    unknown = {o.recipient for o in interrupted}
    assert set(received) >= {c.email for c in contacts} - unknown
    assert held.recipient not in received
    for outbox in interrupted:  # never resent, and shown as such
        delivery = await Delivery.get(outbox_message_id=outbox.id)
        assert delivery.status is DeliveryStatus.UNKNOWN
    read = (await api.as_(world.agent).execute(READ, {"id": sent["message"]["id"]})).payload(
        "message"
    )
    counts = read["counts"]
    assert (counts["sent"], counts["unknown"]) == (4 - len(unknown), len(unknown))
