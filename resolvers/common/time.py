"""Clock access in one place, so tests and rules agree on what "now" is."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def now() -> datetime:
    return datetime.now(UTC)


def today_in(timezone: str) -> date:
    return now().astimezone(ZoneInfo(timezone)).date()
