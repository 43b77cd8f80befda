"""Contact ↔ User links: automatic on a verified email, explicit link and unlink, and never
a change to the user's login. Adding or editing a contact never tells whether an address
has a login: only users already tied to the organization (its staff) or whose verified
email is the contact's are ever linked, and anyone else is NOT_FOUND like an unknown id."""

from models.audit import AuditEvent
from models.contacts import Contact
from models.identity import User
from models.staff import MembershipStatus, Role, StaffMembership
from resolvers.common.time import now
from resolvers.contacts.links import link_verified_user
from schema import ids
from tests.contacts.contact_flows import (
    CONTACT,
    LINK,
    LIST,
    UNLINK,
    UPDATE,
    create,
    gid,
    make_contact,
    names,
    pk,
)


async def unverified_user(email: str) -> User:
    return await User.create(email=email, password_hash="", first_name="Un")


async def test_a_contact_with_a_staff_members_email_is_linked_at_once(api, world):
    contact = await create(api, world, firstName="Vi", email="VIEWER@alpha.test")
    assert contact["isUser"] is True
    row = await Contact.get(id=pk(contact["id"]))
    assert row.user_id == world.viewer.user.id
    event = await AuditEvent.get(action="contact.user_link")
    assert event.after == {"user_id": world.viewer.user.id, "automatic": True}
    assert event.actor_id == world.admin.user.id


async def test_adding_a_strangers_address_does_not_tell_it_has_a_login(api, world):
    """`loner` and the other organization's owner have verified logins but nothing to do
    with this organization: their addresses answer exactly as an address nobody uses."""
    for email in ("LONER@example.test", "owner@beta.test", "nobody@example.test"):
        contact = await create(api, world, firstName="Who", email=email)
        assert contact["isUser"] is False, email
        read = await api.as_(world.admin).execute(CONTACT, {"id": contact["id"]})
        assert read.data["contact"]["isUser"] is False
        assert (await Contact.get(id=pk(contact["id"]))).user_id is None
    later = await create(api, world, firstName="Later")
    changed = await api.as_(world.agent).execute(
        UPDATE, {"input": {"id": later["id"], "email": world.loner.user.email}}
    )
    assert changed.ok("contactUpdate")["contact"]["isUser"] is False
    assert not await AuditEvent.filter(action="contact.user_link").exists()
    users = await api.as_(world.admin).execute(
        LIST, {"o": world.org_gid, "filter": {"isUser": True}}
    )
    assert names(users) == []


async def test_an_unverified_email_links_nobody(api, world):
    await unverified_user("pending@example.test")
    contact = await create(api, world, firstName="Pen", email="pending@example.test")
    assert contact["isUser"] is False
    assert not await AuditEvent.filter(action="contact.user_link").exists()


