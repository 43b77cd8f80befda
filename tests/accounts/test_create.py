"""clientAccountCreate: the holder is the PRIMARY, an adult; an email is checked in the
seed's order (valid, not a contact here already, a login to link) before an activation
link is mailed; nothing is written on any error."""

from models.accounts import AccountContact, ClientAccount
from models.audit import AuditEvent
from models.contacts import Contact
from models.identity import User
from models.staff import Invitation, InvitationKind
from tests.accounts.flows import (
    CREATE,
    ONE,
    contact_gid,
    create,
    create_input,
    holder,
    mails,
    years_ago,
)
from tests.support.contacts import new_contact


async def nothing_written() -> bool:
    return (
        await ClientAccount.all().count() == 0
        and await AccountContact.all().count() == 0
        and await Contact.all().count() == 0
    )


async def test_an_account_without_email_is_managed_by_the_organization(api, world, settings):
    account = await create(api, world, members=[{"firstName": "Léa", "lastName": "Tremblay"}])
    assert account["name"] == "Tremblay"
    assert account["canLogIn"] is False
    roles = [(c["role"], c["contact"]["firstName"], c["canLogIn"]) for c in account["contacts"]]
    assert roles == [("PRIMARY", "Marie", False), ("MEMBER", "Léa", False)]
    assert account["contacts"][0]["activation"] is None
    assert account["primaryContact"]["id"] == account["contacts"][0]["contact"]["id"]
    assert await Invitation.all().count() == 0
    assert await mails("marie@example.test", "account_activation") == []
    assert await AuditEvent.filter(action="client_account.create").count() == 1


async def test_the_holder_must_be_an_adult_on_the_day(api, world):
    minor = holder(birthDate=years_ago(18, days=1))
    result = await api.as_(world.agent).execute(CREATE, create_input(world, minor))
    [error] = result.payload("clientAccountCreate")["errors"]
    assert (error["code"], error["field"]) == ("UNDER_AGE", ["input", "holder", "birthDate"])
    assert "18" in error["message"]
    assert await nothing_written()
    french = await api.as_(world.agent).execute(
        CREATE, create_input(world, minor), **{"accept-language": "fr"}
    )
    assert "adulte" in french.payload("clientAccountCreate")["errors"][0]["message"]
    adult_today = await create(api, world, holder(birthDate=years_ago(18)))
    assert adult_today["contacts"][0]["role"] == "PRIMARY"


async def test_the_holder_needs_a_birth_date(api, world):
    values = holder()
    del values["birthDate"]
    result = await api.as_(world.agent).execute(CREATE, create_input(world, values))
    assert result.payload_codes("clientAccountCreate") == ["REQUIRED"]
    assert await nothing_written()


async def test_an_invalid_email_is_refused(api, world):
    result = await api.as_(world.agent).execute(
        CREATE, create_input(world, holder(email="not an address"))
    )
    [error] = result.payload("clientAccountCreate")["errors"]
    assert (error["code"], error["field"]) == ("INVALID_EMAIL", ["input", "holder", "email"])
    assert await nothing_written()


async def test_an_existing_contact_is_offered_rather_than_a_twin(api, world, settings):
    existing = await new_contact(world.organization, "Marie Tremblay")
    await Contact.filter(id=existing.id).update(email="marie@example.test")
    result = await api.as_(world.agent).execute(
        CREATE, create_input(world, holder(email="Marie@Example.test"))
    )
    payload = result.payload("clientAccountCreate")
    [error] = payload["errors"]
    assert (error["code"], error["field"]) == ("CONTACT_EXISTS", ["input", "holder", "email"])
    assert payload["existingContactId"] == contact_gid(existing)
    assert contact_gid(existing) in error["message"]
    assert await ClientAccount.all().count() == 0
    used = await create(
        api, world, {"useExistingContactId": contact_gid(existing), "birthDate": years_ago(35)}
    )
    assert used["primaryContact"]["id"] == contact_gid(existing)
    assert await Contact.filter(organization=world.organization).count() == 1
    assert (await Contact.get(id=existing.id)).birth_date.isoformat() == years_ago(35)


async def test_a_platform_login_is_linked_never_duplicated_and_told(api, world, settings):
    email = world.loner.user.email
    users = await User.all().count()
    account = await create(api, world, holder(email=email))
    assert await User.all().count() == users
    assert account["canLogIn"] is True
    assert account["primaryContact"]["isUser"] is True
    assert account["contacts"][0]["activation"] == "ACCEPTED"
    contact = await Contact.get(email=email)
    assert contact.user_id == world.loner.user.id
    assert len(await mails(email, "account_access_granted")) == 1
    assert await mails(email, "account_activation") == []
    assert await Invitation.all().count() == 0


async def test_a_new_address_gets_an_activation_link_by_a_job(api, world, settings):
    account = await create(api, world, holder(email="marie@example.test"))
    assert account["canLogIn"] is True
    assert account["primaryContact"]["isUser"] is False
    assert account["contacts"][0]["activation"] == "PENDING"
    invitation = await Invitation.get(email="marie@example.test")
    assert invitation.kind is InvitationKind.ACCOUNT
    assert invitation.sent_at is None  # the job sends it
    [mail] = await mails("marie@example.test", "account_activation")
    assert mail.links and "activate-account?token=" in mail.links[0]
    # The login exists without a password: nobody signs in until the link proves it.
    assert (await User.get(email="marie@example.test")).password_hash == ""


async def test_another_organizations_contact_is_not_found(api, world):
    foreign = await new_contact(world.other_organization, "Paul Autre")
    result = await api.as_(world.agent).execute(
        CREATE,
        create_input(
            world, {"useExistingContactId": contact_gid(foreign), "birthDate": "1980-01-01"}
        ),
    )
    [error] = result.payload("clientAccountCreate")["errors"]
    assert (error["code"], error["field"]) == (
        "NOT_FOUND",
        ["input", "holder", "useExistingContactId"],
    )
    assert await ClientAccount.all().count() == 0


async def test_another_organizations_account_is_not_found(api, world):
    account = await create(api, world)
    result = await api.as_(world.outsider).execute(ONE, {"id": account["id"]})
    assert result.error_codes == ["NOT_FOUND"]
    assert result.data == {"clientAccount": None}
    mine = await api.as_(world.viewer).execute(ONE, {"id": account["id"]})
    assert mine.data["clientAccount"]["name"] == "Tremblay"
