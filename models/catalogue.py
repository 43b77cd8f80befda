"""What an organization sells and what its clients hold: plans with their prices (a base
price per interval, and group prices), subscriptions of account members, catalogue items
(activities with bookable slots, merchandise, passes, memberships) with prices per plan or
group, group booking quotas, bookings and purchases. Money is integer minor units with an
ISO currency. Invoices and payments live in models/billing.py (the ledger), not here.
"""

from enum import StrEnum

from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

from models.base import TimestampedModel


class PriceInterval(StrEnum):
    ONE_OFF = "ONE_OFF"
    MONTHLY = "MONTHLY"
    ANNUAL = "ANNUAL"


class SubscriptionStatus(StrEnum):
    TRIAL = "TRIAL"
    ACTIVE = "ACTIVE"
    PAST_DUE = "PAST_DUE"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"


# The statuses that make a contact a subscriber (the contact book's `isSubscriber`).
LIVE_SUBSCRIPTION = (
    SubscriptionStatus.TRIAL,
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.PAST_DUE,
)


class ItemKind(StrEnum):
    ACTIVITY = "ACTIVITY"
    MERCHANDISE = "MERCHANDISE"
    PASS = "PASS"
    MEMBERSHIP = "MEMBERSHIP"


class PassKind(StrEnum):
    SINGLE = "SINGLE"
    FAMILY = "FAMILY"  # one purchase covers every member of the account


class QuotaPeriod(StrEnum):
    WEEK = "WEEK"
    MONTH = "MONTH"


class HoldingStatus(StrEnum):
    """A booking's or a purchase's: canceled ones stay, listed as cancellations."""

    ACTIVE = "ACTIVE"
    CANCELED = "CANCELED"


class Plan(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="plans", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100)
    currency = fields.CharField(max_length=3)
    archived_at = fields.DatetimeField(null=True)

    class Meta:
        table = "plan"
        indexes = (("organization_id", "name"),)


class PlanPrice(TimestampedModel):
    """The plan's base price for one interval: what a contact pays when no group of theirs
    has a lower price."""

    id = fields.BigIntField(primary_key=True)
    plan = fields.ForeignKeyField("models.Plan", related_name="prices", on_delete=fields.CASCADE)
    interval = fields.CharEnumField(PriceInterval, max_length=8)
    amount = fields.BigIntField()

    class Meta:
        table = "plan_price"
        constraints = (
            UniqueConstraint(fields=("plan_id", "interval"), name="plan_price_interval"),
        )


class PlanGroupPrice(TimestampedModel):
    """A group's price for a plan and interval (deleting the group deletes its prices)."""

    id = fields.BigIntField(primary_key=True)
    plan = fields.ForeignKeyField(
        "models.Plan", related_name="group_prices", on_delete=fields.CASCADE
    )
    group = fields.ForeignKeyField(
        "models.Group", related_name="plan_prices", on_delete=fields.CASCADE
    )
    interval = fields.CharEnumField(PriceInterval, max_length=8)
    amount = fields.BigIntField()

    class Meta:
        table = "plan_group_price"
        constraints = (
            UniqueConstraint(
                fields=("plan_id", "group_id", "interval"), name="plan_group_price_unique"
            ),
        )
        indexes = (("group_id",),)


