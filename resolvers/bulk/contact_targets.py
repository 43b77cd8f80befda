"""A batch action's contacts: a segment (saved or static), chosen ids, or a search and
filter ("select all matching"), resolved to the query the `contacts` list and the segment's
`count` use, scoped to the actor's organization. Errors are on the input's `target` path."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from tortoise.queryset import QuerySet

from carnet.i18n import N_
from models.contacts import Contact
from models.segments import Segment
from resolvers.common.actor import Actor
from resolvers.common.errors import BadUserInput, NotFound, UserErrorCode, UserErrors
from resolvers.contacts import search as contact_search
from resolvers.contacts.search import ContactFilter
from resolvers.contacts.stored_filters import filter_to_json
from resolvers.segments import segments

RECORD_TYPE = "contact"
FIELD = ("input", "target")
# Ids are for a selection made by hand; "everyone matching" is a search and filter.
MAX_CONTACT_IDS = 10_000


@dataclass(frozen=True)
class ContactTarget:
    """Exactly one form is given (the schema checks it)."""

    segment_id: int | None = None
    contact_ids: list[int] | None = None
    filters: ContactFilter | None = None  # its `search` included

    def describe(self) -> dict[str, Any]:
        """How the target was given, stored with the operation for display."""
        if self.segment_id is not None:
            return {"segment_id": self.segment_id}
        if self.contact_ids is not None:
            return {"contact_ids": len(set(self.contact_ids))}
        filters = self.filters or ContactFilter()
        return {
            "search": filters.search or "",
            "filter": filter_to_json(replace(filters, search=None)),
        }


def check_count(contact_ids: list[object]) -> None:
    if len(contact_ids) > MAX_CONTACT_IDS:
        raise UserErrors.single(
            UserErrorCode.TOO_LONG,
            (*FIELD, "contactIds"),
            N_("At most {max} contacts by id: use a segment or a filter for more."),
            max=MAX_CONTACT_IDS,
        )


async def records(actor: Actor, target: ContactTarget) -> QuerySet:
    """The target's contacts now; nothing is read into Python."""
    if target.segment_id is not None:
        return await _segment(actor, target.segment_id)
    if target.contact_ids is not None:
        check_count(target.contact_ids)
        # Chosen by hand: exactly these, archived or not (the action decides what to do).
        return Contact.filter(
            organization_id=actor.organization_id, id__in=list(set(target.contact_ids))
        )
    try:
        return await contact_search.matching(actor, target.filters or ContactFilter())
    except NotFound as not_found:
        raise NotFound((*FIELD, *not_found.field)) from None
    except BadUserInput as refused:
        raise UserErrors.single(
            UserErrorCode.INVALID, (*FIELD, "filter"), refused.message, **refused.params
        ) from None


async def _segment(actor: Actor, segment_id: int) -> QuerySet:
    field = (*FIELD, "segmentId")
    segment = await Segment.get_or_none(id=segment_id, organization_id=actor.organization_id)
    if segment is None:
        raise NotFound(field)
    try:
        return await segments.matching(actor, segment)
    except BadUserInput as refused:
        raise UserErrors.single(
            UserErrorCode.INVALID, field, refused.message, **refused.params
        ) from None
