"""staffAdd and invitationAccept: one login across organizations, access only once proven."""

from models.audit import AuditEvent
from models.identity import User
from models.messaging import OutboxMessage
from models.staff import Invitation, StaffMembership
from tests.staff.flows import ACCEPT, ORGANIZATION, STAFF_ADD, add_input, invitation_links, token_of
from tests.support.mail import send_queued_mail
from tests.support.worker import run_worker


async def test_a_verified_user_gets_access_at_once_with_the_same_login(api, world, settings):
    result = await api.as_(world.admin).execute(STAFF_ADD, add_input(world, world.loner.user.email))
    payload = result.ok("staffAdd")
    assert payload["member"]["status"] == "ACTIVE" and payload["invitation"] is None
    assert await User.filter(email=world.loner.user.email).count() == 1
    # The same token they already had now reaches the organization.
    assert (await api.as_(world.loner).execute(ORGANIZATION, {"id": world.org_gid})).data
    await send_queued_mail()
    notice = await OutboxMessage.get(
        recipient=world.loner.user.email, template="staff_access_granted"
    )
    assert "Club Alpha" in notice.body_text and "same email and password" in notice.body_text
    actions = await AuditEvent.filter(organization_id=world.organization.id).values_list(
        "action", flat=True
    )
    assert "staff.add" in actions


async def test_a_new_person_is_invited_and_joins_by_setting_a_password(api, world, settings):
    email = "nora@example.test"
    result = await api.as_(world.admin).execute(STAFF_ADD, add_input(world, "Nora@Example.test"))
    payload = result.ok("staffAdd")
    assert payload["member"]["status"] == "INVITED"
    assert payload["invitation"]["state"] == "PENDING"
    assert payload["member"]["user"] == {"email": email, "emailVerified": False}
    # No access yet, and no way to sign in: the address is not proven.
    signed = await api.execute(
        'mutation { tokenCreate(input: {email: "nora@example.test", '
        'password: "whatever password"}) { errors { code } } }'
    )
    assert signed.payload_codes("tokenCreate") == ["INVALID_CREDENTIALS"]

    await run_worker(settings)
    await run_worker(settings)  # a second run sends nothing more
    [link] = await invitation_links(email)
    accepted = await api.execute(
        ACCEPT, {"input": {"token": token_of(link), "password": "a long new password"}}
    )
    joined = accepted.ok("invitationAccept")
    assert joined["user"] == {"email": email, "emailVerified": True, "firstName": "Nora"}
    assert joined["organization"] == {"name": "Club Alpha"}
    assert joined["member"]["status"] == "ACTIVE"
    me = await api.with_headers(authorization=f"Bearer {joined['accessToken']}").execute(
        "{ me { email } }"
    )
    assert me.data == {"me": {"email": email}}
    again = await api.execute(ACCEPT, {"input": {"token": token_of(link)}})
    assert again.payload_codes("invitationAccept") == ["TOKEN_USED"]


async def test_a_new_person_must_choose_a_password(api, world, settings):
    await api.as_(world.admin).execute(STAFF_ADD, add_input(world, "pat@example.test"))
    await run_worker(settings)
    [link] = await invitation_links("pat@example.test")
    result = await api.execute(ACCEPT, {"input": {"token": token_of(link)}})
    assert result.payload_codes("invitationAccept") == ["REQUIRED"]
    weak = await api.execute(ACCEPT, {"input": {"token": token_of(link), "password": "short"}})
    assert weak.payload_codes("invitationAccept") == ["PASSWORD_TOO_WEAK"]
    # The failed attempts used nothing up: the link still works.
    ok = await api.execute(
        ACCEPT, {"input": {"token": token_of(link), "password": "a long new password"}}
    )
    ok.ok("invitationAccept")


