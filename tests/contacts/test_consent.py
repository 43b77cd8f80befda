"""Marketing consent per channel: express, implied with its CASL expiry, withdrawn; the
history with its proof; what `marketingAllowed` makes of it."""

from datetime import UTC, datetime, timedelta, timezone

from models.audit import AuditEvent
from models.contacts import ConsentRecord, Contact
from resolvers.contacts.consent import ImpliedBasis, add_months, implied_expiry
from tests.contacts.contact_flows import CONSENT_SET, UPDATE, create, gid, make_contact, pk

HISTORY = """query($id: ID!, $channel: ConsentChannel) { contact(id: $id) {
  consentHistory(channel: $channel) {
    channel status source proof expiresAt recordedAt recordedBy { email } } } }"""


def consent_input(contact_id: str, **fields) -> dict:
    return {
        "input": {
            "contactId": contact_id,
            "channel": "EMAIL",
            "status": "EXPRESS",
            "source": "web form",
            **fields,
        }
    }


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def test_express_consent_is_recorded_with_its_proof_and_audited(api, world):
    contact = await create(api, world, firstName="Eve", email="eve@example.test")
    assert contact["marketingAllowed"] == {"email": False, "sms": False}
    result = await api.as_(world.agent).execute(
        CONSENT_SET, consent_input(contact["id"], proof="☑ Je veux recevoir l’infolettre")
    )
    after = result.ok("contactConsentSet")["contact"]
    assert after["emailConsent"] == {
        "status": "EXPRESS",
        "recordedStatus": "EXPRESS",
        "expiresAt": None,
        "lapsed": False,
    }
    assert after["marketingAllowed"] == {"email": True, "sms": False}
    record = await ConsentRecord.get(contact_id=pk(contact["id"]))
    assert record.source == "web form" and record.proof == "☑ Je veux recevoir l’infolettre"
    assert record.recorded_by_id == world.agent.user.id
    event = await AuditEvent.get(action="contact.consent_set")
    assert event.before == {"channel": "EMAIL", "status": "NOT_ASKED", "expires_at": None}
    assert event.after["status"] == "EXPRESS" and event.after["record_id"] == record.id
    assert event.actor_id == world.agent.user.id


async def test_implied_consent_needs_a_basis_and_expires_as_casl_says(api, world):
    contact = await create(api, world, firstName="Ian", email="ian@example.test")
    agent = api.as_(world.agent)
    no_basis = await agent.execute(CONSENT_SET, consent_input(contact["id"], status="IMPLIED"))
    assert no_basis.payload("contactConsentSet")["errors"] == [
        {
            "code": "REQUIRED",
            "field": ["input", "impliedBasis"],
            "message": "Implied consent needs its basis: a purchase or an inquiry.",
        }
    ]
    assert not await ConsentRecord.exists()
    bought = datetime.now(UTC) - timedelta(days=30)
    purchase = await agent.execute(
        CONSENT_SET,
        consent_input(
            contact["id"],
            status="IMPLIED",
            impliedBasis="PURCHASE",
            impliedAt=bought.isoformat(),
            source="purchase #42",
        ),
    )
    email = purchase.ok("contactConsentSet")["contact"]["emailConsent"]
    assert email["status"] == "IMPLIED"
    assert when(email["expiresAt"]) == implied_expiry(ImpliedBasis.PURCHASE, bought)
    assert when(email["expiresAt"]).date() == add_months(bought, 24).date()


async def test_an_inquiry_does_not_cut_short_what_a_purchase_gave(api, world):
    contact = await create(api, world, firstName="Ida", email="ida@example.test")
    agent = api.as_(world.agent)
    implied = {"status": "IMPLIED", "source": "shop"}
    await agent.execute(
        CONSENT_SET, consent_input(contact["id"], impliedBasis="PURCHASE", **implied)
    )
    inquiry = await agent.execute(
        CONSENT_SET, consent_input(contact["id"], impliedBasis="INQUIRY", **implied)
    )
    expiry = when(inquiry.ok("contactConsentSet")["contact"]["emailConsent"]["expiresAt"])
    assert expiry > datetime.now(UTC) + timedelta(days=700)  # still the purchase's two years
    records = await ConsentRecord.filter(contact_id=pk(contact["id"])).order_by("id")
    # Each record keeps its own expiry, as given.
    assert records[1].expires_at < datetime.now(UTC) + timedelta(days=190)


