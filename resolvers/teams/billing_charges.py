"""Team billing's charges (see resolvers.teams.billing): a period's invoice and charge,
card attempts under keys made of the charge and its attempt, retries, declines mailed to
the owners, access lost after the grace period and restored once paid."""

from __future__ import annotations

from datetime import datetime, timedelta

from carnet.settings import Settings
from models.billing import Invoice, InvoiceStatus
from models.team_billing import (
    TeamBilling,
    TeamBillingAccount,
    TeamCharge,
    TeamChargeItem,
    TeamChargeKind,
    TeamChargeStatus,
)
from models.teams import PaidBy, Seat, Team
from resolvers.billing import invoices, payments
from resolvers.billing.money import Money
from resolvers.common import audit
from resolvers.common.errors import UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.messaging.email import queue_email
from resolvers.teams.billing import (
    FAILED_TEMPLATE,
    TAX_CODES,
    System,
    billing_now,
)
from resolvers.teams.billing_periods import Period


async def open_charge(
    system: System,
    billing: TeamBillingAccount,
    kind: TeamChargeKind,
    key: str,
    period: Period,
    lines: list[tuple[Seat, int, str]],
    email: bool,
    credits: list[tuple[TeamChargeItem, str]] = (),
) -> TeamCharge:
    charge = await TeamCharge.create(
        billing_account=billing,
        kind=kind,
        key=key,
        period_start=period.start,
        period_end=period.end,
        currency=system.organization.currency,
        next_attempt_at=billing_now(),
        status=TeamChargeStatus.PENDING if lines else TeamChargeStatus.PAID,
    )
    if not lines:
        return charge  # nobody to bill this period: the key is kept all the same
    label = "Team seats" if kind is TeamChargeKind.RENEWAL else "Team seat, prorated"
    memo = f"{label}, {period.start.isoformat()} to {(period.end - timedelta(days=1)).isoformat()}"
    invoice = await invoices.create(system, billing.account_id, memo)
    for _, amount, description in lines:
        await invoices.line_add(
            system, invoice.id, description, 1, amount, system.organization.currency, TAX_CODES
        )
    for item, description in credits:  # downgrades of the last period, as negative lines
        await invoices.line_add(
            system,
            invoice.id,
            description,
            1,
            item.amount,
            system.organization.currency,
            TAX_CODES,
            credit=True,
        )
    invoice = await invoices.finalize(system, invoice.id, email=email)
    ids = list(await invoice.lines.all().order_by("id").values_list("id", flat=True))
    ids, credit_ids = ids[: len(lines)], ids[len(lines) :]
    await TeamChargeItem.bulk_create(
        [
            TeamChargeItem(
                charge=charge,
                team_id=seat.paying_team_id,
                seat=seat,
                seat_type=seat.seat_type.value,
                period_start=period.start,
                amount=amount,
                line_id=line_id,
            )
            for (seat, amount, _), line_id in zip(lines, ids, strict=True)
        ]
        # Each credit carried: an item of this invoice (its section's line), and the
        # credit's own item pointed at the same line (carried: never again).
        + [
            TeamChargeItem(
                charge=charge,
                team_id=item.team_id,
                seat_id=item.seat_id,
                seat_type=item.seat_type,
                period_start=period.start,
                amount=item.amount,
                line_id=line_id,
            )
            for (item, _), line_id in zip(credits, credit_ids, strict=True)
        ]
    )
    for (item, _), line_id in zip(credits, credit_ids, strict=True):
        item.line_id = line_id
        await item.save(update_fields=["line_id", "updated_at"])
    charge.invoice_id, charge.amount = invoice.id, invoice.total
    await charge.save(update_fields=["invoice_id", "amount", "updated_at"])
    await audit.record(
        f"team.billing.{kind.value.lower()}",
        actor=None,
        meta=system.meta,
        organization_id=system.organization_id,
        target=("TeamCharge", charge.id),
        after={"key": key, "invoice_id": invoice.id, "amount": invoice.total},
    )
    return charge


async def collect(system: System, billing_id: int, settings: Settings) -> None:
    """Charges the card for every charge due; a decline schedules the next try."""
    due = await TeamCharge.filter(
        billing_account_id=billing_id,
        status=TeamChargeStatus.PENDING,
        next_attempt_at__lte=billing_now(),
    ).order_by("id")
    for charge in due:
        await _attempt(system, charge.id, settings)


