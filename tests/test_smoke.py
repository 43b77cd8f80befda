"""The service starts, answers health checks, and serves the schema."""

import schema
from carnet.web.app import create_app


def test_schema_package_is_ours():
    # PyPI has an unrelated `schema` package; ours must win.
    assert hasattr(schema, "build_schema")
    assert schema.__file__.endswith("schema/__init__.py")


async def test_health_and_readiness(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok", "redis": "ok"}


async def test_me_over_http(api, world):
    result = await api.as_(world.owner).execute("{ me { email emailVerified } }")
    assert result.status == 200
    assert result.data == {"me": {"email": "owner@alpha.test", "emailVerified": True}}


async def test_anonymous_me_is_unauthenticated(api, world):
    result = await api.execute("{ me { email } }")
    assert result.error_codes == ["UNAUTHENTICATED"]


def test_create_app_connects_nothing_at_build_time(settings):
    # Building the app must not touch the database or Redis (that is the lifespan's job).
    assert create_app(settings) is not None
