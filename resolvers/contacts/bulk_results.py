"""What a contact batch action did to one contact (one deleted since gets no outcome: the
engine reports it NOT_FOUND): the item's status, reason and the values
before and after (undo restores `before` where the record still shows `after`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from carnet.i18n import N_
from models.bulk import BulkItemStatus
from resolvers.bulk.actions import RecordResult

SUCCEEDED, SKIPPED, FAILED = "SUCCEEDED", "SKIPPED", "FAILED"


@dataclass(frozen=True)
class Outcome:
    status: str
    reason_code: str = ""
    message: str = ""  # an English msgid, translated when read
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


def changed(before: dict[str, Any], after: dict[str, Any]) -> Outcome:
    return Outcome(SUCCEEDED, before=before, after=after)


def skipped(reason_code: str, message: str) -> Outcome:
    return Outcome(SKIPPED, reason_code, message)


def failed(reason_code: str, message: str) -> Outcome:
    return Outcome(FAILED, reason_code, message)


def changed_since() -> Outcome:
    return skipped("CHANGED_SINCE", N_("Changed since the operation: left as it is now."))


def results(outcomes: dict[int, Outcome]) -> list[RecordResult]:
    """The engine's results, one per record with an outcome."""
    return [
        RecordResult(
            record_id=pk,
            status=BulkItemStatus(outcome.status),
            reason_code=outcome.reason_code,
            message=outcome.message,
            before=outcome.before,
            after=outcome.after,
        )
        for pk, outcome in outcomes.items()
    ]
