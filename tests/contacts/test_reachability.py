"""`filter: {marketingAllowed: CHANNEL}`: the contacts that can be messaged on a channel now,
exactly those whose `marketingAllowed` says so (consent AND an address on that channel, not
blocked), while `filter: {consent}` keeps reading the consent alone."""

from datetime import UTC, datetime, timedelta

from tests.contacts.contact_flows import make_contact
from tests.transfers.test_export import exported

LISTED = """query($o: ID!, $filter: ContactFilterInput) {
  contacts(organizationId: $o, filter: $filter, first: 50) {
    totalCount edges { node { firstName marketingAllowed { email sms } } } } }"""


async def _people(world):
    org = world.organization
    later = datetime.now(UTC) + timedelta(days=30)
    earlier = datetime.now(UTC) - timedelta(days=1)
    for first_name, fields in (
        ("Mailable", {"email": "m@example.test", "email_consent": "EXPRESS"}),
        (
            "Implied",
            {
                "email": "i@example.test",
                "email_consent": "IMPLIED",
                "email_consent_expires_at": later,
            },
        ),
        (
            "Lapsed",
            {
                "email": "l@example.test",
                "email_consent": "IMPLIED",
                "email_consent_expires_at": earlier,
            },
        ),
        ("NoEmail", {"email_consent": "EXPRESS", "sms_consent": "EXPRESS"}),
        (
            "EmptyEmail",
            {"email": "", "phone": "", "email_consent": "EXPRESS", "sms_consent": "EXPRESS"},
        ),
        (
            "Blocked",
            {
                "email": "b@example.test",
                "phone": "+15145550101",
                "email_consent": "EXPRESS",
                "sms_consent": "EXPRESS",
                "do_not_contact": True,
            },
        ),
        ("Texted", {"phone": "+15145550102", "sms_consent": "EXPRESS"}),
        ("NoConsent", {"email": "n@example.test", "phone": "+15145550103"}),
    ):
        await make_contact(org, first_name=first_name, **fields)


async def _list(api, world, filter_):
    result = await api.as_(world.viewer).execute(LISTED, {"o": world.org_gid, "filter": filter_})
    page = result.payload("contacts")
    nodes = [edge["node"] for edge in page["edges"]]
    assert page["totalCount"] == len(nodes)
    return nodes


async def test_the_reachable_are_exactly_those_marketing_is_allowed_to(api, world):
    await _people(world)
    everyone = await _list(api, world, {})
    for channel, key in (("EMAIL", "email"), ("SMS", "sms")):
        reachable = await _list(api, world, {"marketingAllowed": channel})
        expected = sorted(n["firstName"] for n in everyone if n["marketingAllowed"][key])
        assert sorted(n["firstName"] for n in reachable) == expected
    emailable = await _list(api, world, {"marketingAllowed": "EMAIL"})
    assert sorted(n["firstName"] for n in emailable) == ["Implied", "Mailable"]
    textable = await _list(api, world, {"marketingAllowed": "SMS"})
    assert [n["firstName"] for n in textable] == ["Texted"]


async def test_the_raw_consent_filter_still_counts_consent_alone(api, world):
    await _people(world)
    consent = {"channel": "SMS", "statuses": ["EXPRESS"]}
    raw = await _list(api, world, {"consent": consent})
    assert sorted(n["firstName"] for n in raw) == ["Blocked", "EmptyEmail", "NoEmail", "Texted"]
    both = await _list(api, world, {"consent": consent, "marketingAllowed": "SMS"})
    assert [n["firstName"] for n in both] == ["Texted"]


async def test_an_export_keeps_the_reachability_filter(api, client, world, settings):
    await _people(world)
    rows = await exported(api, client, world, settings, filter={"marketingAllowed": "EMAIL"})
    assert sorted(r["First name"] for r in rows) == ["Implied", "Mailable"]


async def test_the_filter_adds_no_statement(api, world):
    from carnet.statements import count_statements

    await _people(world)
    with count_statements() as plain:
        await _list(api, world, {})
    with count_statements() as filtered:
        assert len(await _list(api, world, {"marketingAllowed": "SMS"})) == 1
    assert len(filtered) == len(plain)
