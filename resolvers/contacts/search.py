"""The contacts list: the search box, typed filters, sort orders and keyset pages.

The search box matches `search_text`, folded on write (resolvers.contacts.contacts) the
same way as the words typed here, so "DÈSJARDINS" finds "Dèsjardins" with a plain LIKE on
SQLite and PostgreSQL alike. The LIKE is on the bare column (Tortoise's `contains` wraps it
in a CAST), so that PostgreSQL can use the trigram index `contact_search_trgm` (migration
0006) for terms of three characters or more.

Custom-field conditions are built in resolvers/custom_fields/filters.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pypika_tortoise.terms import Criterion, ValueWrapper
from tortoise.expressions import Q, Subquery
from tortoise.filters import Like, escape_like
from tortoise.queryset import QuerySet

from carnet.i18n import N_
from models.affiliations import Affiliation
from models.colours import Colour
from models.contacts import ConsentChannel, ConsentStatus, Contact, ContactKind
from models.groups import Group, GroupMember
from resolvers.common.actor import Actor
from resolvers.common.errors import BadUserInput, NotFound
from resolvers.common.pagination import DEFAULT_PAGE_SIZE, Page, check_page_size, paginate
from resolvers.common.sql import Where
from resolvers.common.time import now, today_in
from resolvers.contacts.consent import MARKETABLE
from resolvers.contacts.contacts import subscriber_condition, years_before
from resolvers.contacts.records import fold
from resolvers.custom_fields.filters import CustomFieldCondition, by_custom_fields

MAX_SEARCH_TERMS = 5
MAX_SEARCH_LENGTH = 200
MAX_AGE = 150
# Digits with the punctuation people type in phone numbers: "+1 (514) 555-0123".
_PHONE_LIKE = re.compile(r"^\+?[\d\s().\-/]+$")
_MIN_PHONE_DIGITS = 3


def search_terms(text: str) -> list[str]:
    """The folded words a search must all match; phone-like input counts by its digits,
    whatever the spaces, dashes, dots or brackets typed."""
    text = text.strip()[:MAX_SEARCH_LENGTH]
    if _PHONE_LIKE.match(text) and sum(ch.isdigit() for ch in text) >= _MIN_PHONE_DIGITS:
        return [re.sub(r"\D", "", text)]
    terms = []
    for word in fold(text).split():
        if _PHONE_LIKE.match(word) and any(ch.isdigit() for ch in word):
            word = re.sub(r"\D", "", word)
        terms.append(word)
    return terms[:MAX_SEARCH_TERMS]


class GroupMatch(StrEnum):
    ANY = "ANY"  # in at least one of the groups
    ALL = "ALL"  # in every one of them
    NONE = "NONE"  # in none of them


class ContactSort(StrEnum):
    NAME = "NAME"
    CREATED_AT = "CREATED_AT"
    LAST_ACTIVITY = "LAST_ACTIVITY"


@dataclass
class DateRange:
    """Calendar days in the organization's timezone, both ends included."""

    start: date | None = None
    end: date | None = None


@dataclass
class ContactFilter:
    """Every condition given must hold. Ids are primary keys; None stands for an id that did
    not decode as the right type, and is NOT_FOUND like a foreign one."""

    search: str | None = None
    kind: ContactKind | None = None
    colour_ids: list[int | None] | None = None
    group_ids: list[int | None] | None = None
    group_match: GroupMatch = GroupMatch.ANY
    is_user: bool | None = None
    is_subscriber: bool | None = None
    consent_channel: ConsentChannel | None = None
    consent_statuses: list[ConsentStatus] | None = None
    marketing_allowed: ConsentChannel | None = None  # reachable: consent and an address
    age_min: int | None = None
    age_max: int | None = None
    created: DateRange | None = None
    last_activity: DateRange | None = None
    affiliated_to: int | None = None  # an organization contact's pk
    custom_fields: list[CustomFieldCondition] | None = None
    archived: bool = False


