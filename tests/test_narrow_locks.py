"""Each invariant has its own lock, not the organization's row: a staff change in progress
holds up other staff changes, and nothing else (contacts, the audit log, interactions).

On PostgreSQL the requests really overlap (one connection each); SQLite serialises whole
transactions, so there a staff change holds up everything and the tests that show
something does NOT wait are skipped.
"""

from __future__ import annotations

import asyncio

import pytest
from tortoise import connections

from models.contacts import Contact, ContactSource
from models.staff import MembershipStatus, Role, StaffMembership
from resolvers.common import audit
from resolvers.contacts.interactions import record_interaction
from resolvers.staff import members
from tests.contacts.contact_flows import CREATE, create_input
from tests.organizations.test_profile import UPDATE
from tests.staff.flows import ACCEPT, ROLE_CHANGE, member_gid
from tests.staff.test_accepting import PASSWORD, invited

WAIT = 5  # seconds: far more than any of these requests needs when nothing holds it up


def postgres() -> bool:
    return connections.get("default").capabilities.dialect == "postgres"


class PausedStaffChange:
    """Makes the next staff role change stop inside its transaction, its checks passed and
    its lock held, just before it saves; `resume()` lets it finish."""

    def __init__(self, monkeypatch):
        self.holding, self.go = asyncio.Event(), asyncio.Event()
        self._monkeypatch = monkeypatch

    def arm(self) -> None:
        save = members.save_audited

        async def paused(*args, **kwargs):
            if not self.holding.is_set():
                self.holding.set()
                await self.go.wait()
            return await save(*args, **kwargs)

        self._monkeypatch.setattr(members, "save_audited", paused)

    async def start(self, request) -> asyncio.Task:
        self.arm()
        change = asyncio.create_task(request)
        await asyncio.wait_for(self.holding.wait(), WAIT)
        return change

    def resume(self) -> None:
        self.go.set()


@pytest.fixture
def paused(monkeypatch):
    pause = PausedStaffChange(monkeypatch)
    yield pause
    pause.resume()


def demote(api, by, member, role="VIEWER"):
    return api.as_(by).execute(ROLE_CHANGE, {"id": member_gid(member.membership), "role": role})


async def test_contacts_are_created_while_a_staff_change_holds_its_lock(
    api, world, settings, paused
):
    if not postgres():
        pytest.skip("SQLite serialises whole transactions: everything waits there")
    token = await invited(api, world, settings)  # a person to join while the change waits
    change = await paused.start(demote(api, world.owner, world.agent))
    try:
        created = await asyncio.wait_for(
            api.as_(world.admin).execute(CREATE, create_input(world, firstName="Ada")), WAIT
        )
        assert created.ok("contactCreate")["contact"]["firstName"] == "Ada"
        # Joining adds the newcomer to the address book (`record_interaction`).
        joined = await asyncio.wait_for(
            api.execute(ACCEPT, {"input": {"token": token, "password": PASSWORD}}), WAIT
        )
        assert joined.ok("invitationAccept")["member"]["status"] == "ACTIVE"
        assert not change.done()
    finally:
        paused.resume()
    assert (await change).ok("staffRoleChange")["member"]["role"] == "VIEWER"
    assert await Contact.filter(
        organization=world.organization,
        source=ContactSource.STAFF_MEMBERSHIP,
        email="nina@example.test",
    ).exists()


async def test_a_staff_change_waits_for_the_one_holding_the_lock(api, world, paused):
    """Two owners demoting each other: the second waits for the first, then finds it is no
    longer an owner; without the lock both would pass their checks and leave no owner."""
    (await demote(api, world.owner, world.admin, "OWNER")).ok("staffRoleChange")
    first = await paused.start(demote(api, world.owner, world.admin, "ADMIN"))
    second = asyncio.create_task(demote(api, world.admin, world.owner, "ADMIN"))
    try:
        done, _ = await asyncio.wait({second}, timeout=0.5)
        assert not done, "the second staff change did not wait for the first"
    finally:
        paused.resume()
    assert (await first).ok("staffRoleChange")["member"]["role"] == "ADMIN"
    assert (await second).payload_codes("staffRoleChange") == ["FORBIDDEN"]
    owners = await StaffMembership.filter(
        organization=world.organization, role=Role.OWNER, status=MembershipStatus.ACTIVE
    ).values_list("user_id", flat=True)
    assert owners == [world.owner.user.id]


async def test_contacts_are_created_while_the_profile_is_being_changed(api, world, monkeypatch):
    """The profile's edit locks the organization's row, but not against inserts that only
    reference it (PostgreSQL's FOR NO KEY UPDATE)."""
    if not postgres():
        pytest.skip("SQLite serialises whole transactions: everything waits there")
    holding, go = asyncio.Event(), asyncio.Event()
    record = audit.record

    async def paused(action: str, **kwargs):
        if action == "organization.update":  # the row is written, the transaction open
            holding.set()
            await go.wait()
        return await record(action, **kwargs)

    monkeypatch.setattr(audit, "record", paused)
    edit = asyncio.create_task(
        api.as_(world.owner).execute(UPDATE, {"input": {"id": world.org_gid, "legalName": "A"}})
    )
    try:
        await asyncio.wait_for(holding.wait(), WAIT)
        created = await asyncio.wait_for(
            api.as_(world.admin).execute(CREATE, create_input(world, firstName="Ada")), WAIT
        )
        assert created.ok("contactCreate")["contact"]["firstName"] == "Ada"
    finally:
        go.set()
    assert (await edit).ok("organizationUpdate")["organization"]["legalName"] == "A"


async def test_interactions_at_once_add_one_contact(world):
    """The find-or-create of `record_interaction` keeps its own lock."""
    await asyncio.gather(
        *(
            record_interaction(
                world.organization.id,
                email="walk-in@example.test",
                first_name="Walk",
                source=ContactSource.PURCHASE,
            )
            for _ in range(4)
        )
    )
    assert await Contact.filter(email="walk-in@example.test").count() == 1
