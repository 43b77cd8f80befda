"""`contactsBulkArchive` / `contactsBulkRestore`: archiving or restoring every contact of a
bulk operation's target, one statement per chunk; a contact already in the wanted state is
SKIPPED (ALREADY_ARCHIVED / NOT_ARCHIVED). Each item records `archived_at` before and after,
for undo."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from carnet.i18n import N_
from models.contacts import Contact
from resolvers.common.time import now
from resolvers.contacts.bulk_results import Outcome, changed, changed_since, skipped
from resolvers.duplicates import suggestions as duplicates


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


async def apply(organization_id: int, contact_ids: list[int], archive: bool) -> dict[int, Outcome]:
    rows = dict(
        await Contact.filter(organization_id=organization_id, id__in=contact_ids)
        .select_for_update()
        .values_list("id", "archived_at")
    )
    moment = now()
    results: dict[int, Outcome] = {}
    to_change = []
    for pk in (pk for pk in contact_ids if pk in rows):
        if (rows[pk] is not None) == archive:
            results[pk] = (
                skipped("ALREADY_ARCHIVED", N_("This contact is already archived."))
                if archive
                else skipped("NOT_ARCHIVED", N_("This contact is not archived."))
            )
        else:
            to_change.append(pk)
            results[pk] = changed(
                {"archived_at": _iso(rows[pk])}, {"archived_at": _iso(moment if archive else None)}
            )
    if to_change:
        await Contact.filter(id__in=to_change).update(
            archived_at=moment if archive else None, updated_at=moment
        )
        await duplicates.refresh_suggestions(organization_id, to_change)
    return results


def _same(current: datetime | None, recorded: str | None) -> bool:
    if current is None or recorded is None:
        return current is None and recorded is None
    return current == datetime.fromisoformat(recorded)


async def undo(
    organization_id: int, recorded: dict[int, tuple[dict, dict]]
) -> dict[int, Outcome]:
    """Puts back `archived_at` as it was before, for each contact still as the operation
    left it; the others are SKIPPED with CHANGED_SINCE."""
    rows = dict(
        await Contact.filter(organization_id=organization_id, id__in=list(recorded))
        .select_for_update()
        .values_list("id", "archived_at")
    )
    results: dict[int, Outcome] = {}
    by_value: dict[str | None, list[int]] = defaultdict(list)
    for pk, (before, after) in recorded.items():
        if pk not in rows:
            continue
        if not _same(rows[pk], after.get("archived_at")):
            results[pk] = changed_since()
        else:
            by_value[before.get("archived_at")].append(pk)
            results[pk] = changed(after, before)
    moment = now()
    for value, pks in by_value.items():
        archived_at = datetime.fromisoformat(value) if value else None
        await Contact.filter(id__in=pks).update(archived_at=archived_at, updated_at=moment)
    restored = [pk for pks in by_value.values() for pk in pks]
    if restored:
        await duplicates.refresh_suggestions(organization_id, restored)
    return results
