"""Test run set-up: migrate once, run the app's lifespan once, empty the tables per test."""

from __future__ import annotations

import httpx
import pytest
from tortoise import Tortoise, connections
from tortoise.migrations.api.migrate import migrate

from carnet.auth import hash_password
from carnet.db import tortoise_config
from carnet.settings import Settings, configure
from carnet.web.app import create_app
from tests.support.api import Api
from tests.support.s3 import S3Server
from tests.support.services import TestServices
from tests.support.world import PASSWORD, World, build_world

pytest_plugins: list[str] = ["tests.support.mail"]


@pytest.fixture(scope="session")
async def services(tmp_path_factory):
    services = TestServices(tmp_path_factory.mktemp("carnet"))
    settings = await services.start()
    yield services
    await services.stop(settings)


@pytest.fixture(scope="session")
async def settings(services) -> Settings:
    settings = services.settings()
    configure(settings)
    # The test database is built by the migrations, as production's is.
    await migrate(config=tortoise_config(settings))
    await Tortoise.close_connections()
    return settings


@pytest.fixture(scope="session")
async def app(settings):
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="session")
async def tables(app) -> list[str]:
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        _, rows = await connection.execute_query(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        names = [r["tablename"] for r in rows]
    else:
        _, rows = await connection.execute_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        names = [r["name"] for r in rows]
    return [n for n in names if n != "tortoise_migrations"]


async def _empty(tables: list[str], settings: Settings) -> None:
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        quoted = ", ".join(f'"{t}"' for t in tables)
        await connection.execute_script(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
    else:
        await connection.execute_script(
            "PRAGMA foreign_keys = OFF;"
            + "".join(f'DELETE FROM "{t}";' for t in tables)
            + "DELETE FROM sqlite_sequence; PRAGMA foreign_keys = ON;")
    from carnet import queue

    redis = queue.pool()
    keys = [k async for k in redis.scan_iter(match=f"{settings.redis_prefix}*", count=500)]
    keys += [k async for k in redis.scan_iter(match=f"arq:*{settings.redis_prefix}*", count=500)]
    if keys:
        await redis.delete(*keys)


@pytest.fixture(autouse=True)
async def clean_state(request, tables, settings):
    yield
    await _empty(tables, settings)


@pytest.fixture(scope="session")
def s3_server():
    """An S3-compatible server (moto's) on 127.0.0.1, for the tests that use one."""
    server = S3Server()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def password_hash(settings) -> str:
    return await hash_password(PASSWORD)


@pytest.fixture
async def world(app, password_hash) -> World:
    return await build_world(password_hash)


@pytest.fixture
async def client(app):
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://carnet.test") as client:
        yield client


@pytest.fixture
def api(client) -> Api:
    return Api(client)
