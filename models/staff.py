"""Staff: memberships (user + organization + role) and invitations — one model for staff,
team and account-activation invitations.

The secret lives in a `OneTimeToken` (stored hashed); a resend replaces the token. An
invitation is EXPIRED when still pending past `expires_at` (derived, never stale).
"""

from enum import StrEnum

from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

from models.base import TimestampedModel


class Role(StrEnum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    BILLING_ADMIN = "BILLING_ADMIN"
    AGENT = "AGENT"
    VIEWER = "VIEWER"


class MembershipStatus(StrEnum):
    INVITED = "INVITED"
    ACTIVE = "ACTIVE"
    DEACTIVATED = "DEACTIVATED"


class StaffMembership(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="staff", on_delete=fields.CASCADE
    )
    user = fields.ForeignKeyField(
        "models.User", related_name="memberships", on_delete=fields.CASCADE
    )
    role = fields.CharEnumField(Role, max_length=16)
    status = fields.CharEnumField(MembershipStatus, max_length=16, default=MembershipStatus.ACTIVE)
    # Access ends at the start of this date in the organization's timezone.
    deactivate_on = fields.DateField(null=True)
    deactivated_at = fields.DatetimeField(null=True)

    class Meta:
        table = "staff_membership"
        constraints = (
            UniqueConstraint(fields=("organization_id", "user_id"), name="staff_membership_unique"),
        )


class InvitationKind(StrEnum):
    STAFF = "STAFF"
    TEAM = "TEAM"
    ACCOUNT = "ACCOUNT"


class InvitationState(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    EXPIRED = "EXPIRED"  # derived: PENDING past expires_at; never stored
    REVOKED = "REVOKED"


class Invitation(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="invitations", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(InvitationKind, max_length=8)
    # The invitee (a user not yet proven owner of this address has no password yet).
    user = fields.ForeignKeyField(
        "models.User", related_name="invitations", on_delete=fields.CASCADE
    )
    email = fields.CharField(max_length=254)
    # The name the inviter typed: given to the login when the link proves the address, in
    # place of a name set by whoever registered the address before (which proved nothing).
    first_name = fields.CharField(max_length=100, default="", db_default="")
    last_name = fields.CharField(max_length=100, default="", db_default="")
    membership = fields.ForeignKeyField(
        "models.StaffMembership",
        related_name="invitations",
        null=True,
        on_delete=fields.SET_NULL,
    )
    invited_by = fields.ForeignKeyField(
        "models.User", related_name="invitations_sent", null=True, on_delete=fields.SET_NULL
    )
    token = fields.ForeignKeyField(
        "models.OneTimeToken", related_name="invitation", null=True, on_delete=fields.SET_NULL
    )
    state = fields.CharEnumField(InvitationState, max_length=8, default=InvitationState.PENDING)
    expires_at = fields.DatetimeField()
    # A send is asked for (staffAdd, resend) and done by the send_invitation job; the job
    # does nothing when the latest request was already sent, so running it twice is safe.
    send_requested_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)
    send_count = fields.IntField(default=0)
    accepted_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "invitation"
        indexes = (("organization_id", "kind", "state", "created_at"),)