async def _attempt(system: System, charge_id: int, settings: Settings) -> None:
    charge = await TeamCharge.get(id=charge_id).select_related("billing_account")
    billing = charge.billing_account
    invoice = await Invoice.get(id=charge.invoice_id)
    if invoice.status is InvoiceStatus.OPEN and billing.payment_method:
        left = invoices.remaining(invoice)
        try:
            await payments.charge(
                system,
                invoice.id,
                Money(left, invoice.currency),
                billing.payment_method,
                f"team-charge-{charge.id}-{charge.attempts}",
            )
        except UserErrors as refused:
            if (await Invoice.get(id=charge.invoice_id)).status is InvoiceStatus.PAID:
                # Paid meanwhile (another run of this account's billing got there first).
                await _paid(system, charge.id)
            else:
                await _declined(system, charge.id, refused.errors[0].code.value, settings)
            return
        invoice = await Invoice.get(id=charge.invoice_id)
    if invoice.status is InvoiceStatus.OPEN:  # no payment method stored
        await _declined(system, charge.id, "no_payment_method", settings)
    else:
        await _paid(system, charge.id)


async def _paid(system: System, charge_id: int) -> None:
    async with unit_of_work():
        charge = await TeamCharge.filter(id=charge_id).select_for_update().get()
        if charge.status is TeamChargeStatus.PAID:
            return
        before = charge.status
        charge.status, charge.paid_at, charge.next_attempt_at = (
            TeamChargeStatus.PAID,
            billing_now(),
            None,
        )
        await charge.save()
        await audit.record(
            "team.billing.charge_paid",
            actor=None,
            meta=system.meta,
            organization_id=system.organization_id,
            target=("TeamCharge", charge.id),
            before={"status": before.value, "attempts": charge.attempts},
            after={"status": charge.status.value},
        )
        unpaid = await TeamCharge.filter(
            billing_account_id=charge.billing_account_id,
            status__in=[TeamChargeStatus.PENDING, TeamChargeStatus.FAILED],
        ).exists()
        if not unpaid:
            await _restore(system, charge.billing_account_id)


async def _restore(system: System, billing_id: int) -> None:
    billing = await TeamBillingAccount.filter(id=billing_id).select_for_update().get()
    if billing.past_due_since is None and billing.access_ends_at is None:
        return
    billing.past_due_since = billing.access_ends_at = None
    await billing.save()
    await _set_seat_access_end(billing_id, None)
    await audit.record(
        "team.billing.recovered",
        actor=None,
        meta=system.meta,
        organization_id=system.organization_id,
        target=("TeamBillingAccount", billing_id),
        after={"past_due": False},
    )


async def _declined(system: System, charge_id: int, reason: str, settings: Settings) -> None:
    schedule = settings.team_billing_retry_days
    async with unit_of_work():
        charge = await TeamCharge.filter(id=charge_id).select_for_update().get()
        if charge.status is not TeamChargeStatus.PENDING:
            return
        billing = (
            await TeamBillingAccount.filter(id=charge.billing_account_id).select_for_update().get()
        )
        at = billing_now()
        charge.attempts += 1
        charge.last_error = reason[:200]
        if charge.attempts <= len(schedule):
            charge.next_attempt_at = at + timedelta(days=schedule[charge.attempts - 1])
        else:
            charge.status, charge.next_attempt_at = TeamChargeStatus.FAILED, None
            # A retry with a new card declined again does not extend the grace period.
            billing.access_ends_at = billing.access_ends_at or at + timedelta(
                days=settings.team_billing_grace_days
            )
            await _set_seat_access_end(billing.id, billing.access_ends_at)
        await charge.save()
        billing.past_due_since = billing.past_due_since or at
        await billing.save()
        await audit.record(
            "team.billing.charge_failed",
            actor=None,
            meta=system.meta,
            organization_id=system.organization_id,
            target=("TeamCharge", charge.id),
            after={
                "attempts": charge.attempts,
                "reason": charge.last_error,
                "status": charge.status.value,
                "next_attempt_at": _iso(charge.next_attempt_at),
                "access_ends_at": _iso(billing.access_ends_at),
            },
        )
        await _mail_owners(system, billing, charge)


async def _set_seat_access_end(billing_id: int, ends_at: datetime | None) -> None:
    """Sets (or, with None, clears) when the seats the account's teams pay lose access.
    Only team-paid seats: a member pays their own seat with no paying team."""
    team_ids = await TeamBilling.filter(billing_account_id=billing_id).values_list(
        "team_id", flat=True
    )
    await Seat.filter(paying_team_id__in=list(team_ids), paid_by=PaidBy.TEAM).update(
        billing_access_ends_at=ends_at
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


async def _mail_owners(system: System, billing: TeamBillingAccount, charge: TeamCharge) -> None:
    teams = await Team.filter(billing__billing_account_id=billing.id).select_related("owner")
    invoice = await Invoice.get(id=charge.invoice_id)
    for owner in {team.owner_id: team.owner for team in teams}.values():
        await queue_email(
            template=FAILED_TEMPLATE,
            to=owner.email,
            locale=owner.locale.value,
            organization_id=system.organization_id,
            name=owner.first_name or owner.email,
            organization=system.organization.name,
            number=invoice.number,
            attempts=charge.attempts,
            next_attempt=_iso(charge.next_attempt_at) or "",
            access_ends=_iso(billing.access_ends_at) or "",
        )
