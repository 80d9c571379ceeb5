"""Periods: parsing what the user wrote, cutting the data's dates, and refusing in sentences."""

from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from basket_segments.analytics.errors import DataError
from basket_segments.analytics.periods import (
    PeriodRule,
    cut_periods,
    parse_date,
    parse_window,
)

DATES = pd.Series(pd.date_range("2011-02-01 08:00", "2011-06-30 17:00", freq="7h"))


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("month", "month"),
        ("QUARTER", "quarter"),
        ("30d", "30d"),
        ("1 day", "1d"),
        ("14days", "14d"),
    ],
)
def test_windows_are_read_whatever_the_case_and_spelling(text, window):
    assert parse_window(text) == window


@pytest.mark.parametrize("text", ["week", "0d", "-3d", "d", "30", "1.5d", ""])
def test_other_windows_are_refused_in_a_sentence(text):
    with pytest.raises(DataError, match=rf"^Periods are month, quarter .* not '{text}'\.$"):
        parse_window(text)


@pytest.mark.parametrize("text", ["01/04/2011", "2011-02-30", "April", "2011-13-01", ""])
def test_unparseable_split_dates_are_refused_in_a_sentence(text):
    with pytest.raises(DataError, match=rf"^The split date must be a date such as .* not '{text}'"):
        parse_date(text)


@pytest.mark.parametrize("window", ["month", "quarter", "1d", "30d", "45d"])
def test_windows_cover_every_date_once_in_order(window):
    periods = cut_periods(DATES, PeriodRule(window=window))
    edges = pd.DatetimeIndex(periods.edges)
    assert edges.is_monotonic_increasing and len(edges) == len(periods) + 1
    numbers = periods.number_of(DATES)
    assert (numbers >= 0).all() and (np.diff(numbers) >= 0).all()
    starts, ends = edges[numbers], edges[numbers + 1]
    assert ((starts <= DATES.to_numpy()) & (DATES.to_numpy() < ends)).all()
    assert set(numbers) == set(range(len(periods)))  # every window holds some of these dates


def test_months_and_quarters_are_calendar_windows_named_by_month_and_quarter():
    months = cut_periods(DATES, PeriodRule(window="month"))
    assert months.labels == ("2011-02", "2011-03", "2011-04", "2011-05", "2011-06")
    assert months.edges[1] == pd.Timestamp("2011-03-01")
    quarters = cut_periods(DATES, PeriodRule(window="quarter"))
    assert quarters.labels == ("2011-Q1", "2011-Q2")
    assert quarters.edges == tuple(pd.to_datetime(["2011-01-01", "2011-04-01", "2011-07-01"]))


def test_days_run_from_the_first_date_and_are_named_by_first_and_last_day():
    periods = cut_periods(DATES, PeriodRule(window="30d"))
    assert periods.labels[0] == "2011-02-01 to 2011-03-02"
    assert all(b - a == pd.Timedelta(days=30) for a, b in pairwise(periods.edges))


def test_a_split_date_makes_two_periods_up_to_the_last_day():
    periods = cut_periods(DATES, PeriodRule(split_date=pd.Timestamp("2011-04-01")))
    assert periods.labels == ("2011-02-01 to 2011-03-31", "2011-04-01 to 2011-06-30")
    moment = pd.Series([pd.Timestamp("2011-03-31 23:59"), pd.Timestamp("2011-04-01 00:00")])
    assert periods.number_of(moment).tolist() == [0, 1]


def test_the_default_split_is_the_nearest_month_start_to_the_middle():
    assert cut_periods(DATES, PeriodRule()).edges[1] == pd.Timestamp("2011-05-01")
    early = DATES[DATES.lt(pd.Timestamp("2011-04-10"))]  # Feb 1 to Apr 9: middle Mar 6
    assert cut_periods(early, PeriodRule()).edges[1] == pd.Timestamp("2011-03-01")
    december = pd.Series(pd.to_datetime(["2010-12-01 09:00", "2010-12-09 18:00"]))
    assert cut_periods(december, PeriodRule()).edges[1] == pd.Timestamp("2010-12-05")


@pytest.mark.parametrize("split", ["2011-01-15", "2011-02-01", "2011-07-01", "2012-01-01"])
def test_a_split_date_outside_the_data_is_refused_in_a_sentence(split):
    with pytest.raises(DataError, match=rf"^The split date {split} is outside the data, whose "):
        cut_periods(DATES, PeriodRule(split_date=pd.Timestamp(split)))


def test_the_last_day_can_be_a_period_of_its_own():
    periods = cut_periods(DATES, PeriodRule(split_date=pd.Timestamp("2011-06-30")))
    assert periods.labels[1] == "2011-06-30 to 2011-06-30"


def test_a_reference_outside_the_periods_and_missing_dates_are_refused():
    with pytest.raises(DataError, match="The reference period must be one of the 2 periods"):
        cut_periods(DATES, PeriodRule(window="quarter", reference=2))
    with pytest.raises(DataError, match="no purchase dates"):
        cut_periods(pd.Series([pd.NaT, pd.NaT]), PeriodRule())
