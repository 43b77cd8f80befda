"""Who is calling is looked up once per request, with the caller's role in the organization
the request concerns, in one statement; and as of that request: nothing of it is kept for
the next one."""

from datetime import timedelta

import pytest

from carnet.statements import count_statements
from models.contacts import Contact
from models.identity import Locale, Session, User
from models.staff import MembershipStatus, Role, StaffMembership
from resolvers.common.time import now, today_in
from resolvers.contacts.records import refresh_derived

PAGE = """query($o: ID!, $first: Int!) {
  contacts(organizationId: $o, first: $first) {
    edges { cursor node { id displayName } } pageInfo { hasNextPage endCursor } } }"""


async def _address_book(world, people: int = 30) -> None:
    contacts = []
    for i in range(people):
        contact = Contact(organization_id=world.organization.id, first_name="Person")
        contact.last_name = f"P{i:02}"
        refresh_derived(contact)
        contacts.append(contact)
    await Contact.bulk_create(contacts)


async def test_a_page_of_contacts_costs_the_sign_in_and_the_page(api, world):
    await _address_book(world)
    viewer = api.as_(world.viewer)
    for size in (5, 30):
        with count_statements() as statements:
            result = await viewer.execute(PAGE, {"o": world.org_gid, "first": size})
        assert not result.errors, result.errors
        assert len(result.data["contacts"]["edges"]) == size
        # The session, its user and the viewer's role in the organization; then the page.
        assert len(statements) == 2, "\n".join(statements)
        assert '"session"' in statements[0] and '"staff_membership"' in statements[0]
        assert '"contact"' in statements[1]


async def test_fields_side_by_side_share_the_one_lookup(api, world):
    await _address_book(world, 3)
    query = """query($o: ID!) {
      contacts(organizationId: $o, first: 2) { edges { node { displayName } } }
      other: contacts(organizationId: $o, first: 1) { edges { node { displayName } } }
      me { email } }"""
    with count_statements() as statements:
        result = await api.as_(world.viewer).execute(query, {"o": world.org_gid})
    assert not result.errors, result.errors
    assert result.data["me"] == {"email": "viewer@alpha.test"}
    assert len(result.data["contacts"]["edges"]) == 2 and len(result.data["other"]["edges"]) == 1
    assert sum('"session"' in s for s in statements) == 1, "\n".join(statements)
    assert len(statements) == 3, "\n".join(s[:150] for s in statements)  # sign-in, 2 pages
    # Asked first without an organization, the role comes next, still once for both.
    query = query.replace("me { email }", "").replace("($o: ID!) {", "($o: ID!) { me { id }")
    with count_statements() as statements:
        result = await api.as_(world.viewer).execute(query, {"o": world.org_gid})
    assert not result.errors, result.errors
    assert len(statements) == 4, "\n".join(s[:150] for s in statements)


async def test_a_role_ended_or_changed_counts_from_the_next_request(api, world):
    admin = api.as_(world.admin)
    audit = "query($o: ID!) { auditLog(organizationId: $o, first: 1) { edges { cursor } } }"
    assert not (await admin.execute(audit, {"o": world.org_gid})).errors
    membership = StaffMembership.filter(id=world.admin.membership.id)
    await membership.update(role=Role.VIEWER)
    assert (await admin.execute(audit, {"o": world.org_gid})).error_codes == ["FORBIDDEN"]
    await membership.update(role=Role.ADMIN)
    assert not (await admin.execute(audit, {"o": world.org_gid})).errors
    tomorrow = today_in(world.organization.timezone) + timedelta(days=1)
    await membership.update(deactivate_on=tomorrow)
    assert not (await admin.execute(audit, {"o": world.org_gid})).errors
    await membership.update(deactivate_on=tomorrow - timedelta(days=1))
    assert (await admin.execute(audit, {"o": world.org_gid})).error_codes == ["NOT_FOUND"]
    await membership.update(deactivate_on=None, status=MembershipStatus.DEACTIVATED)
    assert (await admin.execute(audit, {"o": world.org_gid})).error_codes == ["NOT_FOUND"]


async def test_a_session_ended_counts_from_the_next_request(api, world):
    viewer = api.as_(world.viewer)
    assert not (await viewer.execute(PAGE, {"o": world.org_gid, "first": 1})).errors
    await User.filter(id=world.viewer.user.id).update(is_active=False)
    result = await viewer.execute(PAGE, {"o": world.org_gid, "first": 1})
    assert result.error_codes == ["UNAUTHENTICATED"]
    await User.filter(id=world.viewer.user.id).update(is_active=True)
    assert not (await viewer.execute(PAGE, {"o": world.org_gid, "first": 1})).errors
    await Session.filter(user_id=world.viewer.user.id).update(access_expires_at=now())
    result = await viewer.execute(PAGE, {"o": world.org_gid, "first": 1})
    assert result.error_codes == ["UNAUTHENTICATED"]


async def test_another_organization_is_not_found_after_the_joined_lookup(api, world):
    result = await api.as_(world.viewer).execute(PAGE, {"o": world.other_org_gid, "first": 1})
    assert result.error_codes == ["NOT_FOUND"]
    assert result.data is None or result.data.get("contacts") is None


async def test_an_error_before_any_field_speaks_the_callers_language(api, world):
    await User.filter(id=world.viewer.user.id).update(locale=Locale.FR)
    result = await api.as_(world.viewer).execute(PAGE, {"o": world.org_gid, "first": -1})
    assert result.error_codes == ["BAD_USER_INPUT"]
    english = await api.as_(world.agent).execute(PAGE, {"o": world.org_gid, "first": -1})
    assert result.errors[0]["message"] != english.errors[0]["message"]


async def test_a_page_makes_two_round_trips_to_postgresql(api, world, monkeypatch):
    """Each statement outside a transaction once cost a second round trip: the pool's reset
    of the connection it released (carnet/db.py)."""
    from asyncpg.connection import Connection
    from tortoise import connections

    if connections.get("default").capabilities.dialect != "postgres":
        pytest.skip("PostgreSQL's connection pool")
    await _address_book(world, 3)
    sent: list[str] = []
    for name in ("execute", "fetch", "fetchrow", "fetchval", "executemany"):
        original = getattr(Connection, name)

        def counting(self, query, *args, _original=original, **kwargs):
            sent.append(query)
            return _original(self, query, *args, **kwargs)

        monkeypatch.setattr(Connection, name, counting)
    result = await api.as_(world.viewer).execute(PAGE, {"o": world.org_gid, "first": 3})
    assert not result.errors, result.errors
    assert len(sent) == 2, sent  # the sign-in with the role, then the page