async def test_an_unverified_account_is_invited_and_the_link_verifies_it(api, world, settings):
    register = (
        'mutation { userRegister(input: {email: "sam@example.test", password: '
        '"sams own password", firstName: "Sam"}) { errors { code } } }'
    )
    (await api.execute(register)).ok("userRegister")
    result = await api.as_(world.owner).execute(STAFF_ADD, add_input(world, "sam@example.test"))
    assert result.ok("staffAdd")["member"]["status"] == "INVITED"
    await run_worker(settings)
    [link] = await invitation_links("sam@example.test")
    # Registering proved nothing (anyone can register any address): the holder of the
    # link confirms the password, here the one Sam chose.
    bare = await api.execute(ACCEPT, {"input": {"token": token_of(link)}})
    assert bare.payload_codes("invitationAccept") == ["REQUIRED"]
    accepted = await api.execute(
        ACCEPT, {"input": {"token": token_of(link), "password": "sams own password"}}
    )
    assert accepted.ok("invitationAccept")["user"]["emailVerified"] is True
    signed = await api.execute(
        'mutation { tokenCreate(input: {email: "sam@example.test", '
        'password: "sams own password"}) { accessToken errors { code } } }'
    )
    assert signed.ok("tokenCreate")["accessToken"]


async def test_bad_input_writes_nothing(api, world):
    admin = api.as_(world.admin)
    before = (
        await StaffMembership.all().count(),
        await User.all().count(),
        await Invitation.all().count(),
    )
    bad_email = await admin.execute(STAFF_ADD, add_input(world, "not an email"))
    assert bad_email.payload_codes("staffAdd") == ["INVALID_EMAIL"]
    no_name = await admin.execute(STAFF_ADD, add_input(world, "x@example.test", firstName=" "))
    assert no_name.payload_codes("staffAdd") == ["REQUIRED"]
    already = await admin.execute(STAFF_ADD, add_input(world, world.viewer.user.email))
    assert already.payload_codes("staffAdd") == ["ALREADY_EXISTS"]
    unknown_role = await admin.execute(
        STAFF_ADD, add_input(world, "x@example.test", role="EMPEROR")
    )
    assert unknown_role.error_codes == ["BAD_USER_INPUT"]
    after = (
        await StaffMembership.all().count(),
        await User.all().count(),
        await Invitation.all().count(),
    )
    assert after == before


async def test_adding_twice_says_to_resend_instead(api, world, settings):
    admin = api.as_(world.admin)
    (await admin.execute(STAFF_ADD, add_input(world, "twice@example.test"))).ok("staffAdd")
    again = await admin.execute(STAFF_ADD, add_input(world, "twice@example.test"))
    [error] = again.payload("staffAdd")["errors"]
    assert error["code"] == "ALREADY_EXISTS" and "resend" in error["message"]


async def test_inviting_into_another_organization_is_not_found(api, world):
    variables = add_input(world, "x@example.test")
    variables["input"]["organizationId"] = world.other_org_gid
    result = await api.as_(world.admin).execute(STAFF_ADD, variables)
    [error] = result.payload("staffAdd")["errors"]
    assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "organizationId"])
    assert not await User.filter(email="x@example.test").exists()


async def test_only_an_owner_grants_the_owner_role(api, world):
    refused = await api.as_(world.admin).execute(
        STAFF_ADD, add_input(world, world.loner.user.email, role="OWNER")
    )
    [error] = refused.payload("staffAdd")["errors"]
    assert (error["code"], error["field"]) == ("FORBIDDEN", ["input", "role"])
    granted = await api.as_(world.owner).execute(
        STAFF_ADD, add_input(world, world.loner.user.email, role="OWNER")
    )
    assert granted.ok("staffAdd")["member"]["role"] == "OWNER"


async def test_one_login_many_organizations(api, world):
    # The other organization's owner joins Club Alpha too, with the same login.
    result = await api.as_(world.admin).execute(
        STAFF_ADD, add_input(world, world.outsider.user.email, role="VIEWER")
    )
    result.ok("staffAdd")
    mine = await api.as_(world.outsider).execute("{ myOrganizations { name myRole } }")
    assert mine.data["myOrganizations"] == [
        {"name": "Club Alpha", "myRole": "VIEWER"},
        {"name": "Club Beta", "myRole": "OWNER"},
    ]


