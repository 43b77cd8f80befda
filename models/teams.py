"""Teams and seats: each user's one seat subscription per organization (the tenant that
sells the seats), teams under one owner, and their members.

Who pays is recorded and enforced here (`paid_by`, `paying_team`: one column, so at most
one team pays); money moves in the billing domain. Access is derived from these columns
by `resolvers.teams.seats.seat_has_access`, never stored.
"""

from enum import StrEnum

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint, UniqueConstraint

from models.base import TimestampedModel


class SeatType(StrEnum):
    UNLIMITED = "UNLIMITED"
    ESSENTIALS = "ESSENTIALS"
    SUPPORT = "SUPPORT"  # free, for people who do not work cases


class SeatStatus(StrEnum):
    TRIAL = "TRIAL"
    ACTIVE = "ACTIVE"
    CANCELED = "CANCELED"


class PaidBy(StrEnum):
    SELF = "SELF"
    TEAM = "TEAM"


class Seat(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="seats", on_delete=fields.CASCADE
    )
    user = fields.ForeignKeyField("models.User", related_name="seats", on_delete=fields.CASCADE)
    seat_type = fields.CharEnumField(SeatType, max_length=16)
    status = fields.CharEnumField(SeatStatus, max_length=16)
    # Set once: a user has one trial per organization.
    trial_started_at = fields.DatetimeField(null=True)
    trial_ends_at = fields.DatetimeField(null=True)
    paid_by = fields.CharEnumField(PaidBy, max_length=8, default=PaidBy.SELF)
    paying_team = fields.ForeignKeyField(
        "models.Team", related_name="paid_seats", null=True, on_delete=fields.RESTRICT
    )
    # When the paying team's payment starts: at once, or at the end of a trial.
    team_pays_from = fields.DatetimeField(null=True)
    canceled_at = fields.DatetimeField(null=True)
    # A canceled seat keeps access until then (a trial's end), or has none (null).
    access_ends_at = fields.DatetimeField(null=True)
    # The paying team's charge failed past its last retry: no access from then (issue 16).
    billing_access_ends_at = fields.DatetimeField(null=True)

    class Meta:
        table = "seat"
        constraints = (
            UniqueConstraint(fields=("organization_id", "user_id"), name="seat_one_per_user"),
            CheckConstraint(
                check="(paid_by = 'TEAM' AND paying_team_id IS NOT NULL) "
                "OR (paid_by = 'SELF' AND paying_team_id IS NULL)",
                name="seat_team_pays_with_a_team",
            ),
            CheckConstraint(
                check="status <> 'TRIAL' OR trial_ends_at IS NOT NULL",
                name="seat_trial_has_an_end",
            ),
            CheckConstraint(
                check="status <> 'CANCELED' OR canceled_at IS NOT NULL",
                name="seat_canceled_has_a_date",
            ),
        )
        indexes = (("paying_team_id",),)


class Team(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="teams", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100)
    # Exactly one owner, always: a transfer replaces it, nothing removes it.
    owner = fields.ForeignKeyField(
        "models.User", related_name="teams_owned", on_delete=fields.RESTRICT
    )

    class Meta:
        table = "team"
        indexes = (("organization_id", "name"), ("owner_id",))


class TeamMemberStatus(StrEnum):
    INVITED = "INVITED"
    ACTIVE = "ACTIVE"


class SeatPayment(StrEnum):
    """Who pays the seat of an invited member, as the invitation offers it."""

    PAY_NOW = "PAY_NOW"
    PAY_AFTER_TRIAL = "PAY_AFTER_TRIAL"
    MEMBER_PAYS = "MEMBER_PAYS"


class TeamMember(TimestampedModel):
    """A user in a team (its owner too), invited until they accept."""

    id = fields.BigIntField(primary_key=True)
    team = fields.ForeignKeyField("models.Team", related_name="members", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField(
        "models.User", related_name="team_memberships", on_delete=fields.CASCADE
    )
    status = fields.CharEnumField(TeamMemberStatus, max_length=8)
    # What the invitation offered: the seat type and who pays it, applied on acceptance.
    seat_type = fields.CharEnumField(SeatType, max_length=16, null=True)
    payment = fields.CharEnumField(SeatPayment, max_length=16, null=True)
    invitation = fields.ForeignKeyField(
        "models.Invitation", related_name="team_members", null=True, on_delete=fields.SET_NULL
    )
    invited_by = fields.ForeignKeyField(
        "models.User", related_name="team_invitations_sent", null=True, on_delete=fields.SET_NULL
    )
    joined_at = fields.DatetimeField(null=True)

    class Meta:
        table = "team_member"
        constraints = (UniqueConstraint(fields=("team_id", "user_id"), name="team_member_unique"),)
        indexes = (("user_id", "status"),)
