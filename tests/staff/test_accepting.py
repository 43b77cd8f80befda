"""invitationAccept's edge cases: only the address's holder joins, and a refusal writes nothing."""

from models.audit import AuditEvent
from models.identity import OneTimeToken, Session, TokenPurpose, User
from models.staff import Invitation, InvitationState, MembershipStatus, StaffMembership
from tests.identity.flows import (
    ME,
    confirm_change,
    mailed_token,
    register,
    request_change,
    sign_in,
    signed_in,
)
from tests.staff.flows import (
    ACCEPT,
    ORGANIZATION,
    REMOVE,
    STAFF_ADD,
    add_input,
    invitation_links,
    member_gid,
    token_of,
)
from tests.support.worker import run_worker

NEW = "nina@example.test"
PASSWORD = "a long new password"


async def invited(api, world, settings, email=NEW) -> str:
    """Invites `email` into Club Alpha and returns the token of the mailed link."""
    (await api.as_(world.admin).execute(STAFF_ADD, add_input(world, email))).ok("staffAdd")
    await run_worker(settings)
    [link] = await invitation_links(email)
    return token_of(link)


async def state_of_the_invitee(email=NEW) -> tuple:
    user = await User.get(email=email)
    invitation = await Invitation.get(email=email)
    membership = await StaffMembership.get_or_none(user=user)
    token = await OneTimeToken.get(purpose=TokenPurpose.INVITATION, email=email)
    return (
        user.password_hash,
        user.email_verified_at,
        user.first_name,
        invitation.state,
        membership.status if membership else None,
        token.used_at,
        await Session.filter(user=user).count(),
        await AuditEvent.filter(action="staff.invitation_accept").count(),
    )


async def test_a_refused_acceptance_writes_nothing_and_the_link_still_works(api, world, settings):
    token = await invited(api, world, settings)
    before = await state_of_the_invitee()
    for variables, code in (
        ({"token": token}, "REQUIRED"),  # a new person must choose a password
        ({"token": token, "password": "short"}, "PASSWORD_TOO_WEAK"),
        ({"token": token, "password": NEW}, "PASSWORD_TOO_WEAK"),  # the address itself
        ({"token": token, "password": PASSWORD, "firstName": "  "}, "REQUIRED"),
        ({"token": token + "x", "password": PASSWORD}, "TOKEN_INVALID"),
    ):
        result = await api.execute(ACCEPT, {"input": variables})
        assert result.payload_codes("invitationAccept") == [code], variables
        assert await state_of_the_invitee() == before, variables
    result = await api.execute(ACCEPT, {"input": {"token": token, "password": PASSWORD}})
    assert result.ok("invitationAccept")["member"]["status"] == "ACTIVE"


async def test_a_person_removed_meanwhile_cannot_join(api, world, settings):
    token = await invited(api, world, settings)
    membership = await StaffMembership.get(user__email=NEW)
    (await api.as_(world.admin).execute(REMOVE, {"id": member_gid(membership)})).ok("staffRemove")
    result = await api.execute(ACCEPT, {"input": {"token": token, "password": PASSWORD}})
    assert result.payload_codes("invitationAccept") == ["TOKEN_REVOKED"]
    assert not await StaffMembership.exists(user__email=NEW)
    user = await User.get(email=NEW)
    assert (user.password_hash, user.email_verified_at) == ("", None)
    assert (await Invitation.get(email=NEW)).state is InvitationState.REVOKED


async def test_a_disabled_login_cannot_join_nor_sign_in_through_the_link(api, world, settings):
    token = await invited(api, world, settings)
    await User.filter(email=NEW).update(is_active=False)  # disabled on the platform
    before = await state_of_the_invitee()
    result = await api.execute(ACCEPT, {"input": {"token": token, "password": PASSWORD}})
    assert result.payload_codes("invitationAccept") == ["TOKEN_INVALID"]
    assert result.data["invitationAccept"]["accessToken"] is None
    assert await state_of_the_invitee() == before  # the link was not used up
    await User.filter(email=NEW).update(is_active=True)
    (await api.execute(ACCEPT, {"input": {"token": token, "password": PASSWORD}})).ok(
        "invitationAccept"
    )


async def test_someone_who_registered_the_address_first_gains_nothing(api, world, settings):
    """Anyone can register any address; the staff access must go to whoever holds the
    mailbox, not to the password the first registrant chose."""
    (await api.as_(world.admin).execute(STAFF_ADD, add_input(world, NEW))).ok("staffAdd")
    (await register(api, NEW, password="the squatters password")).ok("userRegister")
    squatter = await signed_in(api, NEW, "the squatters password")
    await run_worker(settings)
    [link] = await invitation_links(NEW)

    # The mailbox's holder does not know that password, and does not need to.
    without = await api.execute(ACCEPT, {"input": {"token": token_of(link)}})
    assert without.payload_codes("invitationAccept") == ["REQUIRED"]
    joined = await api.execute(ACCEPT, {"input": {"token": token_of(link), "password": PASSWORD}})
    assert joined.ok("invitationAccept")["member"]["status"] == "ACTIVE"

    assert (await api.as_(squatter).execute(ORGANIZATION, {"id": world.org_gid})).error_codes == [
        "UNAUTHENTICATED"
    ]
    assert (await api.as_(squatter).execute(ME)).error_codes == ["UNAUTHENTICATED"]
    refused = await sign_in(api, NEW, "the squatters password")
    assert refused.payload_codes("tokenCreate") == ["INVALID_CREDENTIALS"]
    assert (await sign_in(api, NEW, PASSWORD)).ok("tokenCreate")


