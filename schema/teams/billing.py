"""Team billing (issue 16): `team { billing { … } }` for the team's owner and staff with
billing.read; its settings (owner or billing.write) and grouping teams on one bill
(billing.write)."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from models.billing import Invoice
from models.team_billing import (
    BillingInterval,
    TeamBillingAccount,
    TeamCharge,
    TeamChargeKind,
    TeamChargeStatus,
)
from models.teams import Team
from resolvers.billing import invoices as ledger_invoices
from resolvers.common.permissions import Permission, Relationship
from resolvers.teams import billing
from schema import ids
from schema.billing.types import InvoiceStatusEnum, Money, money
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id

BillingIntervalEnum = strawberry.enum(BillingInterval, name="BillingInterval")
TeamChargeKindEnum = strawberry.enum(
    TeamChargeKind,
    name="TeamChargeKind",
    description="RENEWAL: every paid seat on the billing date. PRORATION: a seat started or "
    "upgraded mid-cycle, for the rest of the period, on its own invoice.",
)
TeamChargeStatusEnum = strawberry.enum(
    TeamChargeStatus,
    name="TeamChargeStatus",
    description="PENDING: invoiced, not yet paid (retried on a schedule after a decline). "
    "FAILED: every retry declined; the seats lose access after the grace period.",
)


@strawberry.type(description="One seat on a team invoice, or on the upcoming one.")
class TeamInvoiceLine:
    description: str
    amount: Money = strawberry.field(description="Before taxes.")
    team_id: strawberry.ID = strawberry.field(description="The team whose section it is in.")
    team_name: str


@strawberry.type(description="A team's part of a bill covering several teams.")
class TeamInvoiceSection:
    team_id: strawberry.ID
    team_name: str
    lines: list[TeamInvoiceLine]
    subtotal: Money


@strawberry.type(description="One charge of the bill: its ledger invoice and how it went.")
class TeamInvoice:
    id: strawberry.ID = strawberry.field(description="The ledger invoice's global id.")
    number: int | None
    status: InvoiceStatusEnum
    kind: TeamChargeKindEnum
    charge_status: TeamChargeStatusEnum
    attempts: int = strawberry.field(description="Declined tries so far.")
    next_attempt_at: datetime | None
    last_error: str
    period_start: date
    period_end: date = strawberry.field(description="The next billing date (excluded).")
    total: Money
    amount_due: Money
    sections: list[TeamInvoiceSection]


@strawberry.type(description="The next regular invoice, as it stands now.")
class TeamUpcomingInvoice:
    date: date
    subtotal: Money
    amount: Money = strawberry.field(description="The total, taxes included.")
    lines: list[TeamInvoiceLine]


def _line(team: Team, description: str, amount: int, currency: str) -> TeamInvoiceLine:
    return TeamInvoiceLine(
        description=description,
        amount=money(amount, currency),
        team_id=ids.encode("Team", team.id),
        team_name=team.name,
    )


def _invoice(charge: TeamCharge) -> TeamInvoice:
    invoice: Invoice = charge.invoice
    sections: dict[int, TeamInvoiceSection] = {}
    for item in sorted(charge.items, key=lambda i: i.id):
        section = sections.get(item.team_id)
        if section is None:
            section = sections[item.team_id] = TeamInvoiceSection(
                team_id=ids.encode("Team", item.team_id),
                team_name=item.team.name,
                lines=[],
                subtotal=money(0, charge.currency),
            )
        description = item.line.description if item.line else ""
        section.lines.append(_line(item.team, description, item.amount, charge.currency))
        section.subtotal = money(section.subtotal.amount + item.amount, charge.currency)
    return TeamInvoice(
        id=ids.encode("Invoice", invoice.id),
        number=invoice.number,
        status=invoice.status,
        kind=charge.kind,
        charge_status=charge.status,
        attempts=charge.attempts,
        next_attempt_at=charge.next_attempt_at,
        last_error=charge.last_error,
        period_start=charge.period_start,
        period_end=charge.period_end,
        total=money(invoice.total, invoice.currency),
        amount_due=money(ledger_invoices.remaining(invoice), invoice.currency),
        sections=list(sections.values()),
    )


@strawberry.type(name="TeamBilling", description="How a team is billed, and its invoices.")
class TeamBillingObject:
    account: strawberry.Private[TeamBillingAccount]
    interval: BillingIntervalEnum
    anchor_date: date = strawberry.field(description="The first billing date.")
    payment_method: str | None = strawberry.field(
        description="The payment provider's token for the stored card (never card data)."
    )
    past_due_since: datetime | None = strawberry.field(
        description="Since when a charge is unpaid after a decline."
    )
    access_ends_at: datetime | None = strawberry.field(
        description="Set after the last retry failed: the seats lose access then."
    )

    @strawberry.field(description="The teams on this bill (several when staff grouped them).")
    async def teams(self) -> list[str]:
        rows = await Team.filter(billing__billing_account_id=self.account.id).order_by("name")
        return [team.name for team in rows]

    @strawberry.field(description="The bill's invoices, newest first (at most 100).")
    async def invoices(self) -> list[TeamInvoice]:
        charges = (
            await TeamCharge.filter(billing_account_id=self.account.id, invoice_id__not_isnull=True)
            .select_related("invoice")
            .prefetch_related("items", "items__team", "items__line")
            .order_by("-id")
            .limit(100)
        )
        return [_invoice(charge) for charge in charges]

    @strawberry.field(description="The next regular invoice: every seat paid on that date.")
    async def upcoming_invoice(self) -> TeamUpcomingInvoice | None:
        found = await billing.upcoming(self.account)
        if found is None:
            return None
        return TeamUpcomingInvoice(
            date=found.date,
            subtotal=money(found.subtotal, found.currency),
            amount=money(found.total, found.currency),
            lines=[_line(team, text, amount, found.currency) for team, text, amount in found.lines],
        )


def billing_object(account: TeamBillingAccount | None) -> TeamBillingObject | None:
    if account is None:
        return None
    return TeamBillingObject(
        account=account,
        interval=account.interval,
        anchor_date=account.anchor_date,
        payment_method=account.payment_method or None,
        past_due_since=account.past_due_since,
        access_ends_at=account.access_ends_at,
    )


def billing_field():
    """`Team.billing`, added to TeamObject in schema/teams/types.py."""

    async def resolve(root) -> TeamBillingObject | None:
        return billing_object(await billing.billing_account_of(root.id))

    return strawberry.field(
        resolver=resolve,
        **describe(
            "How the team is billed (null until its owner sets it up): cycle, stored "
            "payment method, invoices and the upcoming one.",
            requires(Permission.BILLING_READ, relationship=Relationship.TEAM_OWNER),
        ),
    )


@strawberry.input
class TeamBillingUpdateInput:
    team_id: strawberry.ID
    interval: BillingIntervalEnum | None = strawberry.field(
        default=None, description="MONTHLY unless set; fixed once the first charge is made."
    )
    anchor_date: date | None = strawberry.field(
        default=None,
        description="The first billing date (today unless set, never earlier); later ones "
        "fall on its day of the month, or the month's last day.",
    )
    payment_method: str | None = strawberry.field(
        default=None,
        description="The payment provider's token for the card (e.g. Stripe's tok_… or "
        "pm_…). A new one retries the charges still unpaid.",
    )


@strawberry.input
class TeamBillingGroupInput:
    team_id: strawberry.ID = strawberry.field(description="The team joining the bill.")
    into_team_id: strawberry.ID = strawberry.field(description="A team whose bill it joins.")


@strawberry.type
class TeamBillingPayload(Payload):
    billing: TeamBillingObject | None = None


@strawberry.type
class TeamBillingMutation:
    @strawberry.mutation(
        **describe(
            "Sets up or changes how a team is billed: interval and first billing date "
            "(before the first charge), and the stored payment method.",
            requires(
                Permission.BILLING_WRITE, relationship=Relationship.TEAM_OWNER, scope="input.teamId"
            ),
        )
    )
    async def team_billing_update(
        self, info: strawberry.Info, input: TeamBillingUpdateInput
    ) -> TeamBillingPayload:
        team_pk = await scoped_id(info, input.team_id, "Team", ("input", "teamId"))
        account = await billing.update(
            info.context.principal(info),
            team_pk,
            BillingInterval(input.interval) if input.interval else None,
            input.anchor_date,
            input.payment_method,
        )
        return TeamBillingPayload(billing=billing_object(account))

    @strawberry.mutation(
        **describe(
            "Puts a team on another team's bill (large clinics): one charge and one "
            "invoice, a section per team, on that bill's dates.",
            requires(Permission.BILLING_WRITE, scope="input.teamId"),
        )
    )
    async def team_billing_group(
        self, info: strawberry.Info, input: TeamBillingGroupInput
    ) -> TeamBillingPayload:
        team_pk = await scoped_id(info, input.team_id, "Team", ("input", "teamId"))
        into_pk = await scoped_id(info, input.into_team_id, "Team", ("input", "intoTeamId"))
        account = await billing.group(info.context.principal(info), team_pk, into_pk)
        return TeamBillingPayload(billing=billing_object(account))
