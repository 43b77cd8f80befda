"""Identity: platform-wide users, their sign-in sessions and one-time tokens.

A user is global (one login for every organization); membership lives in
`models.staff` and the address book in `models.contacts`.
"""

from enum import StrEnum

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.base import TimestampedModel


class Locale(StrEnum):
    EN = "en"
    FR = "fr"


class User(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    # Stored normalized (lower-case), so uniqueness is case-insensitive by construction.
    email = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=255)
    first_name = fields.CharField(max_length=100, default="")
    last_name = fields.CharField(max_length=100, default="")
    locale = fields.CharEnumField(Locale, max_length=2, default=Locale.EN)
    email_verified_at = fields.DatetimeField(null=True)
    is_active = fields.BooleanField(default=True)

    class Meta:
        table = "user"
        constraints = (CheckConstraint(check="email = lower(email)", name="user_email_lower"),)

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Session(TimestampedModel):
    """One signed-in device: a short-lived access token and a rotating refresh token.

    Tokens are stored as SHA-256 digests; the plain values only ever reach the client.
    """

    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="sessions", on_delete=fields.CASCADE)
    access_token_hash = fields.CharField(max_length=64, unique=True)
    access_expires_at = fields.DatetimeField()
    refresh_token_hash = fields.CharField(max_length=64, unique=True)
    refresh_expires_at = fields.DatetimeField()
    # The refresh token this one replaced: presenting it again means it was stolen.
    previous_refresh_token_hash = fields.CharField(max_length=64, null=True, db_index=True)
    device = fields.CharField(max_length=255, default="")
    ip_address = fields.CharField(max_length=64, default="")
    last_used_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True, db_index=True)

    class Meta:
        table = "session"


class TokenPurpose(StrEnum):
    EMAIL_VERIFICATION = "EMAIL_VERIFICATION"
    PASSWORD_RESET = "PASSWORD_RESET"
    EMAIL_CHANGE = "EMAIL_CHANGE"
    INVITATION = "INVITATION"
    # Mailed to the address an email change left: puts it back and locks the intruder out.
    EMAIL_CHANGE_UNDO = "EMAIL_CHANGE_UNDO"


class OneTimeToken(TimestampedModel):
    """A random, single-use, expiring secret mailed to someone (stored as a SHA-256 digest)."""

    id = fields.BigIntField(primary_key=True)
    purpose = fields.CharEnumField(TokenPurpose, max_length=32)
    token_hash = fields.CharField(max_length=64, unique=True)
    user = fields.ForeignKeyField(
        "models.User", related_name="one_time_tokens", null=True, on_delete=fields.CASCADE
    )
    # The address the token proves (the new address for an email change, the one it left
    # for an undo).
    email = fields.CharField(max_length=254)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "one_time_token"
        indexes = (("user_id", "purpose"),)


class SignInOutcome(StrEnum):
    WRONG_PASSWORD = "WRONG_PASSWORD"  # checked, and wrong
    LOCKED_OUT = "LOCKED_OUT"  # refused unchecked: too many failures (noted once per lock)


class SignInStep(StrEnum):
    SIGN_IN = "SIGN_IN"  # tokenCreate
    PASSWORD_CONFIRMATION = "PASSWORD_CONFIRMATION"  # asked again by a signed-in device


class SignInAttempt(Model):
    """A failed sign-in to a user's account, or a client locked out of it: the history
    the user reads (`mySignInAttempts`). Attempts on addresses that match no user are not
    kept (only logged, hashed). Purged after `CARNET_SIGN_IN_ATTEMPT_RETENTION_DAYS`."""

    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField(
        "models.User", related_name="sign_in_attempts", on_delete=fields.CASCADE
    )
    outcome = fields.CharEnumField(SignInOutcome, max_length=16)
    step = fields.CharEnumField(SignInStep, max_length=24)
    ip_address = fields.CharField(max_length=64, default="")
    device = fields.CharField(max_length=255, default="")
    # For LOCKED_OUT: when that client may try again (unless the owner signs in first).
    locked_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sign_in_attempt"
        indexes = (("user_id", "id"), ("created_at",))