async def test_implied_consent_from_long_ago_or_the_future_is_refused(api, world):
    contact = await create(api, world, firstName="Old", email="old@example.test")
    agent = api.as_(world.agent)
    stale = await agent.execute(
        CONSENT_SET,
        consent_input(
            contact["id"],
            status="IMPLIED",
            impliedBasis="INQUIRY",
            impliedAt=(datetime.now(UTC) - timedelta(days=200)).isoformat(),
        ),
    )
    assert stale.payload("contactConsentSet")["errors"][0]["field"] == ["input", "impliedAt"]
    future = await agent.execute(
        CONSENT_SET,
        consent_input(
            contact["id"],
            status="IMPLIED",
            impliedBasis="INQUIRY",
            impliedAt=(datetime.now(UTC) + timedelta(days=2)).isoformat(),
        ),
    )
    assert future.payload_codes("contactConsentSet") == ["INVALID"]
    basis_on_express = await agent.execute(
        CONSENT_SET, consent_input(contact["id"], impliedBasis="PURCHASE")
    )
    assert basis_on_express.payload("contactConsentSet")["errors"][0]["field"] == [
        "input",
        "impliedBasis",
    ]
    no_source = await agent.execute(CONSENT_SET, consent_input(contact["id"], source="  "))
    assert no_source.payload_codes("contactConsentSet") == ["REQUIRED"]
    assert not await ConsentRecord.exists()


async def test_a_lapsed_implied_consent_counts_as_not_asked(api, world):
    contact = await make_contact(
        world.organization,
        first_name="Lapsed",
        email="lapsed@example.test",
        email_consent="IMPLIED",
        email_consent_expires_at=datetime.now(UTC) - timedelta(days=1),
    )
    result = await api.as_(world.viewer).execute(
        "query($id: ID!) { contact(id: $id) { emailConsent { status recordedStatus lapsed } "
        "marketingAllowed { email } } }",
        {"id": gid(contact)},
    )
    assert result.data["contact"] == {
        "emailConsent": {"status": "NOT_ASKED", "recordedStatus": "IMPLIED", "lapsed": True},
        "marketingAllowed": {"email": False},
    }


async def test_do_not_contact_archiving_and_a_missing_number_block_marketing(api, world):
    contact = await create(api, world, firstName="Dan", email="dan@example.test")
    agent = api.as_(world.agent)
    await agent.execute(CONSENT_SET, consent_input(contact["id"]))
    sms = await agent.execute(CONSENT_SET, consent_input(contact["id"], channel="SMS"))
    allowed = sms.ok("contactConsentSet")["contact"]["marketingAllowed"]
    assert allowed == {"email": True, "sms": False}  # no phone number yet
    with_phone = await agent.execute(
        UPDATE, {"input": {"id": contact["id"], "phone": "514 555 0111"}}
    )
    assert with_phone.ok("contactUpdate")["contact"]["marketingAllowed"] == {
        "email": True,
        "sms": True,
    }
    blocked = await agent.execute(UPDATE, {"input": {"id": contact["id"], "doNotContact": True}})
    contact_after = blocked.ok("contactUpdate")["contact"]
    assert contact_after["doNotContact"] is True
    assert contact_after["marketingAllowed"] == {"email": False, "sms": False}
    # The consent itself is unchanged: lifting the block brings it back.
    assert contact_after["emailConsent"]["status"] == "EXPRESS"
    events = await AuditEvent.filter(action="contact.update").order_by("id")
    assert events[-1].after == {"do_not_contact": True}


async def test_withdrawal_blocks_the_channel(api, world):
    contact = await create(api, world, firstName="Wil", email="wil@example.test")
    agent = api.as_(world.agent)
    await agent.execute(CONSENT_SET, consent_input(contact["id"]))
    withdrawn = await agent.execute(
        CONSENT_SET, consent_input(contact["id"], status="WITHDRAWN", source="unsubscribe link")
    )
    after = withdrawn.ok("contactConsentSet")["contact"]
    assert after["emailConsent"]["status"] == "WITHDRAWN"
    assert after["marketingAllowed"]["email"] is False


