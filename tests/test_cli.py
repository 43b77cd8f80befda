"""The `carnet` command: schema freshness, the demo seed, the outbox listing."""

import subprocess
import sys
from pathlib import Path

import pytest

from carnet import cli
from carnet.demo import seed_demo
from carnet.settings import Environment, Settings
from models.identity import User
from models.organizations import StaffMembership

ROOT = Path(__file__).resolve().parent.parent


def test_committed_schema_is_current():
    result = subprocess.run([sys.executable, "-m", "carnet.cli", "schema", "--check"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


async def test_demo_seed_is_idempotent(app):
    first = await seed_demo()
    users, memberships = await User.all().count(), await StaffMembership.all().count()
    second = await seed_demo()
    assert first == second
    assert (await User.all().count(), await StaffMembership.all().count()) == (users, memberships)
    assert users == 6  # five roles in the demo club, one owner in the other
    assert any("owner@club.demo.carnet.test" in line for line in first)


async def test_demo_users_can_sign_in(api, app):
    await seed_demo()
    result = await api.execute(
        'mutation { tokenCreate(input: {email: "agent@club.demo.carnet.test", '
        'password: "demo-password"}) { accessToken errors { code } } }')
    assert result.ok("tokenCreate")["accessToken"]


def test_seed_demo_is_refused_in_production(capsys):
    production = Settings(environment=Environment.PRODUCTION, secret_key="x" * 40,
                          database_url="sqlite://:memory:", redis_url="redis://127.0.0.1:1")
    assert cli._seed_demo(production) == 2
    assert "refused in production" in capsys.readouterr().err


def test_production_requires_real_settings():
    with pytest.raises(ValueError, match="CARNET_SECRET_KEY"):
        Settings(environment=Environment.PRODUCTION, database_url="postgres://x/y",
                 redis_url="redis://x")
