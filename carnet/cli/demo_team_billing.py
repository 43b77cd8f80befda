"""The demo team's billing (issue 16): billed monthly since 10 days ago on a stored (fake)
card; its regular invoice billed the admin's seat as Essentials, and the seat's upgrade to
Unlimited since then is on a prorated invoice of its own. Both are paid."""

from __future__ import annotations

from datetime import timedelta

from carnet.cli.demo_teams import TEAM_NAME
from carnet.settings import current_settings
from models.identity import User
from models.organizations import Organization
from models.team_billing import BillingInterval, TeamBilling
from models.teams import Seat, SeatType, Team
from resolvers.common.time import now
from resolvers.teams import billing, billing_runs
from resolvers.teams.billing import local_date

SUMMARY = f"    team {TEAM_NAME!r} billing: monthly, a regular invoice and a prorated one (upgrade)"


async def seed_demo_team_billing(organization: Organization, domain: str) -> list[str]:
    team = await Team.get_or_none(organization=organization, name=TEAM_NAME)
    if team is None or await TeamBilling.filter(team=team).exists():
        return [SUMMARY]
    admin = await User.get(email=f"admin@{domain}")
    anchor = local_date(now(), organization) - timedelta(days=10)
    account = await billing._new_account(team, BillingInterval.MONTHLY, anchor, "tok_visa")
    seat = await Seat.get(organization=organization, user=admin)
    seat.seat_type, seat.team_pays_from = SeatType.ESSENTIALS, now() - timedelta(days=10)
    await seat.save()
    await billing_runs.bill(account.id, current_settings(), email=False)  # the regular invoice
    seat.seat_type = SeatType.UNLIMITED
    await seat.save()
    await billing_runs.bill(account.id, current_settings(), email=False)  # the upgrade, prorated
    return [SUMMARY]
