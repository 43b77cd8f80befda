"""Bookings of activity slots by account members, and the groups' booking quotas.

A group may cap how many ACTIVE bookings each of its members holds per WEEK (Monday to
Sunday) or MONTH, in the organization's timezone, counted by the booked slots' start. A
contact in several groups with quotas is held to every one of them. Capacity and quotas
are decided under two narrow locks, always taken in this order: the slot's row, then the
member's contact's row, so concurrent bookings never overbook and never deadlock.

Staff book with billing.write; the account's primary books for the account's members
from the client side.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from carnet.i18n import N_, NP_
from models.catalogue import (
    Booking,
    CatalogueItem,
    GroupBookingQuota,
    HoldingStatus,
    QuotaPeriod,
)
from models.contacts import Contact
from models.groups import Group
from models.organizations import Organization
from resolvers.catalogue.common import Caller, audit_event, locked_member
from resolvers.catalogue.items import active_bookings, locked_slot
from resolvers.catalogue.pricing import groups_of
from resolvers.common.actor import Actor
from resolvers.common.errors import NotFound, UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now

MAX_QUOTA = 10_000


def period_bounds(
    moment: datetime, period: QuotaPeriod, timezone: str
) -> tuple[datetime, datetime]:
    """The WEEK (from Monday) or MONTH holding `moment`, in the organization's timezone."""
    local = moment.astimezone(ZoneInfo(timezone))
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period is QuotaPeriod.WEEK:
        start = day - timedelta(days=day.weekday())
        end = start + timedelta(days=7)
    else:
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
    # zoneinfo's arithmetic is on the wall clock: a daylight-saving change within the
    # period moves no bound off midnight. In UTC, as the rows are stored: SQLite compares
    # datetimes as text, so a bound with another offset than the rows' is compared wrong.
    return start.astimezone(UTC), end.astimezone(UTC)


async def quota_set(
    actor: Actor, group_id: int, period: QuotaPeriod, max_bookings: int | None
) -> GroupBookingQuota | None:
    """Sets (or, with None, removes) a group's quota for the period."""
    if max_bookings is not None and not 0 <= max_bookings <= MAX_QUOTA:
        raise UserErrors.single(
            UserErrorCode.INVALID,
            ("input", "max_bookings"),
            N_("The quota is from 0 to {max} bookings."),
            max=MAX_QUOTA,
        )
    async with unit_of_work():
        group = await Group.get_or_none(id=group_id, organization_id=actor.organization_id)
        if group is None:
            raise NotFound(("input", "group_id"))
        quota = await GroupBookingQuota.filter(group_id=group.id, period=period).first()
        before = {"max_bookings": quota.max_bookings if quota else None}
        if max_bookings is None:
            if quota is not None:
                await quota.delete()
            quota = None
        elif quota is None:
            quota = await GroupBookingQuota.create(
                group_id=group.id, period=period, max_bookings=max_bookings
            )
        else:
            quota.max_bookings = max_bookings
            await quota.save(update_fields=["max_bookings", "updated_at"])
        await audit_event(
            actor,
            "group.booking_quota_set",
            ("Group", group.id),
            before=before,
            after={"period": period.value, "max_bookings": max_bookings},
        )
    return quota


async def quotas(actor: Actor) -> list[GroupBookingQuota]:
    return (
        await GroupBookingQuota.filter(group__organization_id=actor.organization_id)
        .select_related("group")
        .order_by("group__name", "period", "id")
    )


async def _check_quotas(contact_id: int, starts_at: datetime, timezone: str) -> None:
    group_ids = await groups_of(contact_id)
    rows = await GroupBookingQuota.filter(group_id__in=group_ids or [0]).select_related("group")
    for quota in sorted(rows, key=lambda q: (q.group.name.casefold(), q.period.value)):
        start, end = period_bounds(starts_at, quota.period, timezone)
        held = await Booking.filter(
            contact_id=contact_id,
            status=HoldingStatus.ACTIVE,
            starts_at__gte=start,
            starts_at__lt=end,
        ).count()
        if held >= quota.max_bookings:
            message = (
                NP_(
                    "The group {group} allows {count} active booking per week.",
                    "The group {group} allows {count} active bookings per week.",
                )
                if quota.period is QuotaPeriod.WEEK
                else NP_(
                    "The group {group} allows {count} active booking per month.",
                    "The group {group} allows {count} active bookings per month.",
                )
            )
            raise UserErrors.single(
                UserErrorCode.QUOTA_EXCEEDED,
                ("input", "slot_id"),
                message,
                group=quota.group.name,
                count=quota.max_bookings,
            )


async def create(caller: Caller, slot_id: int, member_id: int) -> Booking:
    async with unit_of_work():
        slot = await locked_slot(caller, slot_id, ("input", "slot_id"))
        member = await locked_member(caller, member_id, ("input", "member_id"))
        # The contact's row: quotas count across every account the contact is in.
        await Contact.filter(id=member.contact_id).select_for_update().first()
        item = await CatalogueItem.get(id=slot.item_id)
        if item.archived_at is not None or slot.starts_at <= now():
            raise UserErrors.single(
                UserErrorCode.NOT_BOOKABLE,
                ("input", "slot_id"),
                N_("This slot can no longer be booked."),
            )
        if await Booking.filter(
            slot_id=slot.id, contact_id=member.contact_id, status=HoldingStatus.ACTIVE
        ).exists():
            raise UserErrors.single(
                UserErrorCode.ALREADY_EXISTS,
                ("input", "member_id"),
                N_("This member has already booked this slot."),
            )
        if await active_bookings(slot.id) >= slot.capacity:
            raise UserErrors.single(
                UserErrorCode.SLOT_FULL, ("input", "slot_id"), N_("This slot is full.")
            )
        organization = await Organization.get(id=caller.organization_id)
        await _check_quotas(member.contact_id, slot.starts_at, organization.timezone)
        booking = await Booking.create(
            slot_id=slot.id,
            member_id=member.id,
            contact_id=member.contact_id,
            starts_at=slot.starts_at,
            created_by=caller.user,
        )
        after = {"slot_id": slot.id, "member_id": member.id}
        await audit_event(caller, "booking.create", ("Booking", booking.id), after=after)
    return booking


async def cancel(caller: Caller, booking_id: int) -> Booking:
    """The booking stays, CANCELED: it is listed among the member's cancellations and no
    longer counts toward the slot's capacity or any quota."""
    async with unit_of_work():
        booking = (
            await Booking.filter(id=booking_id, slot__item__organization_id=caller.organization_id)
            .select_for_update()
            .first()
        )
        if booking is None:
            raise NotFound(("input", "booking_id"))
        if booking.status is HoldingStatus.CANCELED:
            raise UserErrors.single(
                UserErrorCode.ALREADY_CANCELED,
                ("input", "booking_id"),
                N_("This booking is already canceled."),
            )
        booking.status = HoldingStatus.CANCELED
        booking.canceled_at = now()
        await booking.save(update_fields=["status", "canceled_at", "updated_at"])
        await audit_event(caller, "booking.cancel", ("Booking", booking.id))
    return booking


async def bookings_of(member_ids: list[int]) -> list[list[Booking]]:
    found: dict[int, list[Booking]] = defaultdict(list)
    for row in await Booking.filter(member_id__in=member_ids).order_by("-starts_at", "-id"):
        found[row.member_id].append(row)
    return [found[pk] for pk in member_ids]
