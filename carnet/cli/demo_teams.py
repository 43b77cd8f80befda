"""The demo's team: the club's owner administers it on a free Support seat; the team pays
the admin's Unlimited seat now and the agent's Essentials trial from its end."""

from __future__ import annotations

from datetime import timedelta

from models.identity import User
from models.organizations import Organization
from models.teams import (
    PaidBy,
    Seat,
    SeatPayment,
    SeatStatus,
    SeatType,
    Team,
    TeamMember,
    TeamMemberStatus,
)
from resolvers.common.time import now

TEAM_NAME = "Coaches"


async def seed_demo_team(organization: Organization, domain: str) -> list[str]:
    if await Team.filter(organization=organization, name=TEAM_NAME).exists():
        return [f"    team {TEAM_NAME!r}: owner, admin (Unlimited), agent (Essentials trial)"]
    owner = await User.get(email=f"owner@{domain}")
    admin = await User.get(email=f"admin@{domain}")
    agent = await User.get(email=f"agent@{domain}")
    at = now()
    await Seat.get_or_create(
        organization=organization,
        user=owner,
        defaults={"seat_type": SeatType.SUPPORT, "status": SeatStatus.ACTIVE},
    )
    team = await Team.create(organization=organization, name=TEAM_NAME, owner=owner)
    trial_ends = at + timedelta(days=10)
    seats = [
        (owner, None, None),
        (
            admin,
            SeatPayment.PAY_NOW,
            {"seat_type": SeatType.UNLIMITED, "status": SeatStatus.ACTIVE, "team_pays_from": at},
        ),
        (
            agent,
            SeatPayment.PAY_AFTER_TRIAL,
            {
                "seat_type": SeatType.ESSENTIALS,
                "status": SeatStatus.TRIAL,
                "trial_started_at": at - timedelta(days=4),
                "trial_ends_at": trial_ends,
                "team_pays_from": trial_ends,
            },
        ),
    ]
    for user, payment, seat in seats:
        await TeamMember.create(
            team=team,
            user=user,
            status=TeamMemberStatus.ACTIVE,
            seat_type=seat["seat_type"] if seat else None,
            payment=payment,
            joined_at=at,
        )
        if seat is not None:
            await Seat.update_or_create(
                organization=organization,
                user=user,
                defaults={**seat, "paid_by": PaidBy.TEAM, "paying_team": team},
            )
    return [f"    team {TEAM_NAME!r}: owner, admin (Unlimited), agent (Essentials trial)"]
