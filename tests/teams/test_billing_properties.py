"""Property tests (hypothesis) for billing dates and proration by days (issue 16): the
rounding rule in resolvers/teams/billing_periods.py, whatever the anchor and the day."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from models.team_billing import BillingInterval
from resolvers.teams.billing_periods import (
    billing_date,
    period_containing,
    prorate,
    type_change,
)

anchors = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))
intervals = st.sampled_from(list(BillingInterval))
prices = st.integers(min_value=1, max_value=10**9)
offsets = st.integers(min_value=0, max_value=3000)


@given(anchors, intervals, offsets)
def test_every_day_after_the_anchor_is_in_exactly_one_period(anchor, interval, offset):
    day = anchor + timedelta(days=offset)
    period = period_containing(anchor, interval, day)
    assert period.start <= day < period.end
    # Billing dates fall on the anchor's day, or on the month's last day when shorter.
    following = period.end + timedelta(days=1)
    assert (
        period.start.day == anchor.day
        or following.month != period.end.month
        or (period.start.day < anchor.day)
    )
    assert period_containing(anchor, interval, period.end).start == period.end
    assert period_containing(anchor, interval, anchor - timedelta(days=1)) is None


@given(anchors, intervals, st.integers(0, 200))
def test_billing_dates_keep_the_anchor_day_when_the_month_has_it(anchor, interval, n):
    on = billing_date(anchor, interval, n)
    assert on.day == anchor.day or on.day < anchor.day and (on + timedelta(days=1)).day == 1


@given(prices, anchors, intervals, offsets)
def test_proration_is_the_exact_share_rounded_half_up(price, anchor, interval, offset):
    period = period_containing(anchor, interval, anchor + timedelta(days=offset))
    for start in (
        period.start,
        period.end - timedelta(days=1),
        period.start + (period.end - period.start) / 2,
    ):
        amount = prorate(price, period, start)
        exact = Decimal(price) * (period.end - start).days / period.days
        assert amount == int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        assert 0 <= amount <= price  # 1 cent for 1 day of 31 rounds to 0
    assert prorate(price, period, period.start) == price  # a full period: the price
    assert prorate(price, period, period.end) == 0


@given(prices, anchors, intervals, offsets, st.integers(0, 400), st.integers(0, 400))
def test_a_later_start_never_costs_more(price, anchor, interval, offset, a, b):
    period = period_containing(anchor, interval, anchor + timedelta(days=offset))
    first = period.start + timedelta(days=min(a, b) % period.days)
    second = period.start + timedelta(days=max(a, b) % period.days)
    if first <= second:
        assert prorate(price, period, first) >= prorate(price, period, second)


@given(prices, prices, anchors, intervals, offsets, st.integers(0, 400))
def test_a_downgrade_credits_what_the_upgrade_would_charge(old, new, anchor, interval, offset, d):
    period = period_containing(anchor, interval, anchor + timedelta(days=offset))
    day = min(period.start + timedelta(days=d), period.end - timedelta(days=1))
    change = type_change(old, new, period, day)
    assert change == -type_change(new, old, period, day)  # up then down the same day: 0
    exact = Decimal(new - old) * (period.end - day).days / period.days
    assert abs(change - exact) <= 1  # within a cent of the exact difference
    assert (change > 0) <= (new > old) and (change < 0) <= (new < old)
    assert abs(change) <= abs(new - old)