async def test_a_login_that_moved_to_another_address_cannot_join_with_the_old_link(
    api, world, settings
):
    """The link proves the address it was mailed to; the login it named left that address."""
    (await register(api, NEW, password="the squatters password")).ok("userRegister")
    token = await invited(api, world, settings)
    squatter = await signed_in(api, NEW, "the squatters password")
    moved = await request_change(api, squatter, "elsewhere@example.test", "the squatters password")
    moved.ok("emailChangeRequest")
    change = await mailed_token("elsewhere@example.test", "email_change")
    (await confirm_change(api, change)).ok("emailChangeConfirm")

    result = await api.execute(ACCEPT, {"input": {"token": token, "password": PASSWORD}})
    assert result.payload_codes("invitationAccept") == ["TOKEN_INVALID"]
    membership = await StaffMembership.get(user__email="elsewhere@example.test")
    assert membership.status is MembershipStatus.INVITED


async def test_a_second_organizations_invitation_needs_no_new_password(api, world, settings):
    token = await invited(api, world, settings)
    variables = add_input(world, NEW)
    variables["input"]["organizationId"] = world.other_org_gid
    (await api.as_(world.outsider).execute(STAFF_ADD, variables)).ok("staffAdd")
    await run_worker(settings)
    first, second = await invitation_links(NEW)
    assert token_of(first) == token
    (await api.execute(ACCEPT, {"input": {"token": token, "password": PASSWORD}})).ok(
        "invitationAccept"
    )
    joined = await api.execute(ACCEPT, {"input": {"token": token_of(second)}})
    assert joined.ok("invitationAccept")["organization"] == {"name": "Club Beta"}
    assert (await sign_in(api, NEW, PASSWORD)).ok("tokenCreate")


CONTACT_BY_EMAIL = """query($org: ID!, $email: String!) {
  contacts(organizationId: $org, search: $email) {
    edges { node { firstName lastName email isUser source } } } }"""


async def _names_after_takeover(api, world, email) -> tuple:
    me = await signed_in(api, email, PASSWORD)
    user = (await api.as_(me).execute("{ me { firstName lastName } }")).payload("me")
    found = await api.as_(world.admin).execute(
        CONTACT_BY_EMAIL, {"org": world.org_gid, "email": email}
    )
    [edge] = found.payload("contacts")["edges"]
    assert edge["node"]["isUser"] and edge["node"]["source"] == "STAFF_MEMBERSHIP"
    contact = edge["node"]
    return (user["firstName"], user["lastName"]), (contact["firstName"], contact["lastName"])


async def test_a_takeover_keeps_the_name_staff_typed_not_the_squatters(api, world, settings):
    """Registered first under another name, then invited: the squatter's name goes with
    the squatter; the login and the contact get the name the staff member typed."""
    squatted = "sq1@example.test"
    (await register(api, squatted, password="the squatters password", lastName="Squat")).ok(
        "userRegister"
    )
    token = await invited(api, world, settings, squatted)
    joined = await api.execute(ACCEPT, {"input": {"token": token, "password": PASSWORD}})
    assert joined.ok("invitationAccept")["user"]["firstName"] == "Nora"
    assert await _names_after_takeover(api, world, squatted) == (("Nora", "Nouvelle"),) * 2


async def test_a_takeover_after_the_invitation_keeps_the_typed_name_too(api, world, settings):
    """The squatter registers between staffAdd and the acceptance (registering takes an
    unclaimed login over, names included): the typed name still wins."""
    squatted = "sq2@example.test"
    (await api.as_(world.admin).execute(STAFF_ADD, add_input(world, squatted))).ok("staffAdd")
    (await register(api, squatted, password="the squatters password", lastName="Squat")).ok(
        "userRegister"
    )
    await run_worker(settings)
    [link] = await invitation_links(squatted)
    joined = await api.execute(ACCEPT, {"input": {"token": token_of(link), "password": PASSWORD}})
    joined.ok("invitationAccept")
    assert await _names_after_takeover(api, world, squatted) == (("Nora", "Nouvelle"),) * 2


async def test_in_a_takeover_the_invited_persons_own_answer_wins(api, world, settings):
    squatted = "sq3@example.test"
    (await register(api, squatted, password="the squatters password", lastName="Squat")).ok(
        "userRegister"
    )
    token = await invited(api, world, settings, squatted)
    answer = {"token": token, "password": PASSWORD, "firstName": "Nina"}
    (await api.execute(ACCEPT, {"input": answer})).ok("invitationAccept")
    # The person named themselves; the part they left out is the staff member's, never
    # the squatter's.
    assert await _names_after_takeover(api, world, squatted) == (("Nina", "Nouvelle"),) * 2
