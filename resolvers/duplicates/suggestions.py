"""Duplicate contacts: finding the likely pairs to review, listing and dismissing them.

Finding: same email, same phone, or same birth date with names within a small edit
distance. The pairs are stored (`DuplicateSuggestion`) and kept current: every change to a
contact's email, phone, names, birth date or archived state recomputes that contact's pairs
in its own transaction (`refresh_suggestions`: a few indexed queries, whatever the size of
the address book), and a bulk load recomputes them all (`refresh_all_suggestions`). Listing
is then a keyset page over an indexed table, at a million contacts as at a hundred. Staff
can dismiss a pair ("not duplicates"); it stays dismissed while it still matches.

Merging is resolvers/duplicates/merge.py.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from itertools import combinations
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Count

from models.contacts import Contact, ContactKind
from models.duplicates import DuplicateSuggestion
from resolvers.common import audit
from resolvers.common.actor import Actor
from resolvers.common.errors import (
    NotFound,
)
from resolvers.common.pagination import Page, paginate
from resolvers.common.sql import one_of
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.contacts.records import fold

MAX_NAME_DISTANCE = 2
# Within one email, phone or birth date, only the first contacts (by id) are paired: a
# placeholder address shared by hundreds would otherwise flood the list with pairs.
MAX_GROUP_SIZE = 50
MAX_BIRTH_DATE_GROUP = 500
# What the suggestions compare: a change to any of these recomputes the contact's pairs.
COMPARED_FIELDS = {"kind", "email", "phone", "birth_date", "first_name", "last_name"}


class DuplicateReason(StrEnum):
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    NAME_AND_BIRTH_DATE = "NAME_AND_BIRTH_DATE"


@dataclass
class DuplicatePair:
    first: Contact  # the older (smaller id) of the two
    second: Contact
    reasons: list[DuplicateReason]
    suggestion: DuplicateSuggestion


def comparable_name(first_name: str, last_name: str) -> str:
    """ "first last" without accents, case, hyphens or apostrophes: "Jean-Éric" → "jeaneric"."""
    return " ".join(re.sub(r"[^\w ]|_", "", fold(f"{first_name} {last_name}")).split())


def levenshtein(a: str, b: str, limit: int) -> int:
    """The edit distance, or `limit + 1` as soon as it is known to exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def similar_names(a: str, b: str) -> bool:
    # Short names allow fewer edits: "al li" and "bo li" are not the same person.
    if not a or not b:
        return False
    limit = min(MAX_NAME_DISTANCE, max(len(a), len(b)) // 4)
    return levenshtein(a, b, limit) <= limit


@dataclass
class _Candidate:
    id: int
    kind: ContactKind
    email: str | None
    phone: str | None
    birth_date: date | None
    first_name: str
    last_name: str

    @functools.cached_property
    def name(self) -> str:
        """The comparable name: only compared within a birth date, so made when asked."""
        return comparable_name(self.first_name, self.last_name)


_CANDIDATE_FIELDS = ("id", "kind", "email", "phone", "birth_date", "first_name", "last_name")


def _candidate(row: tuple) -> _Candidate:
    return _Candidate(*row)


def _shares_a_segment(a: str, b: str, limit: int) -> bool:
    """Whether `a`, cut in `limit + 1` pieces, has a piece found as is in `b`: true of any
    two strings within `limit` edits (an edit touches at most one piece), and cheap, so
    it filters the pairs worth an exact edit distance."""
    pieces = limit + 1
    size = max(1, len(a) // pieces)
    return any(a[i * size : (i + 1) * size if i < pieces - 1 else None] in b for i in range(pieces))


def _similar(a: _Candidate, b: _Candidate) -> bool:
    if not a.name or not b.name:
        return False
    limit = min(MAX_NAME_DISTANCE, max(len(a.name), len(b.name)) // 4)
    return _shares_a_segment(a.name, b.name, limit) and similar_names(a.name, b.name)


_KEYS = (
    (DuplicateReason.EMAIL, MAX_GROUP_SIZE, lambda c: c.email and (c.kind, c.email)),
    (DuplicateReason.PHONE, MAX_GROUP_SIZE, lambda c: c.phone and (c.kind, c.phone)),
    (
        DuplicateReason.NAME_AND_BIRTH_DATE,
        MAX_BIRTH_DATE_GROUP,
        lambda c: c.kind is ContactKind.PERSON and c.birth_date,
    ),
)


def _pairs_among(
    candidates: list[_Candidate],
    targets: set[int] | None = None,
    reasons: Sequence[DuplicateReason] = tuple(DuplicateReason),
) -> dict[tuple[int, int], list[DuplicateReason]]:
    """The suggested pairs (smaller id first) among `candidates`, with their reasons; only
    pairs with a member in `targets` when it is given. Within one email, phone or birth
    date only the first contacts by id are paired: a placeholder address shared by hundreds
    would otherwise flood the list."""
    found: dict[tuple[int, int], list[DuplicateReason]] = defaultdict(list)
    ordered = sorted(candidates, key=lambda c: c.id)
    for reason, limit, key in _KEYS:
        if reason not in reasons:
            continue
        groups: dict[Any, list[_Candidate]] = defaultdict(list)
        for candidate in ordered:
            value = key(candidate)
            if value:
                groups[value].append(candidate)
        for members in groups.values():
            for a, b in combinations(members[:limit], 2):
                if targets is not None and a.id not in targets and b.id not in targets:
                    continue
                if reason is DuplicateReason.NAME_AND_BIRTH_DATE and not _similar(a, b):
                    continue
                found[(a.id, b.id)].append(reason)
    return found


async def _save_suggestions(
    organization_id: int,
    pairs: dict[tuple[int, int], list[DuplicateReason]],
    existing: list[DuplicateSuggestion],
) -> None:
    """Makes the stored suggestions among `existing`'s scope equal `pairs`: stale ones go,
    changed reasons are updated, new pairs added. Dismissals stay while a pair still matches."""
    kept: set[tuple[int, int]] = set()
    stale = []
    for row in existing:
        pair = (row.older_id, row.newer_id)
        reasons = [reason.value for reason in pairs.get(pair, [])]
        if not reasons:
            stale.append(row.id)
            continue
        kept.add(pair)
        if row.reasons != reasons:
            await DuplicateSuggestion.filter(id=row.id).update(reasons=reasons, updated_at=now())
    if stale:
        await DuplicateSuggestion.filter(id__in=stale).delete()
    new = [
        DuplicateSuggestion(
            organization_id=organization_id,
            older_id=older,
            newer_id=newer,
            reasons=[reason.value for reason in reasons],
        )
        for (older, newer), reasons in sorted(pairs.items())
        if (older, newer) not in kept
    ]
    if new:
        # Two writers refreshing the same pair at once: the second one's row is dropped.
        await DuplicateSuggestion.bulk_create(new, batch_size=1000, ignore_conflicts=True)


async def refresh_suggestions(
    organization_id: int, contact_ids: Sequence[int], known: Sequence[Contact] = ()
) -> None:
    """Recomputes the suggested pairs involving these contacts (just created, edited,
    archived, restored or merged): a few indexed queries whatever the address book's size.
    Called in the transaction of the change. `known`: these contacts as just saved, when
    the caller holds them all (an import chunk), not read back."""
    targets = set(contact_ids)
    if not targets:
        return
    # Archived contacts are left out here, not in the queries: with `archived_at` in them,
    # PostgreSQL may scan every live contact of the organization by name instead of using
    # the id or value index (it does while its statistics lag behind a table an import is
    # filling), a cost growing with the book. For the same reason, one query per condition
    # below rather than one ORed query.
    everyone = Contact.filter(organization_id=organization_id)
    fields = (*_CANDIDATE_FIELDS, "archived_at")
    if known and {contact.id for contact in known} == targets:
        read = [
            (contact.id, ContactKind(contact.kind), *(getattr(contact, n) for n in fields[2:]))
            for contact in known
        ]
    else:
        read = await everyone.filter(one_of("id", targets)).values_list(*fields)
    rows = [_candidate(row[:-1]) for row in read if row[-1] is None]
    emails = {c.email for c in rows if c.email}
    phones = {c.phone for c in rows if c.phone}
    dates = {c.birth_date for c in rows if c.birth_date and c.kind is ContactKind.PERSON}
    conditions = [one_of("email", emails)] if emails else []
    conditions += [one_of("phone", phones)] if phones else []
    conditions += [Q(kind=ContactKind.PERSON, birth_date__in=dates)] if dates else []
    candidates = rows
    if conditions:
        # The targets are read already: only the other contacts sharing a value are
        # fetched (none, mostly, for an import's new rows), not every target once more.
        found = {c.id: c for c in rows}
        others = everyone.exclude(one_of("id", targets))
        for condition in conditions:
            for row in await others.filter(condition).values_list(*fields):
                if row[-1] is None:
                    found[row[0]] = _candidate(row[:-1])
        candidates = list(found.values())
    existing = await DuplicateSuggestion.filter(
        one_of("older_id", targets) | one_of("newer_id", targets),
        organization_id=organization_id,
    )
    await _save_suggestions(organization_id, _pairs_among(candidates, targets), existing)


async def refresh_all_suggestions(organization_id: int, batch_size: int = 10_000) -> int:
    """Recomputes every suggestion of the organization (after a bulk load): email and phone
    pairs from a GROUP BY of the shared values, name and birth date pairs by streaming the
    people in birth-date order. Returns the number of suggestions."""
    mine = Contact.filter(organization_id=organization_id, archived_at__isnull=True)
    pairs: dict[tuple[int, int], list[DuplicateReason]] = defaultdict(list)

    def add(found: dict[tuple[int, int], list[DuplicateReason]]) -> None:
        for pair, reasons in found.items():
            pairs[pair].extend(reasons)

    for reason, column in ((DuplicateReason.EMAIL, "email"), (DuplicateReason.PHONE, "phone")):
        shared = list(
            await mine.filter(**{f"{column}__isnull": False})
            .annotate(count=Count("id"))
            .group_by(column)
            .filter(count__gt=1)
            .values_list(column, flat=True)
        )
        for start in range(0, len(shared), 1000):
            values = shared[start : start + 1000]
            found = await mine.filter(**{f"{column}__in": values}).values_list(*_CANDIDATE_FIELDS)
            add(_pairs_among([_candidate(row) for row in found], reasons=[reason]))

    people = mine.filter(kind=ContactKind.PERSON, birth_date__isnull=False)
    day: date | None = None
    while True:
        batch = people.filter(birth_date__gte=day) if day else people
        # Whole days at a time: a day's people are compared together.
        days = list(
            await batch.order_by("birth_date")
            .limit(batch_size)
            .values_list("birth_date", flat=True)
        )
        if not days:
            break
        last = days[-1]
        window = batch.filter(birth_date__lte=last) if len(days) == batch_size else batch
        found = await window.values_list(*_CANDIDATE_FIELDS)
        add(
            _pairs_among(
                [_candidate(row) for row in found], reasons=[DuplicateReason.NAME_AND_BIRTH_DATE]
            )
        )
        if len(days) < batch_size:
            break
        day = last + timedelta(days=1)

    ordered = {
        pair: sorted(set(reasons), key=list(DuplicateReason).index)
        for pair, reasons in pairs.items()
    }
    async with unit_of_work():
        existing = await DuplicateSuggestion.filter(organization_id=organization_id)
        await _save_suggestions(organization_id, ordered, existing)
    return len(ordered)


async def duplicates(
    actor: Actor,
    first: int | None = None,
    after: str | None = None,
    dismissed: bool = False,
) -> Page:
    """A page of suggested pairs (or of the dismissed ones), oldest pair first."""
    suggestions = DuplicateSuggestion.filter(
        organization_id=actor.organization_id, dismissed_at__isnull=not dismissed
    )
    page = await paginate(
        suggestions.select_related("older", "newer"),
        first=first,
        after=after,
        order=("older_id", "newer_id"),
    )
    page.items = [
        DuplicatePair(row.older, row.newer, [DuplicateReason(r) for r in row.reasons], row)
        for row in page.items
    ]
    return page


async def dismiss(
    actor: Actor, first_id: int | None, second_id: int | None, dismissed: bool = True
) -> DuplicatePair:
    """Marks a suggested pair as not duplicates (it leaves the list but stays visible with
    `dismissed: true`), or brings it back. A pair that is not suggested is NOT_FOUND."""
    path = ("input", "second_id")
    if first_id is None or second_id is None or first_id == second_id:
        raise NotFound(path)
    older, newer = sorted((first_id, second_id))
    async with unit_of_work():
        row = (
            await DuplicateSuggestion.filter(
                organization_id=actor.organization_id, older_id=older, newer_id=newer
            )
            .select_for_update()
            .first()
        )
        if row is None:
            raise NotFound(path)
        if (row.dismissed_at is not None) != dismissed:
            row.dismissed_at = now() if dismissed else None
            row.dismissed_by_id = actor.user.id if dismissed else None
            await row.save(update_fields=["dismissed_at", "dismissed_by_id", "updated_at"])
            await audit.record(
                "contact.duplicate.dismiss" if dismissed else "contact.duplicate.restore",
                actor=actor.user,
                meta=actor.meta,
                organization_id=actor.organization_id,
                target=("Contact", older),
                after={"contact_ids": [older, newer], "reasons": row.reasons},
            )
    await row.fetch_related("older", "newer")
    return DuplicatePair(row.older, row.newer, [DuplicateReason(r) for r in row.reasons], row)
