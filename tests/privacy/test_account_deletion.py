"""myAccountDelete: every session ends, the login keeps no name or address, each
organization that knew the user gets a privacy request; the last owner is refused."""

from __future__ import annotations

from carnet.statements import count_statements
from models.audit import AuditEvent
from models.identity import Session, User
from models.messaging import Channel, OutboxMessage
from models.privacy import PrivacyRequest, PrivacyRequestKind
from tests.support.contacts import new_contact
from tests.support.world import PASSWORD, make_member

ERRORS = "errors { code field message }"
DELETE = f"""mutation($p: String!) {{ myAccountDelete(input: {{password: $p}}) {{
  organizationsAsked {ERRORS} }} }}"""
REQUESTS = """query($o: ID!) { privacyRequests(organizationId: $o, first: 5) {
  edges { node { kind contactId } } } }"""


async def test_a_user_deletes_their_login(api, world, password_hash):
    client = await make_member("client@example.test", password_hash, None, None)
    contact = await new_contact(world.organization, "Client Person")
    contact.user = client.user
    await contact.save()
    await OutboxMessage.create(
        channel=Channel.EMAIL, template="password_reset", recipient="client@example.test"
    )
    await AuditEvent.create(action="user.register", after={"email": "client@example.test"})
    wrong = await api.as_(client).execute(DELETE, {"p": "not it"})
    assert wrong.payload_codes("myAccountDelete") == ["INVALID_CREDENTIALS"]
    done = (await api.as_(client).execute(DELETE, {"p": PASSWORD})).ok("myAccountDelete")
    assert done["organizationsAsked"] == 1
    user = await User.get(id=client.user.id)
    assert not user.is_active and user.first_name == "" and "client" not in user.email
    assert await Session.filter(user_id=user.id).count() == 0
    assert not await OutboxMessage.filter(recipient="client@example.test").exists()
    registered = await AuditEvent.get(action="user.register")
    assert registered.after == {"email": "[erased]"}
    # The token no longer works.
    again = await api.as_(client).execute(DELETE, {"p": PASSWORD})
    assert again.error_codes == ["UNAUTHENTICATED"]
    listed = await api.as_(world.admin).execute(REQUESTS, {"o": world.org_gid})
    kinds = [e["node"]["kind"] for e in listed.data["privacyRequests"]["edges"]]
    assert kinds == ["ACCOUNT_DELETION"]


async def test_the_last_owner_is_refused(api, world):
    result = await api.as_(world.owner).execute(
        DELETE, {"p": PASSWORD}, **{"accept-language": "fr"}
    )
    error = result.payload("myAccountDelete")["errors"][0]
    assert error["code"] == "LAST_OWNER" and "propriétaire" in error["message"]
    assert (await User.get(id=world.owner.user.id)).is_active
    assert await PrivacyRequest.filter(kind=PrivacyRequestKind.ACCOUNT_DELETION).count() == 0


async def test_the_request_list_is_one_query_per_page(api, world):
    async def add(n: int) -> None:
        for _ in range(n):
            await PrivacyRequest.create(
                organization=world.organization,
                kind=PrivacyRequestKind.ERASURE,
                contact=await new_contact(world.organization),
            )

    await add(1)
    with count_statements() as few:
        assert not (await api.as_(world.admin).execute(REQUESTS, {"o": world.org_gid})).errors
    await add(4)
    with count_statements() as many:
        result = await api.as_(world.admin).execute(REQUESTS, {"o": world.org_gid})
    assert len(result.data["privacyRequests"]["edges"]) == 5
    assert len(many) == len(few)