async def test_a_new_email_links_and_an_explicit_unlink_sticks(api, world):
    contact = await create(api, world, firstName="Later")
    agent = api.as_(world.agent)
    changed = await agent.execute(
        UPDATE, {"input": {"id": contact["id"], "email": world.viewer.user.email}}
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
    assert event.before == {"user_id": world.viewer.user.id}


async def test_staff_link_a_contact_to_a_colleagues_login_with_another_email(api, world):
    contact = await create(api, world, firstName="Work", email="work.address@example.test")
    result = await api.as_(world.agent).execute(
        LINK, {"contactId": contact["id"], "userId": world.viewer.gid}
    )
    assert result.ok("contactUserLink")["contact"]["isUser"] is True
    # The login keeps its own email; the contact keeps its own.
    assert (await User.get(id=world.viewer.user.id)).email == "viewer@alpha.test"
    assert (await Contact.get(id=pk(contact["id"]))).email == "work.address@example.test"
    event = await AuditEvent.get(action="contact.user_link")
    assert event.after == {"user_id": world.viewer.user.id, "automatic": False}
    same = await api.as_(world.agent).execute(
        LINK, {"contactId": contact["id"], "userId": world.viewer.gid}
    )
    same.ok("contactUserLink")
    assert await AuditEvent.filter(action="contact.user_link").count() == 1


async def test_explicit_links_are_checked(api, world):
    agent = api.as_(world.agent)
    contact = await create(api, world, firstName="Check")
    other = await create(api, world, firstName="Other")
    pending = await unverified_user("unproven@example.test")
    await StaffMembership.create(
        organization=world.organization,
        user=pending,
        role=Role.VIEWER,
        status=MembershipStatus.INVITED,
    )

    async def link(contact_id, user_id):
        result = await agent.execute(LINK, {"contactId": contact_id, "userId": user_id})
        return [(e["code"], e["field"]) for e in result.payload("contactUserLink")["errors"]]

    # A colleague invited here who has not proven their address yet.
    assert await link(contact["id"], ids.encode("User", pending.id)) == [
        ("EMAIL_NOT_VERIFIED", ["input", "userId"])
    ]
    assert await link(contact["id"], ids.encode("User", 999_999)) == [
        ("NOT_FOUND", ["input", "userId"])
    ]
    assert await link(contact["id"], world.org_gid) == [("NOT_FOUND", ["input", "userId"])]
    assert await link(contact["id"], "@@not-an-id") == [("NOT_FOUND", ["input", "userId"])]
    assert await link(contact["id"], world.viewer.gid) == []
    # One contact per user in an organization, and one user per contact.
    assert await link(other["id"], world.viewer.gid) == [("ALREADY_EXISTS", ["input", "userId"])]
    assert await link(contact["id"], world.agent.gid) == [
        ("ALREADY_EXISTS", ["input", "contactId"])
    ]
    assert await Contact.filter(user_id=world.viewer.user.id).count() == 1


async def link_errors(api, member, contact_id: str, user_id: str) -> list[dict]:
    result = await api.as_(member).execute(LINK, {"contactId": contact_id, "userId": user_id})
    return result.payload("contactUserLink")["errors"]


async def test_a_user_with_no_tie_here_is_not_found_exactly_like_an_unknown_id(api, world):
    """Another organization's staff, a verified login with nothing to do with this one, an
    unverified login with the contact's very address, a deactivated login: each answers
    the error an id that names nobody answers, in English and French, and links nothing."""
    contact = await create(api, world, firstName="Ask", email="unproven@example.test")
    unproven = await unverified_user("unproven@example.test")
    gone = await User.create(
        email="gone@example.test", password_hash="", email_verified_at=now(), is_active=False
    )
    unknown = ids.encode("User", 999_999)
    for locale in ("en", "fr"):
        agent = api.with_headers(**{"accept-language": locale})
        expected = await link_errors(agent, world.agent, contact["id"], unknown)
        assert [e["code"] for e in expected] == ["NOT_FOUND"]
        for stranger in (world.outsider.user, world.loner.user, unproven, gone):
            errors = await link_errors(
                agent, world.agent, contact["id"], ids.encode("User", stranger.id)
            )
            assert errors == expected, (stranger.email, locale)
    assert (await Contact.get(id=pk(contact["id"]))).user_id is None
    assert not await AuditEvent.filter(action="contact.user_link").exists()


async def test_a_login_whose_verified_email_is_the_contacts_can_be_linked(api, world):
    contact = await create(api, world, firstName="Lone", email="loner@example.test")
    assert contact["isUser"] is False  # not linked by merely adding the address
    assert await link_errors(api, world.agent, contact["id"], world.loner.gid) == []
    read = await api.as_(world.viewer).execute(CONTACT, {"id": contact["id"]})
    assert read.data["contact"]["isUser"] is True
    assert (await Contact.get(id=pk(contact["id"]))).user_id == world.loner.user.id
    # Another contact of theirs with another address: they are no colleague here.
    work = await create(api, world, firstName="Lone", email="lone.work@example.test")
    assert [
        e["code"] for e in await link_errors(api, world.agent, work["id"], world.loner.gid)
    ] == ["NOT_FOUND"]


async def test_another_organizations_staff_can_be_linked_by_that_organization(api, world):
    theirs = await make_contact(
        world.other_organization, first_name="Own", email="own.contact@example.test"
    )
    result = await api.as_(world.outsider).execute(
        LINK, {"contactId": gid(theirs), "userId": world.outsider.gid}
    )
    assert result.ok("contactUserLink")["contact"]["isUser"] is True
    mine = await create(api, world, firstName="Theirs", email="own.contact@example.test")
    result = await api.as_(world.admin).execute(
        LINK, {"contactId": mine["id"], "userId": world.outsider.gid}
    )
    assert result.payload_codes("contactUserLink") == ["NOT_FOUND"]


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


async def test_an_import_links_colleagues_and_no_stranger(api, world, settings):
    from tests.transfers.test_import import imported

    csv = "First name,Email\nLone,loner@example.test\nBeta,owner@beta.test\nVi,viewer@alpha.test\n"
    done = await imported(api, world.admin, world, csv, settings)
    assert done["createdCount"] == 3, done
    linked = await api.as_(world.admin).execute(
        LIST, {"o": world.org_gid, "filter": {"isUser": True}}
    )
    assert names(linked) == ["Vi"]
    rows = await Contact.filter(organization_id=world.organization.id).order_by("email")
    assert [(c.email, c.user_id) for c in rows] == [
        ("loner@example.test", None),
        ("owner@beta.test", None),
        ("viewer@alpha.test", world.viewer.user.id),
    ]
