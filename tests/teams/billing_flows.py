"""Shared operations and the fixed clock for the team billing tests (issue 16)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from carnet.providers.payments import FAKE
from models.teams import TeamMember, TeamMemberStatus
from resolvers.teams import clock as seat_clock_module
from schema import ids
from tests.support.worker import run_worker
from tests.teams.flows import SEAT_PAY, a_person, a_team, user_gid

TORONTO = ZoneInfo("America/Toronto")  # the organizations' default timezone
ERRORS = "errors { code field message }"
MONEY = "{ amount currency }"
BILLING_FIELDS = f"""interval anchorDate paymentMethod pastDueSince accessEndsAt teams
  invoices {{ id number status kind chargeStatus attempts nextAttemptAt lastError
    periodStart periodEnd total {MONEY} amountDue {MONEY}
    sections {{ teamName subtotal {MONEY} lines {{ description amount {MONEY} }} }} }}
  upcomingInvoice {{ date subtotal {MONEY} amount {MONEY} lines {{ teamName description
    amount {MONEY} }} }}"""
BILLING = f"query($id: ID!) {{ team(id: $id) {{ billing {{ {BILLING_FIELDS} }} }} }}"
UPDATE = f"""mutation($input: TeamBillingUpdateInput!) {{
  teamBillingUpdate(input: $input) {{
    billing {{ interval anchorDate paymentMethod }} {ERRORS} }} }}"""
GROUP = f"""mutation($team: ID!, $into: ID!) {{
  teamBillingGroup(input: {{teamId: $team, intoTeamId: $into}}) {{
    billing {{ teams }} {ERRORS} }} }}"""


class FixedClock:
    """The seats' (and team billing's) clock, set to a given local day."""

    def __init__(self) -> None:
        self.at = datetime(2027, 1, 5, 12, tzinfo=TORONTO)

    def now(self) -> datetime:
        return self.at.astimezone(UTC)

    def set(self, year: int, month: int, day: int, hour: int = 12) -> None:
        self.at = datetime(year, month, day, hour, tzinfo=TORONTO)


@pytest.fixture
def billing_clock(monkeypatch) -> FixedClock:
    fixed = FixedClock()
    monkeypatch.setattr(seat_clock_module, "now", fixed.now)
    return fixed


@pytest.fixture
def provider():
    FAKE.reset()
    yield FAKE
    FAKE.reset()


async def run_billing(settings) -> None:
    """The billing cron, run by a real arq worker in burst mode (it runs at start-up and
    queues a `bill_team` job per account, which the worker runs), with any job queued."""
    await run_worker(settings)


async def run_jobs(settings) -> None:
    """The jobs queued (a mutation's `bill_team`), by a burst worker running no cron."""
    await run_worker(settings, cron_jobs=[])


async def team_paying(
    api, world, password_hash, owner_email="owner@example.test", n=1, name="Clinique Nord"
):
    """A team whose owner (on a trial of their own) lets the team pay `n` members now."""
    owner = await a_person(owner_email, password_hash)
    team = await a_team(api, owner, world, name)
    members = [
        await add_paid_member(
            api, owner, team, f"{name.split()[-1].lower()}{i}@example.test", password_hash
        )
        for i in range(n)
    ]
    return owner, team, members


async def add_paid_member(
    api, owner, team, email, password_hash, seat_type="UNLIMITED", payment="PAY_NOW"
):
    member = await a_person(email, password_hash)
    await TeamMember.create(
        team_id=ids.decode(team)[1], user=member.user, status=TeamMemberStatus.ACTIVE
    )
    variables = {"team": team, "user": user_gid(member), "type": seat_type, "payment": payment}
    (await api.as_(owner).execute(SEAT_PAY, variables)).ok("teamSeatPay")
    return member


async def set_up_billing(
    api, owner, team, anchor="2027-01-05", interval="MONTHLY", method="tok_visa"
):
    variables = {
        "input": {
            "teamId": team,
            "anchorDate": anchor,
            "interval": interval,
            "paymentMethod": method,
        }
    }
    return (await api.as_(owner).execute(UPDATE, variables)).ok("teamBillingUpdate")["billing"]


async def billing_of(api, who, team) -> dict:
    result = await api.as_(who).execute(BILLING, {"id": team})
    assert not result.errors, result.errors
    return result.data["team"]["billing"]