async def test_the_history_lists_every_change_newest_first(api, world):
    contact = await create(api, world, firstName="His", email="his@example.test")
    agent = api.as_(world.agent)
    await agent.execute(CONSENT_SET, consent_input(contact["id"], proof="v1"))
    await api.as_(world.admin).execute(
        CONSENT_SET, consent_input(contact["id"], channel="SMS", source="phone call")
    )
    await agent.execute(
        CONSENT_SET, consent_input(contact["id"], status="WITHDRAWN", source="email reply")
    )
    result = await api.as_(world.viewer).execute(HISTORY, {"id": contact["id"]})
    history = result.data["contact"]["consentHistory"]
    assert [(h["channel"], h["status"], h["source"]) for h in history] == [
        ("EMAIL", "WITHDRAWN", "email reply"),
        ("SMS", "EXPRESS", "phone call"),
        ("EMAIL", "EXPRESS", "web form"),
    ]
    assert history[1]["recordedBy"] == {"email": world.admin.user.email}
    assert history[2]["proof"] == "v1"
    email_only = await api.as_(world.viewer).execute(
        HISTORY, {"id": contact["id"], "channel": "EMAIL"}
    )
    assert [h["status"] for h in email_only.data["contact"]["consentHistory"]] == [
        "WITHDRAWN",
        "EXPRESS",
    ]


async def test_consent_of_another_organizations_contact_is_not_found(api, world):
    theirs = await make_contact(world.other_organization, first_name="Theirs")
    result = await api.as_(world.agent).execute(CONSENT_SET, consent_input(gid(theirs)))
    assert result.payload("contactConsentSet")["errors"][0]["code"] == "NOT_FOUND"
    assert result.payload("contactConsentSet")["errors"][0]["field"] == ["input", "contactId"]
    assert not await ConsentRecord.exists()
    assert (await Contact.get(id=theirs.id)).email_consent == "NOT_ASKED"


async def test_consent_errors_in_french(api, world):
    contact = await create(api, world, firstName="Fr")
    result = await api.as_(world.agent).execute(
        CONSENT_SET,
        consent_input(contact["id"], status="IMPLIED"),
        **{"accept-language": "fr"},
    )
    assert result.payload("contactConsentSet")["errors"][0]["message"] == (
        "Le consentement tacite doit reposer sur un achat ou une demande de renseignements."
    )


def test_months_are_added_by_the_calendar():
    assert add_months(datetime(2025, 1, 31, 9, tzinfo=UTC), 1) == datetime(
        2025, 2, 28, 9, tzinfo=UTC
    )
    assert add_months(datetime(2024, 2, 29, tzinfo=UTC), 24) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2025, 8, 15, tzinfo=UTC), 6) == datetime(2026, 2, 15, tzinfo=UTC)
    assert implied_expiry(ImpliedBasis.INQUIRY, datetime(2025, 8, 31, tzinfo=UTC)) == datetime(
        2026, 2, 28, tzinfo=UTC
    )


async def test_a_purchase_date_with_an_offset_is_kept_in_utc(api, world):
    contact = await create(api, world, firstName="Tz", email="tz@example.test")
    bought = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    local = bought.astimezone(timezone(timedelta(hours=-4)))
    result = await api.as_(world.agent).execute(
        CONSENT_SET,
        consent_input(
            contact["id"], status="IMPLIED", impliedBasis="INQUIRY", impliedAt=local.isoformat()
        ),
    )
    expires = when(result.ok("contactConsentSet")["contact"]["emailConsent"]["expiresAt"])
    assert expires == add_months(bought, 6)
    # Stored in UTC, so the consent filter compares it correctly on every database.
    listed = await api.as_(world.viewer).execute(
        "query($o: ID!) { contacts(organizationId: $o, filter: {consent: {channel: EMAIL, "
        "statuses: [IMPLIED]}}) { edges { node { id } } } }",
        {"o": world.org_gid},
    )
    assert [e["node"]["id"] for e in listed.data["contacts"]["edges"]] == [contact["id"]]
