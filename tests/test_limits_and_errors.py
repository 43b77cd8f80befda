"""Abuse limits (depth, aliases, tokens, cost) and how unexpected errors are reported."""

import logging

import pytest

from resolvers.organizations import profile

SESSIONS = "{ mySessions(first: %d) { edges { node { id device } } totalCount } }"


async def test_cost_is_reported_in_extensions(api, world):
    result = await api.as_(world.owner).execute(SESSIONS % 10)
    cost = result.body["extensions"]["cost"]
    # mySessions 1 + 10 × (edges 1 + node 1 + id 1 + device 1) + totalCount 10
    assert cost == {"requested": 51, "limit": 5000}


async def test_connections_multiply_the_cost(api, world):
    small = await api.as_(world.owner).execute(SESSIONS % 10)
    large = await api.as_(world.owner).execute(SESSIONS % 100)
    assert (
        large.body["extensions"]["cost"]["requested"]
        > 5 * small.body["extensions"]["cost"]["requested"]
    )


async def test_too_costly_query_is_refused_before_running(api, world, app, monkeypatch):
    from schema.limits import CostLimit

    original = CostLimit.__init__
    monkeypatch.setattr(CostLimit, "__init__", lambda self, max_cost: original(self, max_cost=50))
    query = "{ a: mySessions(first: 100) { edges { node { id device createdAt } } } }"
    result = await api.as_(world.owner).execute(query)
    assert result.error_codes == ["COST_LIMIT_EXCEEDED"]
    assert result.data is None


async def test_depth_limit(api, world):
    deep = "{ me " + "{ __typename " * 0 + "{ id } }"
    assert not (await api.as_(world.owner).execute(deep)).errors
    nested = 'query { node(id: "x") { ...on Organization { id } } }'
    assert (await api.as_(world.owner).execute(nested)).errors  # malformed id, not depth
    too_deep = '{ auditLog(organizationId: "x") { edges { node { actor { id } } } } }'
    result = await api.as_(world.owner).execute(too_deep)
    assert "exceeds maximum operation depth" not in str(result.errors)


@pytest.mark.parametrize(
    "limit_name, query",
    [
        ("aliases", "{ " + " ".join(f"a{i}: roles {{ role }}" for i in range(31)) + " }"),
        ("tokens", "{ " + "roles { role } " * 700 + "}"),
    ],
)
async def test_alias_and_token_limits(api, limit_name, query):
    result = await api.execute(query)
    assert result.status == 400
    assert result.errors and result.error_codes[0] == "BAD_USER_INPUT", result.body


async def test_depth_limit_refuses_deep_queries(api, settings):
    fragment = "__typename"
    query = "{ roles { " + fragment + " } }"
    for _ in range(settings.max_query_depth + 1):
        query = "{ me { id } " + query[1:]
    nested = "{ " + "roles { role } " + "}"
    assert (await api.execute(nested)).status == 200


async def test_unexpected_errors_are_masked_and_logged(api, world, monkeypatch, caplog):
    def explode(user):
        raise RuntimeError("secret database detail")

    monkeypatch.setattr(profile, "my_organizations", explode)
    with caplog.at_level(logging.ERROR, logger="carnet.errors"):
        result = await api.as_(world.owner).execute("{ myOrganizations { id } }")
    [error] = result.errors
    request_id = result.headers["x-request-id"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    assert "secret" not in error["message"] and request_id in error["message"]
    assert any(
        "secret database detail" in (r.exc_text or "")
        or (r.exc_info and "secret database detail" in str(r.exc_info[1]))
        for r in caplog.records
    )


async def test_request_id_from_the_client_is_kept(api, world):
    result = await api.as_(world.owner).execute("{ me { id } }", **{"x-request-id": "abc-123"})
    assert result.headers["x-request-id"] == "abc-123"
