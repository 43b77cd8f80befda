"""Duplicate contacts: the likely pairs to review, and merging several contacts into one.

Finding: same email, same phone, or same birth date with names within a small edit
distance. The pairs are stored (`DuplicateSuggestion`) and kept current: every change to a
contact's email, phone, names, birth date or archived state recomputes that contact's pairs
in its own transaction (`refresh_suggestions`: a few indexed queries, whatever the size of
the address book), and a bulk load recomputes them all (`refresh_all_suggestions`). Listing
is then a keyset page over an indexed table, at a million contacts as at a hundred. Staff
can dismiss a pair ("not duplicates"); it stays dismissed while it still matches.

Merging moves everything onto the survivor, then deletes the others; the audit event keeps
a full snapshot of each merged contact, its groups, affiliations, consent records and
custom-field answers.
"""

from __future__ import annotations

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

from carnet.i18n import N_
from models.affiliations import Affiliation
from models.contacts import ConsentChannel, ConsentRecord, ConsentStatus, Contact, ContactKind
from models.custom_fields import CustomFieldAnswer
from models.duplicates import DuplicateSuggestion
from models.groups import GroupMember
from resolvers.common import audit
from resolvers.common.actor import Actor
from resolvers.common.errors import (
    ErrorCollector,
    NotFound,
    UserErrorCode,
    UserErrors,
)
from resolvers.common.pagination import Page, paginate
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.contacts import consent, links
from resolvers.contacts.records import display_name, fold, jsonable, refresh_derived

MAX_MERGED = 20
MAX_NAME_DISTANCE = 2
# Within one email, phone or birth date, only the first contacts (by id) are paired: a
# placeholder address shared by hundreds would otherwise flood the list with pairs.
MAX_GROUP_SIZE = 50
MAX_BIRTH_DATE_GROUP = 500
# What the suggestions compare: a change to any of these recomputes the contact's pairs.
COMPARED_FIELDS = {"kind", "email", "phone", "birth_date", "first_name", "last_name"}
FILLED_FIELDS = ("first_name", "last_name", "organization_name", "email", "phone", "birth_date")
ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "region", "postal_code", "country")


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
    name: str  # comparable_name


_CANDIDATE_FIELDS = ("id", "kind", "email", "phone", "birth_date", "first_name", "last_name")


def _candidate(row: tuple) -> _Candidate:
    pk, kind, email, phone, birth_date, first_name, last_name = row
    return _Candidate(pk, kind, email, phone, birth_date, comparable_name(first_name, last_name))


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


