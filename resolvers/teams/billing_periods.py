"""Billing dates and proration, pure (no database).

Every billing date falls on the anchor date's day of the month, or on the month's last day
when the month is shorter: anchored on Jan 31, a monthly cycle bills Feb 28 (29 in a leap
year), Mar 31, Apr 30…; anchored on Feb 29, an annual one bills Feb 28 in common years.
Each date is computed from the anchor, never from the previous date, so a short month does
not pull the later ones earlier.

Proration, by days: a seat starting on day `start` of the period [`period.start`,
`period.end`) costs `price × (period.end − start) / (period.end − period.start)` in days,
the start day counted and the next billing date not, rounded half up to the cent (the
minor unit). So a full period costs exactly the price, a seat starting on the last day
costs one day's share, and no prorated amount is ever above the price or below zero.

A paid seat's type changed mid-cycle, on day `day`: the new price prorated from that day
minus the old one prorated from that day (`type_change`), each rounded as above. Above
zero (an upgrade) it is invoiced and charged at once; below zero (a downgrade) it is a
credit carried on the next regular invoice as a negative line. The same rule both ways:
a change and its reverse on the same day cancel to the cent, and the amount is within a
cent of the exact (new − old) × days left ÷ days in the period.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from models.team_billing import BillingInterval


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive: the next billing date

    @property
    def days(self) -> int:
        return (self.end - self.start).days


def _on(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def billing_date(anchor: date, interval: BillingInterval, n: int) -> date:
    """The n-th billing date after the anchor (n = 0: the anchor itself)."""
    if interval is BillingInterval.ANNUAL:
        return _on(anchor.year + n, anchor.month, anchor.day)
    months = anchor.year * 12 + anchor.month - 1 + n
    return _on(months // 12, months % 12 + 1, anchor.day)


def period_containing(anchor: date, interval: BillingInterval, day: date) -> Period | None:
    """The billing period `day` falls in; None before the anchor (nothing billed yet)."""
    if day < anchor:
        return None
    if interval is BillingInterval.ANNUAL:
        n = day.year - anchor.year
    else:
        n = (day.year * 12 + day.month) - (anchor.year * 12 + anchor.month)
    while billing_date(anchor, interval, n) > day:
        n -= 1
    while billing_date(anchor, interval, n + 1) <= day:
        n += 1
    return Period(billing_date(anchor, interval, n), billing_date(anchor, interval, n + 1))


def prorate(price: int, period: Period, start: date) -> int:
    """`price` for the days from `start` to the period's end, rounded half up to the cent."""
    remaining = max(0, min((period.end - start).days, period.days))
    return (2 * price * remaining + period.days) // (2 * period.days)


def type_change(old_price: int, new_price: int, period: Period, day: date) -> int:
    """What changing a seat from `old_price` to `new_price` on `day` costs for the rest of
    the period: above zero charged, below zero credited."""
    return prorate(new_price, period, day) - prorate(old_price, period, day)
