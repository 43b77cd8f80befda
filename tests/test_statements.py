"""Statements per request are counted, and do not grow with the page size."""

from carnet.settings import current_settings
from carnet.statements import assert_max_statements, count_statements
from resolvers.common.actor import RequestMeta
from resolvers.identity.sessions import start_session


async def test_an_authenticated_query_costs_one_statement(api, world):
    owner = api.as_(world.owner)
    with assert_max_statements(1) as statements:
        result = await owner.execute("{ me { email firstName } }")
    assert result.data["me"]["email"] == "owner@alpha.test"
    assert "session" in statements[0]


async def test_page_size_does_not_change_the_statement_count(api, world):
    for _ in range(30):
        await start_session(world.owner.user, "phone", RequestMeta(), current_settings())
    owner = api.as_(world.owner)
    query = "query($n: Int!) { mySessions(first: $n) { edges { node { id device } } } }"
    with count_statements() as small:
        assert len((await owner.execute(query, {"n": 2})).data["mySessions"]["edges"]) == 2
    with count_statements() as large:
        assert len((await owner.execute(query, {"n": 25})).data["mySessions"]["edges"]) == 25
    assert len(small) == len(large) == 2  # the session lookup, then one page query


async def test_organization_with_audit_log_page(api, world):
    from models.audit import AuditEvent

    for i in range(40):
        await AuditEvent.create(organization_id=world.organization.id, actor=world.admin.user,
                                action=f"test.{i}")
    owner = api.as_(world.owner)
    query = """query($o: ID!, $n: Int!) { auditLog(organizationId: $o, first: $n) {
        edges { node { action actor { email } } } } }"""
    counts = []
    for n in (5, 40):
        with count_statements() as statements:
            result = await owner.execute(query, {"o": world.org_gid, "n": n})
        assert len(result.data["auditLog"]["edges"]) == n
        counts.append(len(statements))
    assert counts[0] == counts[1]
