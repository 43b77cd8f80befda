"""Static segments' members: a frozen list of contacts, made from the contacts list's
search and filter at one moment or from chosen ids, then changed only by
`segmentMembersAdd` / `segmentMembersRemove` (at most MAX_IDS_PER_CALL ids a call)."""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet

from carnet.i18n import N_
from models.segments import Segment, SegmentKind, SegmentMember
from resolvers.common import audit
from resolvers.common.actor import Actor
from resolvers.common.errors import FieldPath, UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.contacts import search as contact_search
from resolvers.contacts.search import ContactFilter

MAX_IDS_PER_CALL = 500


def check_count(contact_ids: Sequence[object], field: FieldPath) -> None:
    """Before anything is looked up: the list is not longer than a call takes."""
    if len(contact_ids) > MAX_IDS_PER_CALL:
        raise UserErrors.single(
            UserErrorCode.TOO_LONG,
            field,
            N_("At most {max} contacts at a time: use a bulk operation for more."),
            max=MAX_IDS_PER_CALL,
        )


def member_ids(segment: Segment) -> QuerySet:
    return SegmentMember.filter(segment_id=segment.id).values("contact_id")


async def freeze(actor: Actor, segment: Segment, filters: ContactFilter) -> None:
    """The contacts matching now become the members (inside the caller's transaction)."""
    matching = await contact_search.matching(actor, filters)
    pks = await matching.values_list("id", flat=True)
    await insert(segment, pks)


async def insert(segment: Segment, pks: Sequence[int]) -> None:
    if pks:
        await SegmentMember.bulk_create(
            [SegmentMember(segment_id=segment.id, contact_id=pk) for pk in dict.fromkeys(pks)],
            ignore_conflicts=True,
            batch_size=1000,
        )


async def _static(actor: Actor, segment_id: int | None) -> Segment:
    from resolvers.segments.segments import locked

    segment = await locked(actor, segment_id, ("input", "id"))
    if segment.kind is not SegmentKind.STATIC:
        raise UserErrors.single(
            UserErrorCode.INVALID,
            ("input", "id"),
            N_("Only a static segment has members to add or remove."),
        )
    return segment


async def add(actor: Actor, segment_id: int | None, contact_ids: list[int]) -> Segment:
    """Adds those not yet members; adding a member again changes nothing."""
    async with unit_of_work():
        segment = await _static(actor, segment_id)
        wanted = list(dict.fromkeys(contact_ids))
        present = (
            set(
                await SegmentMember.filter(
                    segment_id=segment.id, contact_id__in=wanted
                ).values_list("contact_id", flat=True)
            )
            if wanted
            else set()
        )
        new = [pk for pk in wanted if pk not in present]
        await insert(segment, new)
        await _record(actor, segment, "segment.members_add", len(new))
    return segment


async def remove(actor: Actor, segment_id: int | None, contact_ids: list[int]) -> Segment:
    """Removes those that are members; the others are ignored."""
    async with unit_of_work():
        segment = await _static(actor, segment_id)
        removed = 0
        if contact_ids:
            removed = await SegmentMember.filter(
                segment_id=segment.id, contact_id__in=list(set(contact_ids))
            ).delete()
        await _record(actor, segment, "segment.members_remove", removed)
    return segment


async def _record(actor: Actor, segment: Segment, event: str, changed: int) -> None:
    await audit.record(
        event,
        actor=actor.user,
        meta=actor.meta,
        organization_id=actor.organization_id,
        target=("Segment", segment.id),
        after={"count": changed},
    )


def members_only(segment: Segment) -> Subquery:
    return Subquery(member_ids(segment))