class Subscription(TimestampedModel):
    """One account member's subscription to a plan. `contact` is the member's contact,
    kept here so that "is this contact a subscriber" is one indexed lookup."""

    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="subscriptions", on_delete=fields.CASCADE
    )
    plan = fields.ForeignKeyField(
        "models.Plan", related_name="subscriptions", on_delete=fields.RESTRICT
    )
    member = fields.ForeignKeyField(
        "models.AccountContact", related_name="subscriptions", on_delete=fields.CASCADE
    )
    contact = fields.ForeignKeyField(
        "models.Contact", related_name="subscriptions", on_delete=fields.CASCADE
    )
    interval = fields.CharEnumField(PriceInterval, max_length=8)
    status = fields.CharEnumField(SubscriptionStatus, max_length=8)
    current_period_start = fields.DatetimeField()
    current_period_end = fields.DatetimeField()
    # The price at subscription time (the best-price rule), what each period charges.
    unit_amount = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    canceled_at = fields.DatetimeField(null=True)
    created_by = fields.ForeignKeyField(
        "models.User", related_name="subscriptions_created", null=True, on_delete=fields.SET_NULL
    )
    # The invoice for its first period, when it was created ACTIVE.
    invoice = fields.ForeignKeyField(
        "models.Invoice", related_name="subscriptions", null=True, on_delete=fields.NO_ACTION
    )
    # Lifecycle (resolvers/catalogue/renewals.py): end at the period's end rather than renew.
    cancel_at_period_end = fields.BooleanField(default=False)
    # A card source the renewals charge (the provider's token); empty: invoices stay OPEN.
    payment_source = fields.CharField(max_length=200, default="")
    # The invoice of the current period while unpaid, and when it is due: past it the
    # subscription is PAST_DUE, and past the grace that follows, EXPIRED.
    due_invoice = fields.ForeignKeyField(
        "models.Invoice", related_name="subscriptions_due", null=True, on_delete=fields.NO_ACTION
    )
    due_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)  # when it became EXPIRED
    # A family subscription covers every MEMBER of `account` (the member's), less those
    # canceled one by one (FamilyCoverCancellation).
    covers_account = fields.BooleanField(default=False)
    account = fields.ForeignKeyField(
        "models.ClientAccount", related_name="subscriptions", null=True, on_delete=fields.CASCADE
    )

    class Meta:
        table = "subscription"
        indexes = (
            ("contact_id", "status"),
            ("member_id",),
            ("organization_id", "id"),
            ("status", "current_period_end"),
            ("status", "due_at"),
            ("account_id", "covers_account"),
        )


class SubscriptionPeriod(TimestampedModel):
    """One renewed period of a subscription, at most once per subscription and start (the
    renewal cron's idempotency), with the price charged and its invoice."""

    id = fields.BigIntField(primary_key=True)
    subscription = fields.ForeignKeyField(
        "models.Subscription", related_name="periods", on_delete=fields.CASCADE
    )
    period_start = fields.DatetimeField()
    period_end = fields.DatetimeField()
    unit_amount = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    invoice = fields.ForeignKeyField(
        "models.Invoice", related_name="subscription_periods", null=True, on_delete=fields.NO_ACTION
    )
    # The renewal's card charge: "" (none asked), PENDING, PAID, DECLINED.
    charge_state = fields.CharField(max_length=10, default="")

    class Meta:
        table = "subscription_period"
        constraints = (
            UniqueConstraint(
                fields=("subscription_id", "period_start"), name="subscription_period_start"
            ),
        )


class FamilyCoverCancellation(TimestampedModel):
    """One member taken off a family pass (a FAMILY purchase) or a family subscription,
    the others still covered; `created_at` is when."""

    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="family_cover_cancellations", on_delete=fields.CASCADE
    )
    purchase = fields.ForeignKeyField(
        "models.Purchase", related_name="member_cancellations", null=True, on_delete=fields.CASCADE
    )
    subscription = fields.ForeignKeyField(
        "models.Subscription",
        related_name="member_cancellations",
        null=True,
        on_delete=fields.CASCADE,
    )
    member = fields.ForeignKeyField(
        "models.AccountContact", related_name="family_cancellations", on_delete=fields.CASCADE
    )
    created_by = fields.ForeignKeyField(
        "models.User",
        related_name="family_cancellations_made",
        null=True,
        on_delete=fields.SET_NULL,
    )

    class Meta:
        table = "family_cover_cancellation"
        constraints = (
            UniqueConstraint(fields=("purchase_id", "member_id"), name="family_cancel_purchase"),
            UniqueConstraint(
                fields=("subscription_id", "member_id"), name="family_cancel_subscription"
            ),
        )
        indexes = (("member_id",),)


