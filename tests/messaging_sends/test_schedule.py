"""Scheduled messages: SCHEDULED until the cron starts them at their time, cancellable
until then (ALREADY_STARTED after); a time in the past, another organization's draft or
message, and a sender who lost the right to send are refused or canceled, nothing sent."""

from datetime import timedelta

from jobs.messaging import start_scheduled_messages
from models.contacts import ConsentStatus
from models.message_sends import Delivery, Message, MessageState
from models.staff import Role, StaffMembership
from resolvers.common.time import now
from resolvers.messaging import sends
from schema import ids
from tests.messaging_sends.support import CANCEL, READ, SEND, draft_for, person
from tests.support.worker import run_worker


def iso(moment):
    return moment.isoformat()


async def test_a_scheduled_message_starts_at_its_time_and_is_cancellable_until_then(
    api, world, services
):
    agent = api.as_(world.agent)
    contact = await person(world.organization, "Ada L", email="ada@example.com",
                           consent=ConsentStatus.EXPRESS)
    later = now() + timedelta(hours=1)
    first = await draft_for(world, [contact])
    scheduled = (
        await agent.execute(SEND, {"input": {"draftId": first, "at": iso(later)}})
    ).ok("messageSend")["message"]
    assert scheduled["state"] == "SCHEDULED" and scheduled["operation"] is None
    # Not yet due: the cron starts nothing.
    assert await start_scheduled_messages({}) == 0
    canceled = (
        await agent.execute(CANCEL, {"input": {"messageId": scheduled["id"]}})
    ).ok("messageSendCancel")["message"]
    assert canceled["state"] == "CANCELED"
    again = await agent.execute(CANCEL, {"input": {"messageId": scheduled["id"]}})
    assert again.payload_codes("messageSendCancel") == ["ALREADY_STARTED"]

    second = await draft_for(world, [contact])
    kept = (
        await agent.execute(SEND, {"input": {"draftId": second, "at": iso(later)}})
    ).ok("messageSend")["message"]
    assert await sends.start_due(later - timedelta(minutes=1)) == 0
    assert await sends.start_due(later + timedelta(seconds=1)) == 1
    assert await sends.start_due(later + timedelta(seconds=2)) == 0  # started once
    await run_worker(services.settings())
    read = (await agent.execute(READ, {"id": kept["id"]})).payload("message")
    assert read["state"] == "SENT" and read["counts"]["sent"] == 1
    late = await agent.with_headers(**{"accept-language": "fr"}).execute(
        CANCEL, {"input": {"messageId": kept["id"]}}
    )
    [error] = late.payload("messageSendCancel")["errors"]
    assert error["code"] == "ALREADY_STARTED" and "commencé" in error["message"]
    # The canceled one never went.
    canceled_message = await Message.get(id=ids.decode(scheduled["id"])[1])
    assert canceled_message.state is MessageState.CANCELED
    assert await Delivery.filter(message_id=canceled_message.id).count() == 0


async def test_bad_schedules_and_other_organizations_ids_send_nothing(api, world):
    agent = api.as_(world.agent)
    contact = await person(world.organization, "Ada L", email="ada@example.com",
                           consent=ConsentStatus.EXPRESS)
    draft = await draft_for(world, [contact])
    past = await agent.with_headers(**{"accept-language": "fr"}).execute(
        SEND, {"input": {"draftId": draft, "at": iso(now() - timedelta(hours=1))}}
    )
    [error] = past.payload("messageSend")["errors"]
    assert error["code"] == "IN_THE_PAST" and error["field"] == ["input", "at"]
    assert "passée" in error["message"]
    theirs_contact = await person(world.other_organization, "Zed Z", email="z@example.com",
                                  consent=ConsentStatus.EXPRESS)
    theirs = await draft_for(world, [theirs_contact], organization=world.other_organization)
    foreign = await agent.execute(SEND, {"input": {"draftId": theirs}})
    assert foreign.payload_codes("messageSend") == ["NOT_FOUND"]
    their_message = await Message.create(
        organization=world.other_organization, channel="EMAIL", audience={}, contents={},
        send_at=now() + timedelta(days=1),
    )
    gid = ids.encode("Message", their_message.id)
    cancel = await agent.execute(CANCEL, {"input": {"messageId": gid}})
    assert cancel.payload_codes("messageSendCancel") == ["NOT_FOUND"]
    read = await agent.execute(READ, {"id": gid})
    assert read.error_codes == ["NOT_FOUND"]
    assert (await Message.get(id=their_message.id)).state is MessageState.SCHEDULED
    assert not await Message.filter(organization=world.organization).exists()


async def test_a_scheduled_message_whose_sender_lost_the_right_is_canceled(api, world):
    agent = api.as_(world.agent)
    contact = await person(world.organization, "Ada L", email="ada@example.com",
                           consent=ConsentStatus.EXPRESS)
    later = now() + timedelta(hours=1)
    draft = await draft_for(world, [contact])
    scheduled = (
        await agent.execute(SEND, {"input": {"draftId": draft, "at": iso(later)}})
    ).ok("messageSend")["message"]
    await StaffMembership.filter(user=world.agent.user, organization=world.organization).update(
        role=Role.VIEWER
    )
    assert await sends.start_due(later + timedelta(seconds=1)) == 0
    message = await Message.get(id=ids.decode(scheduled["id"])[1])
    assert message.state is MessageState.CANCELED and message.operation_id is None
