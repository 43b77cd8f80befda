"""Team billing (issue 16): the billing account teams are billed through, its cycle and
stored payment method, and the charges the renewal cron and mid-cycle changes make.

Money moves in the ledger (models/billing.py): each `TeamCharge` has one ledger invoice
on the billing account's client account, and is paid by the ledger's card payment. A
charge's `key` (unique per billing account) is what makes the cron idempotent: one
renewal per period, one proration per seat, period and seat type.
"""

from enum import StrEnum

from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

from models.base import TimestampedModel


class BillingInterval(StrEnum):
    MONTHLY = "MONTHLY"
    ANNUAL = "ANNUAL"


class TeamChargeKind(StrEnum):
    RENEWAL = "RENEWAL"  # every paid seat, on the billing date
    PRORATION = "PRORATION"  # a seat started (or upgraded) mid-cycle, for the rest of it


class TeamChargeStatus(StrEnum):
    PENDING = "PENDING"  # invoiced, the card not yet (successfully) charged
    PAID = "PAID"
    FAILED = "FAILED"  # every retry declined: the seats lose access after the grace period


class TeamBillingAccount(TimestampedModel):
    """What one bill covers: one team, or several grouped by staff (billing.write)."""

    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="team_billing_accounts", on_delete=fields.CASCADE
    )
    # The ledger's account its invoices are written to (primary: the first team's owner).
    account = fields.OneToOneField(
        "models.ClientAccount", related_name="team_billing", on_delete=fields.RESTRICT
    )
    interval = fields.CharEnumField(BillingInterval, max_length=8)
    anchor_date = fields.DateField()  # the first billing date; later ones fall on its day
    # A payment provider's token (Stripe `tok_…`/`pm_…`): no card data is ever stored.
    payment_method = fields.CharField(max_length=200, default="")
    past_due_since = fields.DatetimeField(null=True)
    # After the last retry failed: when the seats lose access (the grace period's end).
    access_ends_at = fields.DatetimeField(null=True)

    class Meta:
        table = "team_billing_account"
        indexes = (("organization_id",),)


class TeamBilling(TimestampedModel):
    """A team's place in a billing account."""

    id = fields.BigIntField(primary_key=True)
    team = fields.OneToOneField("models.Team", related_name="billing", on_delete=fields.CASCADE)
    billing_account = fields.ForeignKeyField(
        "models.TeamBillingAccount", related_name="teams", on_delete=fields.RESTRICT
    )

    class Meta:
        table = "team_billing"
        indexes = (("billing_account_id",),)


class TeamCharge(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    billing_account = fields.ForeignKeyField(
        "models.TeamBillingAccount", related_name="charges", on_delete=fields.RESTRICT
    )
    kind = fields.CharEnumField(TeamChargeKind, max_length=10)
    # "renewal:2027-01-05", "seat:12:2027-01-05:UNLIMITED"
    key = fields.CharField(max_length=100)
    period_start = fields.DateField()
    period_end = fields.DateField()  # exclusive: the next billing date
    invoice = fields.ForeignKeyField(
        "models.Invoice", related_name="team_charges", null=True, on_delete=fields.NO_ACTION
    )
    amount = fields.BigIntField(default=0)  # the invoice's total
    currency = fields.CharField(max_length=3)
    status = fields.CharEnumField(TeamChargeStatus, max_length=8, default=TeamChargeStatus.PENDING)
    attempts = fields.IntField(default=0)  # declined tries so far
    next_attempt_at = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=200, default="")
    paid_at = fields.DatetimeField(null=True)

    class Meta:
        table = "team_billing_charge"
        constraints = (
            UniqueConstraint(fields=("billing_account_id", "key"), name="team_charge_key"),
        )
        indexes = (("billing_account_id", "period_start"), ("status", "next_attempt_at"))


class TeamChargeItem(TimestampedModel):
    """One seat on a charge: the invoice's line, and the team's section it belongs to."""

    id = fields.BigIntField(primary_key=True)
    charge = fields.ForeignKeyField(
        "models.TeamCharge", related_name="items", on_delete=fields.CASCADE
    )
    team = fields.ForeignKeyField(
        "models.Team", related_name="charge_items", on_delete=fields.NO_ACTION
    )
    seat = fields.ForeignKeyField(
        "models.Seat", related_name="charge_items", on_delete=fields.NO_ACTION
    )
    seat_type = fields.CharField(max_length=16)
    period_start = fields.DateField()
    amount = fields.BigIntField()
    line = fields.ForeignKeyField(
        "models.InvoiceLine", related_name="team_items", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "team_billing_item"
        indexes = (("seat_id", "period_start"), ("charge_id",))
