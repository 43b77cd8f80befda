"""Creating an organization takes a proven address: otherwise anyone could register and
have the platform mail invitations in the name of any organization they make up."""

from models.audit import AuditEvent
from models.contacts import Contact
from models.messaging import OutboxMessage
from models.organizations import Organization
from models.staff import Role, StaffMembership
from models.tasks import Task
from tests.identity.flows import NEW_PASSWORD, VERIFY, mailed_token, register, signed_in
from tests.support.world import make_member

CREATE = """
mutation($input: OrganizationCreateInput!) {
  organizationCreate(input: $input) {
    organization { id name myRole }
    errors { code field message }
  }
}"""

GAMMA = {"input": {"name": "Club Gamma", "city": "Laval"}}


async def row_counts() -> dict[str, int]:
    return {
        model.__name__: await model.all().count()
        for model in (Organization, StaffMembership, Contact, AuditEvent, OutboxMessage, Task)
    }


async def test_a_registered_user_must_verify_their_address_first(api):
    (await register(api, "nova@example.test")).ok("userRegister")
    nova = await signed_in(api, "nova@example.test", NEW_PASSWORD)
    before = await row_counts()

    refused = await api.as_(nova).execute(CREATE, GAMMA)
    assert refused.payload("organizationCreate") == {
        "organization": None,
        "errors": [
            {
                "code": "EMAIL_NOT_VERIFIED",
                "field": None,
                "message": "Confirm your email address before creating an organization: "
                "open the link we sent you, or ask for a new one.",
            }
        ],
    }
    assert await row_counts() == before
    assert (await api.as_(nova).execute("{ myOrganizations { name } }")).data == {
        "myOrganizations": []
    }

    # Once the link is opened, the same session may create it.
    token = await mailed_token("nova@example.test", "verify_email")
    (await api.execute(VERIFY, {"input": {"token": token}})).ok("emailVerify")
    created = (await api.as_(nova).execute(CREATE, GAMMA)).ok("organizationCreate")
    assert created["organization"]["myRole"] == "OWNER"


async def test_an_invitee_who_never_proved_the_address_is_refused(api, world, password_hash):
    """Staff of an organization, yet unverified (a login kept from before verification was
    required): creating another organization still needs the proven address."""
    staff = await make_member(
        "unproven@alpha.test", password_hash, world.organization, Role.AGENT, verified=False
    )
    result = await api.as_(staff).execute(CREATE, GAMMA)
    assert result.payload_codes("organizationCreate") == ["EMAIL_NOT_VERIFIED"]
    assert not await Organization.filter(name="Club Gamma").exists()


async def test_a_verified_user_creates_one(api, world):
    created = (await api.as_(world.loner).execute(CREATE, GAMMA)).ok("organizationCreate")
    assert created["organization"]["name"] == "Club Gamma"


async def test_anonymous_callers_are_still_unauthenticated(api):
    result = await api.execute(CREATE, GAMMA)
    assert result.error_codes == ["UNAUTHENTICATED"]


async def test_the_refusal_is_explained_in_french(api, world, password_hash):
    nova = await make_member("nova@example.test", password_hash, None, None, verified=False)
    result = await api.as_(nova).execute(CREATE, GAMMA, **{"accept-language": "fr"})
    [error] = result.payload("organizationCreate")["errors"]
    assert error["code"] == "EMAIL_NOT_VERIFIED"
    assert error["message"] == (
        "Confirmez votre adresse courriel avant de créer une organisation : ouvrez le lien "
        "que nous vous avons envoyé, ou demandez-en un nouveau."
    )
