"""The holder's activation link: mailed by a job once however often it runs; it proves
the address, sets the password and links the holder's contact; expired or used links say
so and change nothing."""

from datetime import timedelta

from models.contacts import Contact
from models.identity import User
from models.messaging import OutboxMessage
from models.staff import Invitation, InvitationState
from models.tasks import Task, TaskStatus
from resolvers.accounts.activation import SEND_ACCOUNT_INVITATION
from resolvers.common.time import now
from tests.accounts.flows import ACTIVATE, ONE, activation_links, create, holder
from tests.staff.flows import token_of
from tests.support.worker import run_worker

EMAIL = "marie@example.test"
PASSWORD = "a long new password"


async def test_run_twice_it_mails_once(api, world, settings):
    await create(api, world, holder(email=EMAIL))
    await run_worker(settings)
    await run_worker(settings)
    assert len(await activation_links(EMAIL)) == 1
    assert (await Invitation.get(email=EMAIL)).send_count == 1
    tasks = await Task.filter(function=SEND_ACCOUNT_INVITATION)
    assert [t.status for t in tasks] == [TaskStatus.DONE]
    # The job run again by hand (a re-enqueue) finds the request already sent.
    from resolvers.accounts import activation

    await activation.send((await Invitation.get(email=EMAIL)).id)
    await run_worker(settings)
    assert await OutboxMessage.filter(recipient=EMAIL, template="account_activation").count() == 1


async def test_the_link_sets_the_password_and_links_the_holder(api, world, settings):
    account = await create(api, world, holder(email=EMAIL))
    [link] = await activation_links(EMAIL)
    result = await api.execute(ACTIVATE, {"input": {"token": token_of(link), "password": PASSWORD}})
    payload = result.ok("clientAccountActivate")
    assert payload["user"] == {"email": EMAIL, "emailVerified": True}
    assert payload["accessToken"]
    user = await User.get(email=EMAIL)
    assert (await Contact.get(email=EMAIL)).user_id == user.id
    read = await api.as_(world.viewer).execute(ONE, {"id": account["id"]})
    [holder_row] = read.data["clientAccount"]["contacts"]
    assert holder_row["activation"] == "ACCEPTED"
    assert (await Invitation.get(email=EMAIL)).state is InvitationState.ACCEPTED
    again = await api.execute(ACTIVATE, {"input": {"token": token_of(link), "password": PASSWORD}})
    assert again.payload_codes("clientAccountActivate") == ["TOKEN_USED"]


async def test_a_password_is_needed_and_checked(api, world, settings):
    await create(api, world, holder(email=EMAIL))
    [link] = await activation_links(EMAIL)
    short = await api.execute(ACTIVATE, {"input": {"token": token_of(link), "password": "short"}})
    assert short.payload_codes("clientAccountActivate") == ["PASSWORD_TOO_WEAK"]
    assert (await User.get(email=EMAIL)).email_verified_at is None
    assert (await Contact.get(email=EMAIL)).user_id is None


async def test_an_expired_link_says_so_and_changes_nothing(api, world, settings):
    await create(api, world, holder(email=EMAIL))
    [link] = await activation_links(EMAIL)
    await Invitation.filter(email=EMAIL).update(expires_at=now() - timedelta(days=1))
    result = await api.execute(ACTIVATE, {"input": {"token": token_of(link), "password": PASSWORD}})
    assert result.payload_codes("clientAccountActivate") == ["TOKEN_EXPIRED"]
    french = await api.execute(
        ACTIVATE,
        {"input": {"token": token_of(link), "password": PASSWORD}},
        **{"accept-language": "fr"},
    )
    assert "expiré" in french.payload("clientAccountActivate")["errors"][0]["message"]
    assert (await User.get(email=EMAIL)).email_verified_at is None
    assert (await Contact.get(email=EMAIL)).user_id is None


async def test_a_staff_invitation_link_is_not_an_activation_link(api, world, settings):
    result = await api.execute(ACTIVATE, {"input": {"token": "made-up", "password": PASSWORD}})
    assert result.payload_codes("clientAccountActivate") == ["TOKEN_INVALID"]


RESEND = """mutation($id: ID!) { clientAccountActivationResend(input: {accountContactId: $id}) {
  accountContact { activation } errors { code field } } }"""


async def test_a_resend_mails_a_new_link_and_kills_the_old_one(api, world, settings):
    account = await create(api, world, holder(email=EMAIL))
    holder_id = account["contacts"][0]["id"]
    [old] = await activation_links(EMAIL)
    await Invitation.filter(email=EMAIL).update(expires_at=now() - timedelta(days=1))
    resent = await api.as_(world.agent).execute(RESEND, {"id": holder_id})
    assert resent.ok("clientAccountActivationResend")["accountContact"]["activation"] == "PENDING"
    old_again, new = await activation_links(EMAIL)
    assert old_again == old and new != old
    stale = await api.execute(ACTIVATE, {"input": {"token": token_of(old), "password": PASSWORD}})
    assert stale.payload_codes("clientAccountActivate") == ["TOKEN_REVOKED"]
    fresh = await api.execute(ACTIVATE, {"input": {"token": token_of(new), "password": PASSWORD}})
    fresh.ok("clientAccountActivate")
    done = await api.as_(world.agent).execute(RESEND, {"id": holder_id})
    assert done.payload_codes("clientAccountActivationResend") == ["INVALID"]
    theirs = await api.as_(world.outsider).execute(RESEND, {"id": holder_id})
    [error] = theirs.payload("clientAccountActivationResend")["errors"]
    assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "accountContactId"])
