"""Saved segments: a name, a search and a contacts filter, stored as exports store theirs
(resolvers.contacts.stored_filters) and evaluated live with the contacts list's own search,
filter and sort (resolvers.contacts.search) each time the segment's contacts are read.

The filter is checked when saved exactly as the contacts list checks it. What it names may
be deleted later: resolvers.segments.problems reports that, and reading such a segment's
contacts answers BAD_USER_INPUT instead of a list.
"""

from __future__ import annotations

from dataclasses import replace

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet

from carnet.i18n import N_
from models.segments import Segment, SegmentKind
from resolvers.common import audit
from resolvers.common.actor import Actor
from resolvers.common.errors import (
    BadUserInput,
    ErrorCollector,
    FieldPath,
    NotFound,
    UserErrorCode,
    UserErrors,
)
from resolvers.common.locks import locked_row
from resolvers.common.pagination import Page, paginate
from resolvers.common.tasks import unit_of_work
from resolvers.common.validation import clean_text
from resolvers.contacts import search as contact_search
from resolvers.contacts.search import ContactFilter, ContactSort
from resolvers.contacts.stored_filters import check_filter, filter_from_json, filter_to_json
from resolvers.segments import members
from resolvers.segments.problems import problems

NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 2000
SEARCH_MAX_LENGTH = contact_search.MAX_SEARCH_LENGTH


def snapshot(segment: Segment) -> dict[str, object]:
    return {
        "name": segment.name,
        "description": segment.description,
        "search": segment.search,
        "filter": segment.filters,
    }


def stored_filter(segment: Segment) -> ContactFilter:
    """The segment's search and filter, as the contacts list takes them."""
    return replace(filter_from_json(segment.filters), search=segment.search or None)


def _name_taken() -> UserErrors:
    return UserErrors.single(
        UserErrorCode.ALREADY_EXISTS,
        ("input", "name"),
        N_("A segment with this name already exists."),
    )


def _clean(
    errors: ErrorCollector, name: str | None, description: str | None, search: str | None
) -> tuple[str | None, str | None, str | None]:
    if name is not None:
        name = clean_text(
            name, errors, ("input", "name"), max_length=NAME_MAX_LENGTH, required=True
        )
    if description is not None:
        description = clean_text(
            description,
            errors,
            ("input", "description"),
            max_length=DESCRIPTION_MAX_LENGTH,
            multiline=True,
        )
    if search is not None:
        search = clean_text(search, errors, ("input", "search"), max_length=SEARCH_MAX_LENGTH)
    return name, description, search


async def _checked(actor: Actor, search: str, filters: ContactFilter) -> dict:
    """The filter to store (search aside), once checked as the contacts list checks it."""
    await check_filter(actor, replace(filters, search=search or None))
    return filter_to_json(replace(filters, search=None))


async def _check_name_free(actor: Actor, name: str, keep_id: int | None = None) -> None:
    others = Segment.filter(organization_id=actor.organization_id, name_key=name.lower())
    if keep_id is not None:
        others = others.exclude(id=keep_id)
    if await others.exists():
        raise _name_taken()


async def locked(actor: Actor, segment_id: int | None, field: FieldPath) -> Segment:
    return await locked_row(Segment, actor, segment_id, field)


async def create(
    actor: Actor,
    name: str,
    description: str | None,
    search: str | None,
    filters: ContactFilter,
    kind: SegmentKind = SegmentKind.SAVED,
    contact_ids: list[int] | None = None,
) -> Segment:
    """A STATIC segment's members are `contact_ids` when given, else the contacts matching
    the search and filter now."""
    errors = ErrorCollector()
    name, description, search = _clean(errors, name, description or "", search or "")
    errors.raise_if_any()
    stored = await _checked(actor, search, filters)
    try:
        async with unit_of_work():
            await _check_name_free(actor, name)
            segment = await Segment.create(
                organization_id=actor.organization_id,
                name=name,
                name_key=name.lower(),
                description=description,
                search=search,
                filters=stored,
                kind=kind,
                created_by=actor.user,
            )
            if kind is SegmentKind.STATIC and contact_ids is not None:
                await members.insert(segment, contact_ids)
            elif kind is SegmentKind.STATIC:
                await members.freeze(actor, segment, stored_filter(segment))
            await audit.record(
                "segment.create",
                actor=actor.user,
                meta=actor.meta,
                organization_id=actor.organization_id,
                target=("Segment", segment.id),
                after=snapshot(segment),
            )
    except IntegrityError:  # the same name saved concurrently
        raise _name_taken() from None
    return segment