async def matching(actor: Actor, filters: ContactFilter) -> QuerySet:
    """The organization's contacts that pass the filter (archived ones only when asked)."""
    qs = Contact.filter(organization_id=actor.organization_id)
    qs = qs.filter(archived_at__isnull=not filters.archived)
    for term in search_terms(filters.search or ""):
        qs = qs.filter(search_condition(term))
    if filters.kind is not None:
        qs = qs.filter(kind=filters.kind)
    if filters.colour_ids is not None:
        await _check_owned(actor, Colour, filters.colour_ids, ("filter", "colour_ids"))
        qs = qs.filter(colour_id__in=filters.colour_ids) if filters.colour_ids else qs
    if filters.group_ids:
        await _check_owned(actor, Group, filters.group_ids, ("filter", "groups", "ids"))
        qs = _in_groups(qs, filters.group_ids, filters.group_match)
    if filters.is_user is not None:
        qs = qs.filter(user_id__isnull=not filters.is_user)
    if filters.is_subscriber is not None:
        qs = qs.filter(subscriber_condition(filters.is_subscriber))
    if filters.consent_channel is not None and filters.consent_statuses:
        qs = qs.filter(consent_condition(filters.consent_channel, filters.consent_statuses))
    if filters.marketing_allowed is not None:
        qs = qs.filter(marketable_condition(ConsentChannel(filters.marketing_allowed)))
    timezone = actor.organization.timezone
    qs = _by_age(qs, filters.age_min, filters.age_max, today_in(timezone))
    if filters.created is not None:
        qs = qs.filter(_within("created_at", filters.created, timezone))
    if filters.last_activity is not None:
        qs = qs.filter(_within("last_activity_at", filters.last_activity, timezone))
    if filters.affiliated_to is not None:
        if not await Contact.exists(
            id=filters.affiliated_to, organization_id=actor.organization_id
        ):
            raise NotFound(("filter", "affiliated_to"))
        people = Affiliation.filter(organization_contact_id=filters.affiliated_to)
        qs = qs.filter(id__in=Subquery(people.values("person_id")))
    if filters.custom_fields:
        qs = await by_custom_fields(actor, qs, filters.custom_fields)
    return qs


def search_condition(term: str) -> Q:
    """`search_text LIKE '%term%'` on the bare column: PostgreSQL's trigram index serves it,
    where Tortoise's `contains` (a CAST around the column) may not."""

    def build(table, dialect: str) -> Criterion:
        column = table["search_text"]
        return Like(column, ValueWrapper(f"%{escape_like(term)}%"))

    return Where(build)


async def _check_owned(actor: Actor, model, pks: list[int | None], field: tuple) -> None:
    wanted = set(pks)
    if None in wanted or (
        wanted
        and await model.filter(id__in=wanted, organization_id=actor.organization_id).count()
        != len(wanted)
    ):
        raise NotFound(field)


def _in_groups(qs: QuerySet, group_ids: list[int], match: GroupMatch) -> QuerySet:
    def members_of(ids: list[int]) -> Subquery:
        return Subquery(GroupMember.filter(group_id__in=ids).values("contact_id"))

    if match is GroupMatch.ANY:
        return qs.filter(id__in=members_of(group_ids))
    if match is GroupMatch.NONE:
        return qs.filter(~Q(id__in=members_of(group_ids)))
    for group_id in dict.fromkeys(group_ids):
        qs = qs.filter(id__in=members_of([group_id]))
    return qs


def consent_condition(channel: ConsentChannel, statuses: list[ConsentStatus]) -> Q:
    """Contacts whose effective consent on `channel` is one of `statuses`: an implied
    consent past its expiry counts as NOT_ASKED (see resolvers.contacts.consent)."""
    column = f"{channel.value.lower()}_consent"
    expires = f"{column}_expires_at"
    moment = now()
    lapsed = Q(**{column: ConsentStatus.IMPLIED, f"{expires}__lte": moment})
    current = Q(**{column: ConsentStatus.IMPLIED}) & (
        Q(**{f"{expires}__isnull": True}) | Q(**{f"{expires}__gt": moment})
    )
    clauses = []
    for status in dict.fromkeys(statuses):
        if status is ConsentStatus.IMPLIED:
            clauses.append(current)
        elif status is ConsentStatus.NOT_ASKED:
            clauses.append(Q(**{column: ConsentStatus.NOT_ASKED}) | lapsed)
        else:
            clauses.append(Q(**{column: status}))
    return Q(*clauses, join_type="OR")


def marketable_condition(channel: ConsentChannel) -> Q:
    """Contacts that can be messaged on `channel` now, as `consent.marketing_allowed` says
    of one: consent in force, an address on that channel, not blocked nor archived."""
    address = "email" if channel is ConsentChannel.EMAIL else "phone"
    return Q(
        consent_condition(channel, list(MARKETABLE)),
        Q(**{f"{address}__isnull": False}),
        Q(**{f"{address}__gt": ""}),
        Q(do_not_contact=False),
        Q(archived_at__isnull=True),
    )


def _by_age(qs: QuerySet, age_min: int | None, age_max: int | None, today: date) -> QuerySet:
    """Ages in whole years on `today`; contacts without a birth date never match."""
    for value in (age_min, age_max):
        if value is not None and not 0 <= value <= MAX_AGE:
            raise BadUserInput(N_("Ages must be between 0 and {max}."), max=MAX_AGE)
    if age_min is not None:
        qs = qs.filter(birth_date__lte=years_before(today, age_min))
    if age_max is not None:
        qs = qs.filter(birth_date__gt=years_before(today, age_max + 1))
    return qs


