"""Saved segments: a named `search` + `ContactFilterInput`, evaluated live.

Reading segments needs segments.read, saving them segments.write; a segment's contacts are
the contacts list's (contacts.read), through the same resolver.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from carnet.i18n import N_, translate
from models.segments import Segment, SegmentKind
from resolvers.common.errors import BadUserInput, NotFound, UserErrorCode, UserErrors
from resolvers.common.permissions import Permission
from resolvers.contacts.search import ContactSort
from resolvers.segments import members, segments
from resolvers.segments import problems as segment_problems
from schema import ids
from schema.contact_filters import ContactFilterInput, ContactSortInput, contact_filter
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id, scoped_ids
from schema.types import Connection, Node, SortDirection, model_node

ContactRef = Annotated["ContactType", strawberry.lazy("schema.contacts")]  # noqa: F821

SegmentProblemCodeEnum = strawberry.enum(
    segment_problems.SegmentProblemCode, name="SegmentProblemCode"
)

SegmentKindEnum = strawberry.enum(
    SegmentKind,
    name="SegmentKind",
    description="SAVED: a filter evaluated live. STATIC: a frozen list of contacts.",
)


@strawberry.type(description="Something the saved filter names that was deleted since.")
class SegmentProblem:
    code: SegmentProblemCodeEnum
    message: str
    record_id: strawberry.ID = strawberry.field(description="The global id of what is gone.")


@model_node("Segment", Segment, Permission.SEGMENTS_READ)
class SegmentType(Node):
    name: str
    description: str
    search: str
    kind: SegmentKindEnum
    created_at: datetime
    updated_at: datetime

    @strawberry.field(
        description="The saved filter as stored (snake_case keys, primary keys for ids)."
    )
    def filter(self) -> JSON:
        return self.filters

    @strawberry.field(
        description="What the filter names that was deleted since it was saved; while any, "
        "`contacts` and `count` answer BAD_USER_INPUT."
    )
    async def problems(self, info: strawberry.Info) -> list[SegmentProblem]:
        locale = info.context.locale
        return [
            SegmentProblem(
                code=p.code,
                message=translate(p.message, locale),
                record_id=strawberry.ID(ids.encode(p.type_name, p.pk)),
            )
            for p in await segment_problems.problems(self)
        ]

    @strawberry.field(
        **describe(
            "The contacts matching now, as the `contacts` query lists them.",
            requires(Permission.CONTACTS_READ),
        )
    )
    async def contacts(
        self,
        info: strawberry.Info,
        sort: ContactSortInput | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[ContactRef]:
        sort = sort or ContactSortInput()
        page = await segments.contacts(
            info.context.actor(info),
            self,
            ContactSort(sort.field),
            sort.direction is SortDirection.DESC,
            first=first,
            after=after,
            last=last,
            before=before,
        )
        return Connection.of(page)

    @strawberry.field(
        **describe(
            "How many contacts match now (computed only when asked).",
            requires(Permission.CONTACTS_READ),
        )
    )
    async def count(self, info: strawberry.Info) -> int:
        return await segments.count(info.context.actor(info), self)


@strawberry.input
class SegmentCreateInput:
    organization_id: strawberry.ID
    name: str
    description: str = ""
    search: str = strawberry.field(default="", description="As the contacts query's `search`.")
    filter: ContactFilterInput | None = None
    kind: SegmentKindEnum = strawberry.field(
        default=SegmentKind.SAVED,
        description="STATIC freezes the contacts matching the search and filter now, or "
        "`contactIds` when given.",
    )
    contact_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description=f"A STATIC segment's members, at most {members.MAX_IDS_PER_CALL}.",
    )


@strawberry.input
class SegmentMembersInput:
    id: strawberry.ID
    contact_ids: list[strawberry.ID] = strawberry.field(
        description=f"At most {members.MAX_IDS_PER_CALL}."
    )


@strawberry.input
class SegmentUpdateInput:
    id: strawberry.ID
    name: str | None = None
    description: str | None = None
    search: str | None = None
    filter: ContactFilterInput | None = strawberry.field(
        default=None, description="Replaces the whole filter."
    )


@strawberry.input
class SegmentDeleteInput:
    id: strawberry.ID


@strawberry.type
class SegmentPayload(Payload):
    segment: SegmentType | None = None


@strawberry.type
class SegmentDeletePayload(Payload):
    deleted_segment_id: strawberry.ID | None = None


def _filter(given: ContactFilterInput | None):
    """The input's filter as the contacts query reads it; errors on the input's paths."""
    try:
        return contact_filter(None, given)
    except NotFound as not_found:
        raise NotFound(("input", *not_found.field)) from None
    except BadUserInput as refused:  # a malformed id in the filter
        raise NotFound(("input", "filter")) from refused


@strawberry.type
class SegmentsQuery:
    @strawberry.field(
        **describe(
            "The organization's saved segments, by name.", requires(Permission.SEGMENTS_READ)
        )
    )
    async def segments(
        self,
        info: strawberry.Info,
        organization_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[SegmentType]:
        page = await segments.segments(
            info.context.actor(info), first=first, after=after, last=last, before=before
        )
        return Connection.of(page)

    @strawberry.field(**describe("One saved segment.", requires(Permission.SEGMENTS_READ)))
    async def segment(self, info: strawberry.Info, id: strawberry.ID) -> SegmentType | None:
        pk = await scoped_id(info, id, "Segment", ("id",))
        return await segments.segment(info.context.actor(info), pk)


@strawberry.type
class SegmentsMutation:
    @strawberry.mutation(
        **describe(
            "Saves a search and filter under a name; the filter is checked as the `contacts` "
            "query checks it.",
            requires(Permission.SEGMENTS_WRITE, scope="input.organizationId"),
        )
    )
    async def segment_create(
        self, info: strawberry.Info, input: SegmentCreateInput
    ) -> SegmentPayload:
        contact_ids = None
        if input.contact_ids is not None:
            if input.kind is not SegmentKind.STATIC:
                raise UserErrors.single(
                    UserErrorCode.INVALID,
                    ("input", "contactIds"),
                    N_("Only a static segment is made from a list of contacts."),
                )
            members.check_count(input.contact_ids, ("input", "contactIds"))
            contact_ids = await scoped_ids(
                info, input.contact_ids, "Contact", ("input", "contactIds")
            )
        segment = await segments.create(
            info.context.actor(info),
            input.name,
            input.description,
            input.search,
            _filter(input.filter),
            SegmentKind(input.kind),
            contact_ids,
        )
        return SegmentPayload(segment=segment)

    @strawberry.mutation(
        **describe(
            "Adds contacts to a static segment; members already in stay as they are.",
            requires(Permission.SEGMENTS_WRITE, scope="input.id"),
        )
    )
    async def segment_members_add(
        self, info: strawberry.Info, input: SegmentMembersInput
    ) -> SegmentPayload:
        pk, contact_ids = await _segment_and_contacts(info, input)
        segment = await members.add(info.context.actor(info), pk, contact_ids)
        return SegmentPayload(segment=segment)

    @strawberry.mutation(
        **describe(
            "Removes contacts from a static segment; those not in it are ignored.",
            requires(Permission.SEGMENTS_WRITE, scope="input.id"),
        )
    )
    async def segment_members_remove(
        self, info: strawberry.Info, input: SegmentMembersInput
    ) -> SegmentPayload:
        pk, contact_ids = await _segment_and_contacts(info, input)
        segment = await members.remove(info.context.actor(info), pk, contact_ids)
        return SegmentPayload(segment=segment)

    @strawberry.mutation(
        **describe(
            "Changes a segment: only what is given changes.",
            requires(Permission.SEGMENTS_WRITE, scope="input.id"),
        )
    )
    async def segment_update(
        self, info: strawberry.Info, input: SegmentUpdateInput
    ) -> SegmentPayload:
        pk = await scoped_id(info, input.id, "Segment", ("input", "id"))
        filters = _filter(input.filter) if input.filter is not None else None
        segment = await segments.update(
            info.context.actor(info), pk, input.name, input.description, input.search, filters
        )
        return SegmentPayload(segment=segment)

    @strawberry.mutation(
        **describe("Deletes a saved segment.", requires(Permission.SEGMENTS_WRITE))
    )
    async def segment_delete(
        self, info: strawberry.Info, input: SegmentDeleteInput
    ) -> SegmentDeletePayload:
        pk = await scoped_id(info, input.id, "Segment", ("input", "id"))
        deleted = await segments.delete(info.context.actor(info), pk)
        return SegmentDeletePayload(deleted_segment_id=ids.encode("Segment", deleted))


async def _segment_and_contacts(
    info: strawberry.Info, input: SegmentMembersInput
) -> tuple[int, list[int]]:
    pk = await scoped_id(info, input.id, "Segment", ("input", "id"))
    members.check_count(input.contact_ids, ("input", "contactIds"))
    contact_ids = await scoped_ids(info, input.contact_ids, "Contact", ("input", "contactIds"))
    return pk, contact_ids
