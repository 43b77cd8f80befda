"""Organizations: creating one makes you its OWNER; the profile is validated and audited."""

from models.audit import AuditEvent
from models.organizations import Organization
from models.staff import MembershipStatus, Role, StaffMembership

CREATE = """
mutation($input: OrganizationCreateInput!) {
  organizationCreate(input: $input) {
    organization { id name myRole currency timezone address { city country } }
    errors { code field message }
  }
}"""

UPDATE = """
mutation($input: OrganizationUpdateInput!) {
  organizationUpdate(input: $input) {
    organization { id name legalName senderName senderEmail smsNumber locale
                   taxNumbers { label number } address { line1 city region postalCode } }
    errors { code field message }
  }
}"""


async def test_creator_becomes_owner(api, world):
    result = await api.as_(world.loner).execute(
        CREATE, {"input": {"name": "  Club Gamma ", "currency": "eur", "city": "Laval"}}
    )
    organization = result.ok("organizationCreate")["organization"]
    assert organization["name"] == "Club Gamma"
    assert organization["myRole"] == "OWNER"
    assert organization["currency"] == "EUR"
    assert organization["address"] == {"city": "Laval", "country": "CA"}
    membership = await StaffMembership.get(user_id=world.loner.user.id)
    assert (membership.role, membership.status) == (Role.OWNER, MembershipStatus.ACTIVE)
    actions = await AuditEvent.filter(organization_id=membership.organization_id).values_list(
        "action", flat=True
    )
    assert {"organization.create", "staff.add", "contact.create"} <= set(actions)
    # The creator is in the new organization's address book, linked to their login.
    from models.contacts import Contact, ContactSource

    contact = await Contact.get(organization_id=membership.organization_id)
    assert (contact.user_id, contact.source) == (
        world.loner.user.id,
        ContactSource.STAFF_MEMBERSHIP,
    )

    mine = await api.as_(world.loner).execute("{ myOrganizations { name myRole } }")
    assert mine.data == {"myOrganizations": [{"name": "Club Gamma", "myRole": "OWNER"}]}


async def test_create_reports_every_problem_and_writes_nothing(api, world):
    before = await Organization.all().count()
    result = await api.as_(world.loner).execute(
        CREATE,
        {
            "input": {
                "name": " ",
                "currency": "XYZ",
                "timezone": "Mars/Olympus",
                "country": "Canada",
                "smsNumber": "514-555",
                "senderEmail": "not-an-email",
            }
        },
    )
    errors = result.payload("organizationCreate")["errors"]
    assert {(e["code"], tuple(e["field"])) for e in errors} == {
        ("REQUIRED", ("input", "name")),
        ("INVALID", ("input", "currency")),
        ("INVALID", ("input", "timezone")),
        ("INVALID", ("input", "country")),
        ("INVALID", ("input", "smsNumber")),
        ("INVALID_EMAIL", ("input", "senderEmail")),
    }
    assert await Organization.all().count() == before
    assert not await StaffMembership.filter(user_id=world.loner.user.id).exists()


async def test_messages_follow_accept_language(api, world):
    result = await api.as_(world.loner).execute(
        CREATE, {"input": {"name": ""}}, **{"accept-language": "fr-CA,fr;q=0.9"}
    )
    assert (
        result.payload("organizationCreate")["errors"][0]["message"] == "Ce champ est obligatoire."
    )


async def test_update_profile_is_audited_with_before_and_after(api, world):
    result = await api.as_(world.admin).execute(
        UPDATE,
        {
            "input": {
                "id": world.org_gid,
                "legalName": "Club Alpha inc.",
                "senderName": "Club Alpha",
                "senderEmail": "Info@Alpha.Test",
                "smsNumber": "+15145550123",
                "locale": "FR",
                "addressLine1": "1 rue Principale",
                "city": "Montréal",
                "region": "QC",
                "postalCode": "H2X 1Y4",
                "taxNumbers": [{"label": "TPS", "number": "123456789RT0001"}],
            }
        },
    )
    organization = result.ok("organizationUpdate")["organization"]
    assert organization["senderEmail"] == "info@alpha.test"
    assert organization["taxNumbers"] == [{"label": "TPS", "number": "123456789RT0001"}]
    assert organization["address"]["city"] == "Montréal"
    event = await AuditEvent.get(action="organization.update")
    assert event.actor_id == world.admin.user.id
    assert event.organization_id == world.organization.id
    assert event.before["legal_name"] == "" and event.after["legal_name"] == "Club Alpha inc."
    assert event.request_id  # ties the change to the request's X-Request-ID


async def test_update_with_nothing_changed_writes_no_audit_event(api, world):
    result = await api.as_(world.owner).execute(
        UPDATE, {"input": {"id": world.org_gid, "name": "Club Alpha"}}
    )
    result.ok("organizationUpdate")
    assert not await AuditEvent.filter(action="organization.update").exists()


