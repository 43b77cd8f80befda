"""What a saved segment's filter names that was deleted since it was saved.

The filter was checked when saved; a group, colour, custom field or organization contact it
names may be deleted afterwards. Each such id is a problem; a segment with problems answers
BAD_USER_INPUT when its contacts are read (resolvers.segments.segments), never a list
quietly wider or narrower than the one saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from carnet.i18n import N_
from models.colours import Colour
from models.contacts import Contact
from models.custom_fields import CustomField
from models.groups import Group
from models.segments import Segment


class SegmentProblemCode(StrEnum):
    GROUP_DELETED = "GROUP_DELETED"
    COLOUR_DELETED = "COLOUR_DELETED"
    CUSTOM_FIELD_DELETED = "CUSTOM_FIELD_DELETED"
    CONTACT_DELETED = "CONTACT_DELETED"


MESSAGES = {
    SegmentProblemCode.GROUP_DELETED: N_("A group of the filter was deleted."),
    SegmentProblemCode.COLOUR_DELETED: N_("A colour of the filter was deleted."),
    SegmentProblemCode.CUSTOM_FIELD_DELETED: N_("A custom field of the filter was deleted."),
    SegmentProblemCode.CONTACT_DELETED: N_(
        "The organization contact of the filter's affiliation was deleted."
    ),
}


@dataclass(frozen=True)
class SegmentProblem:
    code: SegmentProblemCode
    type_name: str  # the global id's type of the missing record
    pk: int

    @property
    def message(self) -> str:
        return MESSAGES[self.code]


# What the stored filter names: (its key, a list or one id, the model, the problem code).
_NAMED = (
    ("group_ids", Group, "Group", SegmentProblemCode.GROUP_DELETED),
    ("colour_ids", Colour, "Colour", SegmentProblemCode.COLOUR_DELETED),
    ("affiliated_to", Contact, "Contact", SegmentProblemCode.CONTACT_DELETED),
)


async def problems(segment: Segment) -> list[SegmentProblem]:
    """One query per kind of record the filter names, none when it names nothing."""
    stored = segment.filters or {}
    found: list[SegmentProblem] = []
    for key, model, type_name, code in _NAMED:
        value = stored.get(key)
        named = [value] if isinstance(value, int) else [pk for pk in value or [] if pk]
        found += await _missing(segment, model, type_name, code, named)
    field_ids = [c.get("field_id") for c in stored.get("custom_fields") or []]
    found += await _missing(
        segment,
        CustomField,
        "CustomField",
        SegmentProblemCode.CUSTOM_FIELD_DELETED,
        [pk for pk in field_ids if pk],
    )
    return found


async def _missing(
    segment: Segment, model, type_name: str, code: SegmentProblemCode, named: list[int]
) -> list[SegmentProblem]:
    wanted = list(dict.fromkeys(named))
    if not wanted:
        return []
    present = set(
        await model.filter(id__in=wanted, organization_id=segment.organization_id).values_list(
            "id", flat=True
        )
    )
    return [SegmentProblem(code, type_name, pk) for pk in wanted if pk not in present]
