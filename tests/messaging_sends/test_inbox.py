"""INTERNAL messages land in the recipient user's inbox (staff or not): `me { inbox
unreadCount }`, `messageMarkRead`; contacts without a user are skipped NOT_A_USER, and
another user's message is NOT_FOUND."""

from models.identity import User
from schema import ids
from tests.messaging_sends.support import READ, SEND, draft_for, person
from tests.support.worker import run_worker

INBOX = """query($unread: Boolean!) { me { unreadCount inbox(first: 10, unreadOnly: $unread) {
  edges { node { id subject body organizationName readAt sentAt } } } } }"""
MARK = """mutation($id: ID!) { messageMarkRead(input: {id: $id}) {
  message { id readAt } errors { code field } } }"""


async def test_an_internal_message_reaches_users_inboxes_and_is_marked_read(
    api, world, services
):
    agent = api.as_(world.agent)
    client_user = world.viewer.user  # any signed-in user; here a staff member's login
    with_user = await person(world.organization, "Vi Ewer", user=client_user)
    without = await person(world.organization, "No User")
    draft = await draft_for(
        world, [with_user, without], channel="INTERNAL",
        contents={"en": {"subject": "Club news", "body": "Hi {{ contact.first_name }}"}},
    )
    sent = (await agent.execute(SEND, {"input": {"draftId": draft}})).ok("messageSend")
    await run_worker(services.settings())
    read = (await agent.execute(READ, {"id": sent["message"]["id"]})).payload("message")
    assert read["counts"]["sent"] == 1
    assert {s["reason"]: s["count"] for s in read["counts"]["skips"]} == {"NOT_A_USER": 1}

    viewer = api.as_(world.viewer)
    mine = (await viewer.execute(INBOX, {"unread": True})).data["me"]
    assert mine["unreadCount"] == 1
    [message] = [e["node"] for e in mine["inbox"]["edges"]]
    assert message["subject"] == "Club news" and message["body"] == "Hi Vi"
    assert message["organizationName"] == world.organization.name and message["readAt"] is None
    # Nobody else sees it, nor can mark it.
    other = (await agent.execute(INBOX, {"unread": False})).data["me"]
    assert other["inbox"]["edges"] == [] and other["unreadCount"] == 0
    stolen = await agent.execute(MARK, {"id": message["id"]})
    assert stolen.payload_codes("messageMarkRead") == ["NOT_FOUND"]
    wrong_type = await viewer.execute(MARK, {"id": ids.encode("Message", 1)})
    assert wrong_type.payload_codes("messageMarkRead") == ["NOT_FOUND"]

    marked = (await viewer.execute(MARK, {"id": message["id"]})).ok("messageMarkRead")
    assert marked["message"]["readAt"]
    after = (await viewer.execute(INBOX, {"unread": True})).data["me"]
    assert after["unreadCount"] == 0 and after["inbox"]["edges"] == []
    everything = (await viewer.execute(INBOX, {"unread": False})).data["me"]
    assert len(everything["inbox"]["edges"]) == 1
    assert await User.filter(id=client_user.id).exists()


async def test_a_chunks_statements_do_not_grow_with_internal_or_skipped_recipients(api, world):
    """One statement per reason and per batch of rows, not per recipient: INTERNAL
    deliveries and skips are written set-based (EMAIL and SMS add their outbox row and
    task per recipient)."""
    from carnet.statements import count_statements
    from models.tasks import Task
    from resolvers.bulk import chunks

    agent = api.as_(world.agent)

    async def statements_for(people: int) -> int:
        contacts = []
        for n in range(people):
            user = world.viewer.user if n == 0 else None
            contacts.append(await person(world.organization, f"P{n} Q", user=user))
        draft = await draft_for(world, contacts, channel="INTERNAL",
                                contents={"en": {"subject": "S", "body": "B"}})
        (await agent.execute(SEND, {"input": {"draftId": draft}})).ok("messageSend")
        task = await Task.filter(function="bulk_chunk").order_by("-id").first()
        with count_statements() as statements:
            await chunks.run_chunk(*task.args)
        return len(statements)

    assert await statements_for(3) == await statements_for(30)
