"""The send_invitation job: one email per send asked for, however often or badly it runs."""

from datetime import timedelta

from carnet import queue
from jobs.maintenance import sweep_tasks
from models.identity import OneTimeToken, TokenPurpose
from models.messaging import OutboxMessage
from models.staff import Invitation, StaffMembership
from models.tasks import Task, TaskStatus
from resolvers.common.tasks import job_id
from resolvers.common.time import now
from resolvers.staff import invitations
from tests.staff.flows import (
    ACCEPT,
    REMOVE,
    RESEND,
    REVOKE,
    STAFF_ADD,
    add_input,
    invitation_links,
    member_gid,
    token_of,
)
from tests.support.worker import run_worker

EMAIL = "ivy@example.test"
PASSWORD = "a long new password"


async def add(api, world, email=EMAIL) -> str:
    result = await api.as_(world.admin).execute(STAFF_ADD, add_input(world, email))
    return result.ok("staffAdd")["invitation"]["id"]


async def send_tasks() -> list[Task]:
    return await Task.filter(function=invitations.SEND_INVITATION).order_by("id")


async def test_run_twice_it_sends_once(api, world, settings):
    await add(api, world)
    await run_worker(settings)
    await run_worker(settings)
    assert len(await invitation_links(EMAIL)) == 1
    assert (await Invitation.get(email=EMAIL)).send_count == 1
    assert [t.status for t in await send_tasks()] == [TaskStatus.DONE]


async def test_a_resend_while_the_first_send_is_queued_mails_one_working_link(api, world, settings):
    invitation_id = await add(api, world)
    (await api.as_(world.admin).execute(RESEND, {"id": invitation_id})).ok("invitationResend")
    await run_worker(settings)
    await run_worker(settings)
    # The first job sent the latest request already; the second found nothing to do.
    [link] = await invitation_links(EMAIL)
    assert [t.status for t in await send_tasks()] == [TaskStatus.DONE, TaskStatus.DONE]
    assert (await Invitation.get(email=EMAIL)).send_count == 1
    joined = await api.execute(ACCEPT, {"input": {"token": token_of(link), "password": PASSWORD}})
    joined.ok("invitationAccept")


async def test_a_resend_after_the_send_mails_a_second_link(api, world, settings):
    invitation_id = await add(api, world)
    await run_worker(settings)
    (await api.as_(world.admin).execute(RESEND, {"id": invitation_id})).ok("invitationResend")
    await run_worker(settings)
    await run_worker(settings)
    assert len(await invitation_links(EMAIL)) == 2
    assert (await Invitation.get(email=EMAIL)).send_count == 2


async def test_a_job_that_dies_midway_leaves_nothing_and_the_next_run_sends_once(
    api, world, settings, monkeypatch
):
    await add(api, world)
    original = invitations.queue_email

    async def crash(*args, **kwargs):
        await original(*args, **kwargs)  # the email row is written, then the worker dies
        raise RuntimeError("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr(invitations, "queue_email", crash)
        worker = await run_worker(settings)
    assert worker.jobs_failed == 1
    # Everything the job wrote was one transaction: no email, no live token, no "sent".
    assert await OutboxMessage.filter(recipient=EMAIL).count() == 0
    assert await OneTimeToken.filter(purpose=TokenPurpose.INVITATION).count() == 0
    invitation = await Invitation.get(email=EMAIL)
    assert (invitation.sent_at, invitation.send_count, invitation.token_id) == (None, 0, None)

    [task] = await send_tasks()
    assert task.status is TaskStatus.PENDING
    long_ago = now() - timedelta(hours=1)
    await Task.filter(id=task.id).update(created_at=long_ago, enqueued_at=long_ago)
    assert await sweep_tasks({"settings": settings}) == 1
    await run_worker(settings)
    await run_worker(settings)
    [link] = await invitation_links(EMAIL)
    assert (await Invitation.get(email=EMAIL)).send_count == 1
    (await api.execute(ACCEPT, {"input": {"token": token_of(link), "password": PASSWORD}})).ok(
        "invitationAccept"
    )


async def test_a_job_killed_after_sending_but_before_done_sends_nothing_more(api, world, settings):
    await add(api, world)
    await run_worker(settings)
    [task] = await send_tasks()
    await Task.filter(id=task.id).update(status=TaskStatus.PENDING, finished_at=None)
    await queue.enqueue(invitations.SEND_INVITATION, task.id, job_id=f"{job_id(task)}:again")
    await run_worker(settings)
    assert len(await invitation_links(EMAIL)) == 1
    assert (await Task.get(id=task.id)).status is TaskStatus.DONE


async def test_no_email_for_an_invitation_expired_revoked_or_removed_before_the_job(
    api, world, settings
):
    await add(api, world, "expired@example.test")
    await Invitation.filter(email="expired@example.test").update(
        expires_at=now() - timedelta(seconds=1)
    )
    revoked = await add(api, world, "revoked@example.test")
    (await api.as_(world.admin).execute(REVOKE, {"id": revoked})).ok("invitationRevoke")
    await add(api, world, "removed@example.test")
    membership = await StaffMembership.get(user__email="removed@example.test")
    (await api.as_(world.admin).execute(REMOVE, {"id": member_gid(membership)})).ok("staffRemove")

    await run_worker(settings)
    assert await OutboxMessage.filter(template="staff_invitation").count() == 0
    assert await OneTimeToken.filter(purpose=TokenPurpose.INVITATION).count() == 0
    assert {t.status for t in await send_tasks()} == {TaskStatus.DONE}
