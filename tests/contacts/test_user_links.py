"""Contact ↔ User links: automatic on a verified email, explicit link and unlink, and never
a change to the user's login."""

from models.audit import AuditEvent
from models.contacts import Contact
from models.identity import User
from resolvers.common.time import now
from resolvers.contacts.links import link_verified_user
from schema import ids
from tests.contacts.contact_flows import LINK, UNLINK, UPDATE, create, gid, make_contact, pk


async def unverified_user(email: str) -> User:
    return await User.create(email=email, password_hash="", first_name="Un")


async def test_a_contact_with_a_verified_users_email_is_linked_at_once(api, world):
    contact = await create(api, world, firstName="Lone", email="LONER@example.test")
    assert contact["isUser"] is True
    row = await Contact.get(id=pk(contact["id"]))
    assert row.user_id == world.loner.user.id
    event = await AuditEvent.get(action="contact.user_link")
    assert event.after == {"user_id": world.loner.user.id, "automatic": True}
    assert event.actor_id == world.admin.user.id


async def test_an_unverified_email_links_nobody(api, world):
    await unverified_user("pending@example.test")
    contact = await create(api, world, firstName="Pen", email="pending@example.test")
    assert contact["isUser"] is False
    assert not await AuditEvent.filter(action="contact.user_link").exists()


async def test_a_new_email_links_and_an_explicit_unlink_sticks(api, world):
    contact = await create(api, world, firstName="Later")
    agent = api.as_(world.agent)
    changed = await agent.execute(
        UPDATE, {"input": {"id": contact["id"], "email": world.loner.user.email}}
    )
    assert changed.ok("contactUpdate")["contact"]["isUser"] is True
    unlinked = await agent.execute(UNLINK, {"contactId": contact["id"]})
    assert unlinked.ok("contactUserUnlink")["contact"]["isUser"] is False
    # An unrelated edit does not link it again.
    edited = await agent.execute(UPDATE, {"input": {"id": contact["id"], "city": "Québec"}})
    assert edited.ok("contactUpdate")["contact"]["isUser"] is False
    again = await agent.execute(UNLINK, {"contactId": contact["id"]})
    assert again.payload_codes("contactUserUnlink") == ["INVALID"]
    event = await AuditEvent.get(action="contact.user_unlink")
    assert event.before == {"user_id": world.loner.user.id}


async def test_staff_link_a_contact_to_a_verified_login_with_another_email(api, world):
    contact = await create(api, world, firstName="Work", email="work.address@example.test")
    result = await api.as_(world.agent).execute(
        LINK, {"contactId": contact["id"], "userId": world.loner.gid}
    )
    assert result.ok("contactUserLink")["contact"]["isUser"] is True
    # The login keeps its own email; the contact keeps its own.
    assert (await User.get(id=world.loner.user.id)).email == "loner@example.test"
    assert (await Contact.get(id=pk(contact["id"]))).email == "work.address@example.test"
    event = await AuditEvent.get(action="contact.user_link")
    assert event.after == {"user_id": world.loner.user.id, "automatic": False}
    same = await api.as_(world.agent).execute(
        LINK, {"contactId": contact["id"], "userId": world.loner.gid}
    )
    same.ok("contactUserLink")
    assert await AuditEvent.filter(action="contact.user_link").count() == 1


async def test_explicit_links_are_checked(api, world):
    agent = api.as_(world.agent)
    contact = await create(api, world, firstName="Check")
    other = await create(api, world, firstName="Other")
    pending = await unverified_user("unproven@example.test")

    async def link(contact_id, user_id):
        result = await agent.execute(LINK, {"contactId": contact_id, "userId": user_id})
        return [(e["code"], e["field"]) for e in result.payload("contactUserLink")["errors"]]

    assert await link(contact["id"], ids.encode("User", pending.id)) == [
        ("EMAIL_NOT_VERIFIED", ["input", "userId"])
    ]
    assert await link(contact["id"], ids.encode("User", 999_999)) == [
        ("NOT_FOUND", ["input", "userId"])
    ]
    assert await link(contact["id"], world.org_gid) == [("NOT_FOUND", ["input", "userId"])]
    assert await link(contact["id"], "@@not-an-id") == [("NOT_FOUND", ["input", "userId"])]
    assert await link(contact["id"], world.loner.gid) == []
    # One contact per user in an organization, and one user per contact.
    assert await link(other["id"], world.loner.gid) == [("ALREADY_EXISTS", ["input", "userId"])]
    assert await link(contact["id"], world.viewer.gid) == [
        ("ALREADY_EXISTS", ["input", "contactId"])
    ]
    assert await Contact.filter(user_id=world.loner.user.id).count() == 1


async def test_linking_another_organizations_contact_is_not_found(api, world):
    theirs = await make_contact(world.other_organization, first_name="Theirs")
    result = await api.as_(world.agent).execute(
        LINK, {"contactId": gid(theirs), "userId": world.loner.gid}
    )
    assert result.payload_codes("contactUserLink") == ["NOT_FOUND"]
    assert (await Contact.get(id=theirs.id)).user_id is None


async def test_a_user_who_verifies_later_is_linked_in_every_organization(world):
    user = await unverified_user("late@example.test")
    here = await make_contact(world.organization, first_name="Late", email="late@example.test")
    there = await make_contact(
        world.other_organization, first_name="Late", email="late@example.test"
    )
    twin = await make_contact(world.organization, first_name="Twin", email="late@example.test")
    assert await link_verified_user(user) == 0  # not verified yet
    user.email_verified_at = now()
    await user.save()
    assert await link_verified_user(user) == 2
    assert (await Contact.get(id=here.id)).user_id == user.id
    assert (await Contact.get(id=there.id)).user_id == user.id
    assert (await Contact.get(id=twin.id)).user_id is None  # one contact per organization
    assert await link_verified_user(user) == 0