class CatalogueItem(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="catalogue_items", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(ItemKind, max_length=12)
    pass_kind = fields.CharEnumField(PassKind, max_length=8, null=True)  # PASS items only
    name = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    amount = fields.BigIntField()  # the base price
    currency = fields.CharField(max_length=3)
    archived_at = fields.DatetimeField(null=True)
    # MEMBERSHIP items: how long the card a purchase makes is valid, from the purchase day.
    membership_months = fields.IntField(default=12)
    # Childcare expenses eligible for Québec's RL-24 (the yearly tax receipts).
    rl24_eligible = fields.BooleanField(default=False)

    class Meta:
        table = "catalogue_item"
        indexes = (("organization_id", "kind", "name"),)


class CatalogueItemPrice(TimestampedModel):
    """An item's price for the subscribers of one plan, or for the members of one group
    (exactly one of the two), in the item's currency."""

    id = fields.BigIntField(primary_key=True)
    item = fields.ForeignKeyField(
        "models.CatalogueItem", related_name="prices", on_delete=fields.CASCADE
    )
    plan = fields.ForeignKeyField(
        "models.Plan", related_name="item_prices", null=True, on_delete=fields.CASCADE
    )
    group = fields.ForeignKeyField(
        "models.Group", related_name="item_prices", null=True, on_delete=fields.CASCADE
    )
    amount = fields.BigIntField()

    class Meta:
        table = "catalogue_item_price"
        constraints = (
            UniqueConstraint(fields=("item_id", "plan_id"), name="catalogue_item_plan_price"),
            UniqueConstraint(fields=("item_id", "group_id"), name="catalogue_item_group_price"),
        )
        indexes = (("group_id",), ("plan_id",))


class CatalogueSlot(TimestampedModel):
    """A bookable time of an ACTIVITY (a court, a class), for at most `capacity` bookings."""

    id = fields.BigIntField(primary_key=True)
    item = fields.ForeignKeyField(
        "models.CatalogueItem", related_name="slots", on_delete=fields.CASCADE
    )
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    capacity = fields.IntField()

    class Meta:
        table = "catalogue_slot"
        indexes = (("item_id", "starts_at"),)


class GroupBookingQuota(TimestampedModel):
    """At most `max_bookings` ACTIVE bookings per period for each member of the group."""

    id = fields.BigIntField(primary_key=True)
    group = fields.ForeignKeyField(
        "models.Group", related_name="booking_quotas", on_delete=fields.CASCADE
    )
    period = fields.CharEnumField(QuotaPeriod, max_length=8)
    max_bookings = fields.IntField()

    class Meta:
        table = "group_booking_quota"
        constraints = (
            UniqueConstraint(fields=("group_id", "period"), name="group_booking_quota_unique"),
        )


class Booking(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    slot = fields.ForeignKeyField(
        "models.CatalogueSlot", related_name="bookings", on_delete=fields.RESTRICT
    )
    member = fields.ForeignKeyField(
        "models.AccountContact", related_name="bookings", on_delete=fields.CASCADE
    )
    contact = fields.ForeignKeyField(
        "models.Contact", related_name="bookings", on_delete=fields.CASCADE
    )
    # The slot's start, copied: quotas count a contact's bookings per period by it.
    starts_at = fields.DatetimeField()
    status = fields.CharEnumField(HoldingStatus, max_length=8, default=HoldingStatus.ACTIVE)
    canceled_at = fields.DatetimeField(null=True)
    created_by = fields.ForeignKeyField(
        "models.User", related_name="bookings_made", null=True, on_delete=fields.SET_NULL
    )
    # The purchase (and so the invoice) that charged it, for an activity with a price.
    purchase = fields.ForeignKeyField(
        "models.Purchase", related_name="bookings", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "booking"
        indexes = (("slot_id", "status"), ("contact_id", "status", "starts_at"), ("member_id",))


class Purchase(TimestampedModel):
    """What a member bought, at the unit price actually charged. A FAMILY pass covers
    every member of the account: `covers_account`."""

    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="purchases", on_delete=fields.CASCADE
    )
    account = fields.ForeignKeyField(
        "models.ClientAccount", related_name="purchases", on_delete=fields.CASCADE
    )
    member = fields.ForeignKeyField(
        "models.AccountContact", related_name="purchases", on_delete=fields.CASCADE
    )
    item = fields.ForeignKeyField(
        "models.CatalogueItem", related_name="purchases", on_delete=fields.RESTRICT
    )
    covers_account = fields.BooleanField(default=False)
    quantity = fields.IntField(default=1)
    unit_amount = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    status = fields.CharEnumField(HoldingStatus, max_length=8, default=HoldingStatus.ACTIVE)
    canceled_at = fields.DatetimeField(null=True)
    created_by = fields.ForeignKeyField(
        "models.User", related_name="purchases_made", null=True, on_delete=fields.SET_NULL
    )
    # The invoice that charged it, made and finalized with the purchase (the ledger's).
    invoice = fields.ForeignKeyField(
        "models.Invoice", related_name="purchases", null=True, on_delete=fields.NO_ACTION
    )
    # The membership card a MEMBERSHIP purchase made (when the organization uses cards).
    card = fields.ForeignKeyField(
        "models.MembershipCard", related_name="purchases", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "purchase"
        indexes = (("member_id",), ("account_id", "covers_account"), ("organization_id", "id"))