async def refresh_suggestions(organization_id: int, contact_ids: Sequence[int]) -> None:
    """Recomputes the suggested pairs involving these contacts (just created, edited,
    archived, restored or merged): a few indexed queries whatever the address book's size.
    Called in the transaction of the change."""
    targets = set(contact_ids)
    if not targets:
        return
    mine = Contact.filter(organization_id=organization_id, archived_at__isnull=True)
    rows = [
        _candidate(row) for row in await mine.filter(id__in=targets).values_list(*_CANDIDATE_FIELDS)
    ]
    emails = {c.email for c in rows if c.email}
    phones = {c.phone for c in rows if c.phone}
    dates = {c.birth_date for c in rows if c.birth_date and c.kind is ContactKind.PERSON}
    conditions = [Q(email__in=emails)] if emails else []
    conditions += [Q(phone__in=phones)] if phones else []
    conditions += [Q(kind=ContactKind.PERSON, birth_date__in=dates)] if dates else []
    candidates = rows
    if conditions:
        found = await mine.filter(Q(*conditions, join_type="OR")).values_list(*_CANDIDATE_FIELDS)
        candidates = [_candidate(row) for row in found]
    existing = await DuplicateSuggestion.filter(
        Q(older_id__in=targets) | Q(newer_id__in=targets), organization_id=organization_id
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


# Merging ------------------------------------------------------------------------------


def _check_count(other_ids: Sequence[int | None]) -> None:
    path = ("input", "other_ids")
    if not other_ids:
        raise UserErrors.single(
            UserErrorCode.REQUIRED, path, N_("Choose at least one contact to merge.")
        )
    if len(other_ids) > MAX_MERGED:
        raise UserErrors.single(
            UserErrorCode.INVALID,
            path,
            N_("At most {max} contacts can be merged at a time."),
            max=MAX_MERGED,
        )


async def _locked_contacts(
    actor: Actor, survivor_id: int | None, other_ids: Sequence[int | None]
) -> tuple[Contact, list[Contact]]:
    """The survivor and the others (in the given order), all locked at once in id order,
    so two merges of the same contacts queue rather than deadlock; every bad id is reported."""
    wanted = {pk for pk in (survivor_id, *other_ids) if pk is not None}
    found = {
        c.id: c
        for c in await Contact.filter(organization_id=actor.organization_id, id__in=wanted)
        .order_by("id")
        .select_for_update()
    }
    survivor = found.pop(survivor_id, None) if survivor_id is not None else None
    if survivor is None:
        raise NotFound(("input", "survivor_id"))
    errors = ErrorCollector()
    path = ("input", "other_ids")
    users = {survivor.user_id} - {None}
    for index, pk in enumerate(other_ids):
        other = found.get(pk) if pk is not None else None
        if pk is not None and pk == survivor.id:
            errors.add(
                UserErrorCode.INVALID, (*path, index), N_("A contact cannot be merged into itself.")
            )
        elif other is None:
            errors.add(UserErrorCode.NOT_FOUND, (*path, index), N_("Not found."))
        elif other.kind is not survivor.kind:
            errors.add(
                UserErrorCode.INVALID,
                (*path, index),
                N_("A person cannot be merged with an organization contact."),
            )
        elif other.user_id is not None and users - {other.user_id}:
            errors.add(
                UserErrorCode.INVALID,
                (*path, index),
                N_("These contacts are linked to different users: unlink one first."),
            )
        elif other.user_id is not None:
            users.add(other.user_id)
    errors.raise_if_any()
    return survivor, [found[pk] for pk in dict.fromkeys(other_ids)]  # type: ignore[index]


def _snapshot(contact: Contact) -> dict[str, Any]:
    values = {name: getattr(contact, name) for name in contact._meta.db_fields}
    return jsonable(values)


async def _related_snapshots(contact_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each contact's groups, affiliations (both sides) and consent records, for the log."""
    related: dict[int, dict[str, Any]] = {
        pk: {"group_ids": [], "affiliations": [], "consent_record_ids": [], "custom_fields": {}}
        for pk in contact_ids
    }
    for member in await GroupMember.filter(contact_id__in=contact_ids).order_by("id"):
        related[member.contact_id]["group_ids"].append(member.group_id)
    affiliations = await Affiliation.filter(person_id__in=contact_ids).order_by("id")
    affiliations += await Affiliation.filter(organization_contact_id__in=contact_ids).order_by("id")
    for row in affiliations:
        snapshot = {
            "id": row.id,
            "person_id": row.person_id,
            "organization_contact_id": row.organization_contact_id,
            "role_title": row.role_title,
        }
        for pk in {row.person_id, row.organization_contact_id} & set(contact_ids):
            related[pk]["affiliations"].append(snapshot)
    for record in await ConsentRecord.filter(contact_id__in=contact_ids).order_by("id"):
        related[record.contact_id]["consent_record_ids"].append(record.id)
    for answer in await CustomFieldAnswer.filter(contact_id__in=contact_ids).order_by("id"):
        related[answer.contact_id]["custom_fields"][str(answer.field_id)] = answer.value
    return related


async def _move_group_memberships(survivor: Contact, other_ids: list[int]) -> None:
    taken = set(await GroupMember.filter(contact_id=survivor.id).values_list("group_id", flat=True))
    moved = []
    for member in await GroupMember.filter(contact_id__in=other_ids).order_by("id"):
        if member.group_id not in taken:
            taken.add(member.group_id)
            moved.append(member.id)
    # The memberships left behind duplicate the survivor's; deleting the others drops them.
    if moved:
        await GroupMember.filter(id__in=moved).update(contact_id=survivor.id)


async def _move_custom_field_answers(survivor: Contact, other_ids: list[int]) -> None:
    """Answers to questions the survivor left unanswered move over, from the first of the
    others (in the order given) that answered; the survivor's own answers win."""
    answered = set(
        await CustomFieldAnswer.filter(contact_id=survivor.id).values_list("field_id", flat=True)
    )
    order = {pk: index for index, pk in enumerate(other_ids)}
    candidates = await CustomFieldAnswer.filter(contact_id__in=other_ids)
    moved = []
    for answer in sorted(candidates, key=lambda a: (order[a.contact_id], a.id)):
        if answer.field_id not in answered:
            answered.add(answer.field_id)
            moved.append(answer.id)
    if moved:
        await CustomFieldAnswer.filter(id__in=moved).update(contact_id=survivor.id)


async def _move_affiliations(survivor: Contact, other_ids: list[int]) -> None:
    merged = set(other_ids)

    def onto_survivor(pk: int) -> int:
        return survivor.id if pk in merged else pk

    rows = await Affiliation.filter(person_id=survivor.id)
    rows += await Affiliation.filter(organization_contact_id=survivor.id)
    taken = {(row.person_id, row.organization_contact_id) for row in rows}
    moving = await Affiliation.filter(person_id__in=other_ids).order_by("id")
    moving += await Affiliation.filter(organization_contact_id__in=other_ids).order_by("id")
    for row in sorted({row.id: row for row in moving}.values(), key=lambda row: row.id):
        pair = (onto_survivor(row.person_id), onto_survivor(row.organization_contact_id))
        if pair in taken or pair[0] == pair[1]:
            continue  # a duplicate of one the survivor has: it goes with its contact
        taken.add(pair)
        await Affiliation.filter(id=row.id).update(
            person_id=pair[0], organization_contact_id=pair[1]
        )


async def _merge_consent(actor: Actor, survivor: Contact, others: list[Contact]) -> None:
    """The history moves whole. The current status per channel: a withdrawal on any side
    wins; else the most recently recorded express or unexpired implied consent; else the
    survivor's. A status that changes gets its own record, so the history explains it."""
    everyone = [survivor, *others]
    latest: dict[tuple[int, ConsentChannel, ConsentStatus], Any] = {}
    for record in await ConsentRecord.filter(contact_id__in=[c.id for c in everyone]):
        key = (record.contact_id, record.channel, record.status)
        latest[key] = max(latest.get(key, record.recorded_at), record.recorded_at)
    await ConsentRecord.filter(contact_id__in=[c.id for c in others]).update(contact_id=survivor.id)
    for channel in ConsentChannel:
        chosen = _chosen_consent(everyone, channel, latest)
        if chosen is survivor:
            continue
        status, expires_at = consent.recorded(chosen, channel)
        if (status, expires_at) == consent.recorded(survivor, channel):
            continue
        column = f"{channel.value.lower()}_consent"
        setattr(survivor, column, status)
        setattr(survivor, f"{column}_expires_at", expires_at)
        await ConsentRecord.create(
            contact_id=survivor.id,
            channel=channel,
            status=status,
            source="contact merge",
            proof=f"Merged from {display_name(chosen)} (#{chosen.id})",
            expires_at=expires_at,
            recorded_by=actor.user,
        )


def _chosen_consent(everyone: list[Contact], channel: ConsentChannel, latest) -> Contact:
    for contact in everyone:
        if consent.recorded(contact, channel)[0] is ConsentStatus.WITHDRAWN:
            return contact
    at = now()
    marketable = [c for c in everyone if consent.current(c, channel, at) in consent.MARKETABLE]
    if not marketable:
        return everyone[0]

    def recorded_at(contact: Contact):
        status = consent.recorded(contact, channel)[0]
        return latest.get((contact.id, channel, status), contact.updated_at), -contact.id

    return max(marketable, key=recorded_at)


def _merge_fields(survivor: Contact, others: list[Contact]) -> None:
    """Empty fields are filled from the others, in the order given; the address as a whole."""
    for name in FILLED_FIELDS:
        if not getattr(survivor, name):
            filled = next((getattr(o, name) for o in others if getattr(o, name)), None)
            if filled:
                setattr(survivor, name, filled)
    if not any(getattr(survivor, name) for name in ADDRESS_FIELDS):
        donor = next((o for o in others if any(getattr(o, n) for n in ADDRESS_FIELDS)), None)
        for name in ADDRESS_FIELDS:
            setattr(survivor, name, getattr(donor, name) if donor else getattr(survivor, name))
    if survivor.colour_id is None:
        survivor.colour_id = next((o.colour_id for o in others if o.colour_id), None)
    if survivor.user_id is None:
        survivor.user_id = next((o.user_id for o in others if o.user_id), None)
    activity = [c.last_activity_at for c in (survivor, *others) if c.last_activity_at]
    survivor.last_activity_at = max(activity) if activity else None
    survivor.do_not_contact = any(c.do_not_contact for c in (survivor, *others))
    notes = [survivor.notes] if survivor.notes else []
    for other in others:
        if other.notes:
            notes.append(f"--- {display_name(other)} (#{other.id}) ---\n{other.notes}")
    survivor.notes = "\n\n".join(notes)


async def merge(actor: Actor, survivor_id: int | None, other_ids: Sequence[int | None]) -> Contact:
    """Merges the others into the survivor and deletes them, in one transaction."""
    _check_count(other_ids)
    async with unit_of_work():
        survivor, others = await _locked_contacts(actor, survivor_id, other_ids)
        other_ids_ = [o.id for o in others]
        related = await _related_snapshots([survivor.id, *other_ids_])
        before = {
            "survivor": {**_snapshot(survivor), **related[survivor.id]},
            "merged": [{**_snapshot(o), **related[o.id]} for o in others],
        }
        await _move_group_memberships(survivor, other_ids_)
        await _move_affiliations(survivor, other_ids_)
        await _move_custom_field_answers(survivor, other_ids_)
        await _merge_consent(actor, survivor, others)
        _merge_fields(survivor, others)
        refresh_derived(survivor)
        await survivor.save()
        await Contact.filter(id__in=other_ids_).delete()
        await refresh_suggestions(actor.organization_id, [survivor.id])
        await audit.record(
            "contact.merge",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("Contact", survivor.id),
            before=before,
            after={
                **_snapshot(survivor),
                **(await _related_snapshots([survivor.id]))[survivor.id],
                "merged_ids": other_ids_,
            },
        )
        await links.auto_link(survivor, actor.user, actor.meta)
    return survivor