async def test_another_organizations_id_is_not_found(api, world):
    result = await api.as_(world.owner).execute(
        UPDATE, {"input": {"id": world.other_org_gid, "name": "Hijacked"}}
    )
    errors = result.payload("organizationUpdate")["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("NOT_FOUND", ["input", "id"])]
    assert (await Organization.get(id=world.other_organization.id)).name == "Club Beta"


async def test_missing_id_looks_like_a_foreign_one(api, world):
    from schema import ids

    result = await api.as_(world.owner).execute(
        UPDATE, {"input": {"id": ids.encode("Organization", 999999), "name": "X"}}
    )
    assert result.payload_codes("organizationUpdate") == ["NOT_FOUND"]


async def test_organization_query_for_foreign_id_is_null_with_not_found(api, world):
    query = "query($id: ID!) { organization(id: $id) { name } }"
    result = await api.as_(world.owner).execute(query, {"id": world.other_org_gid})
    assert result.data == {"organization": None}
    assert result.error_codes == ["NOT_FOUND"]


async def test_malformed_id_is_bad_user_input(api, world):
    query = "query($id: ID!) { organization(id: $id) { name } }"
    for bad in ["not base64!", "VXNlcjp4", ""]:
        result = await api.as_(world.owner).execute(query, {"id": bad})
        assert result.error_codes == ["BAD_USER_INPUT"], bad
        assert result.status == 200


async def test_an_id_of_another_type_is_not_found(api, world):
    query = "query($id: ID!) { organization(id: $id) { name } }"
    result = await api.as_(world.owner).execute(query, {"id": world.owner.gid})
    assert result.error_codes == ["NOT_FOUND"]


async def test_roles_table_is_readable_in_both_languages(api):
    query = "{ roles { role label labelEn labelFr permissions } }"
    english = (await api.execute(query)).data["roles"]
    french = (await api.execute(query, **{"accept-language": "fr"})).data["roles"]
    by_role = {r["role"]: r for r in english}
    assert by_role["OWNER"]["label"] == "Owner"
    assert {r["role"]: r["label"] for r in french}["OWNER"] == "Propriétaire"
    assert "STAFF_MANAGE_OWNERS" in by_role["OWNER"]["permissions"]
    assert "STAFF_MANAGE_OWNERS" not in by_role["ADMIN"]["permissions"]
    assert "BILLING_REFUND" in by_role["BILLING_ADMIN"]["permissions"]
    assert by_role["VIEWER"]["permissions"] == [
        "ORGANIZATION_READ",
        "STAFF_READ",
        "CONTACTS_READ",
        "SEGMENTS_READ",
        "ACCOUNTS_READ",
        "TEAMS_READ",
    ]


async def test_my_permissions_per_role(api, world):
    query = "query($o: ID!) { myPermissions(organizationId: $o) }"
    agent = await api.as_(world.agent).execute(query, {"o": world.org_gid})
    assert "CONTACTS_WRITE" in agent.data["myPermissions"]
    assert "BILLING_READ" not in agent.data["myPermissions"]


async def test_scheduled_deactivation_ends_access_on_its_date(api, world):
    from datetime import timedelta

    from resolvers.common.time import today_in

    membership = world.viewer.membership
    query = "query($id: ID!) { organization(id: $id) { name } }"
    membership.deactivate_on = today_in(world.organization.timezone) + timedelta(days=1)
    await membership.save()
    assert (await api.as_(world.viewer).execute(query, {"id": world.org_gid})).data
    membership.deactivate_on = today_in(world.organization.timezone)
    await membership.save()
    result = await api.as_(world.viewer).execute(query, {"id": world.org_gid})
    assert result.error_codes == ["NOT_FOUND"]


async def test_country_must_be_an_iso_3166_code(api, world):
    """Two letters are not enough: ZZ (unknown), XK and EU (not assigned by ISO 3166-1)
    are refused on create and update, with a message in the reader's language."""
    for country in ("ZZ", "XX", "xk", "EU", "QO"):
        result = await api.as_(world.loner).execute(
            CREATE, {"input": {"name": "Club Zulu", "country": country}}
        )
        errors = result.payload("organizationCreate")["errors"]
        assert [(e["code"], e["field"]) for e in errors] == [("INVALID", ["input", "country"])]
    result = await api.as_(world.owner).execute(
        UPDATE, {"input": {"id": world.org_gid, "country": "ZZ"}}, **{"accept-language": "fr"}
    )
    errors = result.payload("organizationUpdate")["errors"]
    assert errors == [
        {
            "code": "INVALID",
            "field": ["input", "country"],
            "message": "Utilisez un code de pays ISO 3166 à deux lettres, par exemple CA.",
        }
    ]
    assert await Organization.filter(country="ZZ").count() == 0
    assert not await StaffMembership.filter(user_id=world.loner.user.id).exists()

    result = await api.as_(world.owner).execute(
        UPDATE, {"input": {"id": world.org_gid, "country": " fr "}}
    )
    result.ok("organizationUpdate")
    assert (await Organization.get(id=world.organization.id)).country == "FR"


async def test_currency_must_be_an_iso_4217_currency_in_use(api, world):
    """No test code (XTS), no "no currency" (XXX), no metal (XAU), fund (CLF) or special
    drawing right (XDR), no withdrawn currency (FRF); the CFA franc (XOF) is money."""
    for currency in ("XXX", "XTS", "XAU", "XAG", "XDR", "CLF", "USN", "FRF", "ABC"):
        result = await api.as_(world.owner).execute(
            UPDATE, {"input": {"id": world.org_gid, "currency": currency}}
        )
        errors = result.payload("organizationUpdate")["errors"]
        assert [(e["code"], e["field"]) for e in errors] == [("INVALID", ["input", "currency"])]
        assert errors[0]["message"] == "Use an ISO 4217 currency in use, e.g. CAD."
    assert (await Organization.get(id=world.organization.id)).currency == "CAD"

    result = await api.as_(world.loner).execute(
        CREATE, {"input": {"name": "Club Dakar", "country": "SN", "currency": "xof"}}
    )
    assert result.ok("organizationCreate")["organization"]["currency"] == "XOF"
