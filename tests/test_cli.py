"""The `carnet` command: schema freshness, the demo seed, the outbox listing."""

import subprocess
import sys
from pathlib import Path

import pytest

from carnet import cli
from carnet.cli.demo import seed_demo
from carnet.settings import Environment, Settings
from models.identity import User
from models.staff import StaffMembership

ROOT = Path(__file__).resolve().parent.parent


def test_committed_schema_is_current():
    result = subprocess.run(
        [sys.executable, "-m", "carnet.cli", "schema", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


async def test_demo_seed_is_idempotent(app):
    first = await seed_demo()
    users, memberships = await User.all().count(), await StaffMembership.all().count()
    second = await seed_demo()
    assert first == second
    assert (await User.all().count(), await StaffMembership.all().count()) == (users, memberships)
    # Five roles and an invitee in the demo club, an owner in the other; a client account
    # holder who signs in and one whose activation is pending.
    assert users == 9
    assert any("owner@club.demo.carnet.test" in line for line in first)
    from models.staff import Invitation

    assert await Invitation.filter(email="invited@club.demo.carnet.test").count() == 1
    assert await StaffMembership.filter(deactivate_on__isnull=False).count() == 1
    from models.contacts import Contact
    from models.groups import GroupMember

    contacts = await Contact.all().count()
    assert contacts > 300 and await GroupMember.all().count() > 100
    await seed_demo()
    assert await Contact.all().count() == contacts


async def test_demo_users_can_sign_in(api, app):
    await seed_demo()
    result = await api.execute(
        'mutation { tokenCreate(input: {email: "agent@club.demo.carnet.test", '
        'password: "demo-password"}) { accessToken errors { code } } }'
    )
    assert result.ok("tokenCreate")["accessToken"]


async def test_the_outbox_listing_shows_a_link_once_its_mail_is_sent(api, world):
    from carnet.cli.demo import recent_outbox
    from tests.identity.flows import RESET_REQUEST, reset
    from tests.support.mail import send_queued_mail, token_of

    email = world.viewer.user.email
    (await api.execute(RESET_REQUEST, {"input": {"email": email}})).ok("passwordResetRequest")
    header, waiting = await recent_outbox(10)
    assert f"PENDING to {email}: password_reset" in header
    assert "minted when the worker sends it" in waiting
    await send_queued_mail()
    header, link = await recent_outbox(10)
    assert f"SENT to {email}: Reset your password" in header
    (await reset(api, token_of(link.strip()))).ok("passwordReset")


def test_seed_demo_is_refused_in_production(capsys):
    production = Settings(
        environment=Environment.PRODUCTION,
        secret_key="x" * 40,
        database_url="sqlite://:memory:",
        redis_url="redis://127.0.0.1:1",
    )
    assert cli._seed_demo(production) == 2
    assert "refused in production" in capsys.readouterr().err


def test_production_requires_real_settings():
    with pytest.raises(ValueError, match="CARNET_SECRET_KEY"):
        Settings(
            environment=Environment.PRODUCTION, database_url="postgres://x/y", redis_url="redis://x"
        )


def _session_members(session_id: int) -> list[int]:
    """Live processes of a session (Linux /proc), zombies excluded."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session_id and fields[0] != "Z":  # sid, state
            members.append(int(stat.parent.name))
    return members


def test_dev_runs_everything_and_ctrl_c_stops_every_child(tmp_path):
    """`carnet dev` on a fresh folder: migrate, seed, serve; Ctrl-C leaves nothing behind."""
    import os
    import signal
    import socket
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARNET_")}
    env.update(
        CARNET_VAR_DIR=str(tmp_path / "var"),
        CARNET_PORT=str(port),
        CARNET_ARGON2_TIME_COST="1",
        CARNET_ARGON2_MEMORY_COST_KIB="1024",
    )
    log = (tmp_path / "dev.log").open("w")
    dev = subprocess.Popen(
        [sys.executable, "-m", "carnet.cli", "dev"],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120  # the demo seeds a lot; a loaded machine takes its time
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert dev.poll() is None and time.monotonic() < deadline, (
                tmp_path / "dev.log"
            ).read_text()
            time.sleep(0.3)
        response = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={
                "query": 'mutation { tokenCreate(input: {email: "owner@club.demo.carnet.test", '
                'password: "demo-password"}) { accessToken } }'
            },
        )
        assert response.json()["data"]["tokenCreate"]["accessToken"]
        assert len(_session_members(dev.pid)) >= 4  # dev, redis-server, worker, API
        # A terminal's Ctrl-C signals the whole foreground process group, not only `carnet dev`.
        os.killpg(dev.pid, signal.SIGINT)
        assert dev.wait(timeout=30) == 0
        deadline = time.monotonic() + 10
        while _session_members(dev.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _session_members(dev.pid) == []
    finally:
        for pid in _session_members(dev.pid):
            os.kill(pid, signal.SIGKILL)
        log.close()
    output = (tmp_path / "dev.log").read_text()
    assert "owner@club.demo.carnet.test" in output
    assert "Traceback" not in output, output
    # Ctrl-C reached `carnet dev` alone, which stopped the worker while Redis still ran.
    assert "shutdown on SIGTERM" in output, output
    redis_log = (tmp_path / "var" / "redis.log").read_text()
    assert "Received SIGTERM" in redis_log and "SIGINT" not in redis_log, redis_log



async def test_demo_staff_are_in_the_demo_address_book(api, app):
    """The README says staff land in the address book; the demo's staff do too, linked to
    their logins, and seeding again adds nobody."""
    await seed_demo()
    await seed_demo()
    signed_in = await api.execute(
        'mutation { tokenCreate(input: {email: "owner@club.demo.carnet.test", '
        'password: "demo-password"}) { accessToken errors { code } } }'
    )
    owner = api.as_(type("Owner", (), {"token": signed_in.ok("tokenCreate")["accessToken"]}))
    orgs = (await owner.execute("{ myOrganizations { id name } }")).payload("myOrganizations")
    club = next(o["id"] for o in orgs if o["name"] == "Club Demo")
    result = await owner.execute(
        "query($org: ID!) { contacts(organizationId: $org, filter: {isUser: true}, first: 50) {"
        " totalCount edges { node { email source displayName } } } }",
        {"org": club},
    )
    page = result.payload("contacts")
    # The demo client account holder who signs in is a user too, not staff.
    edges = [e for e in page["edges"] if e["node"]["email"] != "client@club.demo.carnet.test"]
    assert len(edges) == len(page["edges"]) - 1
    emails = sorted(edge["node"]["email"] for edge in edges)
    assert emails == sorted(
        f"{who}@club.demo.carnet.test"
        for who in ("owner", "admin", "billing-admin", "agent", "viewer")
    )
    assert {edge["node"]["source"] for edge in edges} == {"STAFF_MEMBERSHIP"}
    assert "Owner Club Demo" in {edge["node"]["displayName"] for edge in edges}


async def test_the_demo_client_sees_and_downloads_the_roy_household_document(api, client):
    from carnet.cli.demo_documents import RECEIPT
    from models.accounts import AccessGroup, AccountDocument

    await seed_demo()
    await seed_demo()
    assert (await AccessGroup.all().count(), await AccountDocument.all().count()) == (1, 1)
    signed_in = await api.execute(
        'mutation { tokenCreate(input: {email: "client@club.demo.carnet.test", '
        'password: "demo-password"}) { accessToken errors { code } } }'
    )
    paul = api.as_(type("Paul", (), {"token": signed_in.ok("tokenCreate")["accessToken"]}))
    mine = await paul.execute("{ me { accounts { name documents { id name } } } }")
    [roy] = [a for a in mine.data["me"]["accounts"] if a["name"] == "Roy"]
    [document] = roy["documents"]
    assert document["name"] == "tax-receipt-2025.pdf"
    minted = await paul.execute(
        "mutation($id: ID!) { accountDocumentDownloadLink(input: {documentId: $id}) "
        "{ downloadUrl errors { code } } }",
        {"id": document["id"]},
    )
    url = minted.ok("accountDocumentDownloadLink")["downloadUrl"]
    fetched = await client.get(url[url.index("/documents/") :])
    assert (fetched.status_code, fetched.content) == (200, RECEIPT)


def test_serve_workers_runs_that_many_api_processes_and_stops_them(settings):
    import re
    import time

    from tests.support.live_server import live_server

    with live_server(settings, arguments=("--workers", "2")) as server:
        deadline = time.monotonic() + 30
        while len(set(re.findall(r"Started server process \[(\d+)\]", server.log()))) < 2:
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.1)
    # SIGTERM to the manager stops both, each after its graceful shutdown.
    finished = set(re.findall(r"Finished server process \[(\d+)\]", server.log()))
    assert len(finished) == 2, server.log()