async def update(
    actor: Actor,
    segment_id: int | None,
    name: str | None,
    description: str | None,
    search: str | None,
    filters: ContactFilter | None,
) -> Segment:
    """Only what is given changes; a new filter replaces the whole filter."""
    errors = ErrorCollector()
    name, description, search = _clean(errors, name, description, search)
    errors.raise_if_any()
    try:
        async with unit_of_work():
            segment = await locked(actor, segment_id, ("input", "id"))
            before = snapshot(segment)
            if name is not None and name != segment.name:
                await _check_name_free(actor, name, keep_id=segment.id)
                segment.name, segment.name_key = name, name.lower()
            if description is not None:
                segment.description = description
            if search is not None or filters is not None:
                new_search = segment.search if search is None else search
                kept = filter_from_json(segment.filters) if filters is None else filters
                segment.filters = await _checked(actor, new_search, kept)
                segment.search = new_search
            changed_before, changed_after = audit.changes(before, snapshot(segment))
            if not changed_after:
                return segment
            await segment.save()
            await audit.record(
                "segment.update",
                actor=actor.user,
                meta=actor.meta,
                organization_id=actor.organization_id,
                target=("Segment", segment.id),
                before=changed_before,
                after=changed_after,
            )
    except IntegrityError:
        raise _name_taken() from None
    return segment


async def delete(actor: Actor, segment_id: int | None) -> int:
    async with unit_of_work():
        segment = await locked(actor, segment_id, ("input", "id"))
        deleted_id = segment.id
        await segment.delete()
        await audit.record(
            "segment.delete",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("Segment", deleted_id),
            before=snapshot(segment),
        )
    return deleted_id


async def segment(actor: Actor, segment_id: int | None) -> Segment:
    found = None
    if segment_id is not None:
        found = await Segment.get_or_none(id=segment_id, organization_id=actor.organization_id)
    if found is None:
        raise NotFound(("id",))
    return found


async def segments(actor: Actor, **page_args) -> Page:
    qs = Segment.filter(organization_id=actor.organization_id)
    return await paginate(qs, order=("name_key",), **page_args)


async def _usable_filter(actor: Actor, segment: Segment) -> ContactFilter:
    if await problems(segment):
        raise BadUserInput(
            N_(
                "This segment's filter names a group, colour, custom field or contact deleted "
                "since: see its problems, and save it again."
            )
        )
    return stored_filter(segment)


async def selection(actor: Actor, segment: Segment) -> tuple[ContactFilter, Subquery | None]:
    """What the segment selects, for whatever reads its contacts in bulk (an export): a
    saved segment's search and filter, or a static segment's members (an empty filter
    within them). A saved segment with problems answers BAD_USER_INPUT, as its contacts do."""
    if segment.kind is SegmentKind.STATIC:
        return ContactFilter(), members.members_only(segment)
    return await _usable_filter(actor, segment), None


async def contacts(
    actor: Actor, segment: Segment, sort: ContactSort, descending: bool, **page_args
) -> Page:
    """The segment's contacts now, exactly as the contacts list would give them; a static
    segment's are its members (archived ones left out as the contacts list does)."""
    if segment.kind is SegmentKind.STATIC:
        return await contact_search.contacts(
            actor,
            ContactFilter(),
            sort,
            descending,
            within=members.members_only(segment),
            **page_args,
        )
    filters = await _usable_filter(actor, segment)
    return await contact_search.contacts(actor, filters, sort, descending, **page_args)


async def matching(actor: Actor, segment: Segment) -> QuerySet:
    """The segment's contacts now, unordered (what `count` counts, what a bulk operation on
    the segment freezes); BAD_USER_INPUT while its filter has problems."""
    if segment.kind is SegmentKind.STATIC:
        qs = await contact_search.matching(actor, ContactFilter())
        return qs.filter(id__in=members.members_only(segment))
    filters = await _usable_filter(actor, segment)
    return await contact_search.matching(actor, filters)


async def count(actor: Actor, segment: Segment) -> int:
    return await (await matching(actor, segment)).count()