def _within(column: str, days: DateRange, timezone: str) -> Q:
    zone = ZoneInfo(timezone)

    def midnight(day: date) -> datetime:
        # In UTC, as stored: SQLite compares the ISO text, offsets and all.
        return datetime.combine(day, time.min, zone).astimezone(UTC)

    condition = Q()
    if days.start is not None:
        condition &= Q(**{f"{column}__gte": midnight(days.start)})
    if days.end is not None:
        condition &= Q(**{f"{column}__lt": midnight(days.end + timedelta(days=1))})
    return condition


async def contacts(
    actor: Actor,
    filters: ContactFilter,
    sort: ContactSort,
    descending: bool,
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    within: Subquery | None = None,
) -> Page:
    """`within`: a subquery of contact ids the list is further restricted to."""
    check_page_size(first, last)
    qs = await matching(actor, filters)
    if within is not None:
        qs = qs.filter(id__in=within)
    sign = "-" if descending else ""
    if sort is ContactSort.NAME:
        # A searched list is found through the trigram index, then sorted; walking the name
        # index instead (the planner's bet for a page of 50) reads most of it when the
        # matches sort late. Terms under 3 characters have no trigram to look up.
        indexed_search = any(len(term) >= 3 for term in search_terms(filters.search or ""))
        return await paginate(
            qs,
            order=(f"{sign}sort_name",),
            first=first,
            after=after,
            last=last,
            before=before,
            index_order=not indexed_search,
        )
    if sort is ContactSort.CREATED_AT:
        return await paginate(
            qs, order=(f"{sign}created_at",), first=first, after=after, last=last, before=before
        )
    return await _by_last_activity(qs, descending, first, after, last, before)


# Sorting by last activity: contacts with none (entered in advance, never seen) come
# after the others in either direction. Keyset pages cannot compare NULLs, so the list is
# two segments, each paged on its own key, and a cursor says which segment it is in.
_ACTIVE, _NEVER = "A", "N"


def _split(cursor: str) -> tuple[str, str]:
    segment, _, inner = cursor.partition(".")
    if segment not in (_ACTIVE, _NEVER) or not inner:
        raise BadUserInput(N_("Malformed cursor."))
    return segment, inner


def _joined(qs: QuerySet, parts: list[tuple[str, Page]], has_next: bool, has_previous: bool):
    async def count() -> int:
        return await qs.count()

    return Page(
        items=[item for _, page in parts for item in page.items],
        cursors=[f"{segment}.{c}" for segment, page in parts for c in page.cursors],
        has_next_page=has_next,
        has_previous_page=has_previous,
        count=count,
    )


async def _by_last_activity(
    qs: QuerySet,
    descending: bool,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Page:
    if (before and last is None) or (after and last is not None):
        raise BadUserInput(N_("Pass after with first, or before with last."))
    active = qs.filter(last_activity_at__isnull=False)
    never = qs.filter(last_activity_at__isnull=True)
    active_order = ("-last_activity_at" if descending else "last_activity_at",)
    never_order = ("-id" if descending else "id",)
    if last is None:
        size = first or DEFAULT_PAGE_SIZE
        segment, inner = _split(after) if after else (_ACTIVE, None)
        parts = []
        if segment == _ACTIVE:
            head = await paginate(active, order=active_order, first=size, after=inner)
            parts.append((_ACTIVE, head))
            room = size - len(head.items)
            if head.has_next_page or room == 0:
                more = head.has_next_page or await never.exists()
                return _joined(qs, parts, more, bool(after))
            tail = await paginate(never, order=never_order, first=room)
        else:
            tail = await paginate(never, order=never_order, first=size, after=inner)
        parts.append((_NEVER, tail))
        return _joined(qs, parts, tail.has_next_page, bool(after))
    segment, inner = _split(before) if before else (_NEVER, None)
    parts = []
    if segment == _NEVER:
        tail = await paginate(never, order=never_order, last=last, before=inner)
        parts.append((_NEVER, tail))
        room = last - len(tail.items)
        if tail.has_previous_page or room == 0:
            more = tail.has_previous_page or await active.exists()
            return _joined(qs, parts, bool(before), more)
        head = await paginate(active, order=active_order, last=room)
    else:
        head = await paginate(active, order=active_order, last=last, before=inner)
    parts.insert(0, (_ACTIVE, head))
    return _joined(qs, parts, bool(before), head.has_previous_page)