async def test_errors_in_french(api, world):
    result = await api.as_(world.admin).execute(
        STAFF_ADD, add_input(world, world.viewer.user.email), **{"accept-language": "fr"}
    )
    [error] = result.payload("staffAdd")["errors"]
    assert error["message"] == "Cette personne fait déjà partie du personnel."


async def test_an_invited_person_may_register_instead_and_still_accepts_later(api, world, settings):
    await api.as_(world.admin).execute(STAFF_ADD, add_input(world, "reg@example.test"))
    register = (
        'mutation { userRegister(input: {email: "reg@example.test", password: '
        '"my chosen password", firstName: "Reg"}) { user { email } errors { code } } }'
    )
    (await api.execute(register)).ok("userRegister")
    # Registering proves nothing yet: the membership waits for the invitation link.
    membership = await StaffMembership.get(user__email="reg@example.test")
    assert membership.status.value == "INVITED"
    await run_worker(settings)
    [link] = await invitation_links("reg@example.test")
    accepted = await api.execute(
        ACCEPT, {"input": {"token": token_of(link), "password": "my chosen password"}}
    )
    assert accepted.ok("invitationAccept")["member"]["status"] == "ACTIVE"
    signed = await api.execute(
        'mutation { tokenCreate(input: {email: "reg@example.test", '
        'password: "my chosen password"}) { accessToken errors { code } } }'
    )
    assert signed.ok("tokenCreate")["accessToken"]
    # A second registration for the now-claimed address changes nothing (and says nothing).
    (await api.execute(register)).ok("userRegister")
    signed_again = await api.execute(
        'mutation { tokenCreate(input: {email: "reg@example.test", '
        'password: "my chosen password"}) { accessToken errors { code } } }'
    )
    assert signed_again.ok("tokenCreate")["accessToken"]


async def test_staff_land_in_the_address_book(api, world, settings):
    from models.contacts import Contact, ContactSource

    (await api.as_(world.admin).execute(STAFF_ADD, add_input(world, world.loner.user.email))).ok(
        "staffAdd"
    )
    contact = await Contact.get(organization_id=world.organization.id, user_id=world.loner.user.id)
    assert contact.source is ContactSource.STAFF_MEMBERSHIP
    assert contact.last_activity_at is not None

    # An invitee arrives when they join, linked to the login they just proved.
    await api.as_(world.admin).execute(STAFF_ADD, add_input(world, "joiner@example.test"))
    assert not await Contact.filter(email="joiner@example.test").exists()
    await run_worker(settings)
    [link] = await invitation_links("joiner@example.test")
    (
        await api.execute(
            ACCEPT, {"input": {"token": token_of(link), "password": "a long new password"}}
        )
    ).ok("invitationAccept")
    joined = await Contact.get(organization_id=world.organization.id, email="joiner@example.test")
    assert joined.user_id == (await User.get(email="joiner@example.test")).id


async def test_verifying_an_email_links_the_contacts_that_carry_it(api, world, settings):
    from models.contacts import Contact
    from models.messaging import OutboxMessage
    from tests.staff.flows import token_of as token

    # Staff entered Zoé in advance, before she had any login.
    await Contact.create(
        organization=world.organization,
        first_name="Zoé",
        email="zoe@example.test",
        sort_name="zoe",
        search_text="zoe",
    )
    register = (
        'mutation { userRegister(input: {email: "zoe@example.test", password: '
        '"zoes own password", firstName: "Zoé"}) { errors { code } } }'
    )
    (await api.execute(register)).ok("userRegister")
    assert (await Contact.get(email="zoe@example.test")).user_id is None  # not proven yet
    await send_queued_mail()
    mail = await OutboxMessage.get(recipient="zoe@example.test", template="verify_email")
    verify = "mutation($t: String!) { emailVerify(input: {token: $t}) { errors { code } } }"
    (await api.execute(verify, {"t": token(mail.links[0])})).ok("emailVerify")
    user = await User.get(email="zoe@example.test")
    assert (await Contact.get(email="zoe@example.test")).user_id == user.id
