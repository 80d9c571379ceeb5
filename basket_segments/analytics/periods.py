"""Cut a span of dates into periods: two at a split date, or calendar windows.

Segments over time compare the customers of one period with those of others
(``analytics.over_time``). A ``PeriodRule`` says how to cut (what the user
asked for, before any data is read); ``cut_periods`` applies it to the data's
dates and refuses, in a sentence, a split date outside them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from basket_segments.analytics.errors import DataError

#: Calendar windows by name; a number of days is written ``30d``.
WINDOWS = ("month", "quarter")
DAYS = re.compile(r"^([1-9][0-9]{0,3})\s*d(ays?)?$")
DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class PeriodRule:
    """How to cut the data's dates: ``window`` (``month``, ``quarter`` or ``Nd``), else two
    periods at ``split_date`` (None: the middle of the dates, rounded to a month start).
    ``reference``: the period segments are fitted on, by position (0: the first)."""

    window: str | None = None
    split_date: pd.Timestamp | None = None
    reference: int = 0


@dataclass(frozen=True)
class Periods:
    """Consecutive periods: period ``i`` holds the dates from ``edges[i]`` up to, not
    including, ``edges[i + 1]``; ``labels`` name them in tables and files.

    >>> periods = Periods((pd.Timestamp("2011-02-01"), pd.Timestamp("2011-04-01"),
    ...                    pd.Timestamp("2011-07-01")), ("A", "B"))
    >>> dates = pd.Series([pd.Timestamp("2011-03-31 23:00"), pd.Timestamp("2011-04-01")])
    >>> periods.number_of(dates).tolist()
    [0, 1]
    """

    edges: tuple[pd.Timestamp, ...]
    labels: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.labels)

    def number_of(self, dates: pd.Series) -> np.ndarray:
        """Each date's period number; -1 outside every period."""
        values = dates.to_numpy(dtype="datetime64[ns]")
        edges = np.array(self.edges, dtype="datetime64[ns]")
        numbers = np.searchsorted(edges, values, side="right") - 1
        return np.where((numbers >= 0) & (numbers < len(self)), numbers, -1)


def parse_window(text: str) -> str:
    """``--periods``: ``month``, ``quarter`` or a number of days such as ``30d``.

    >>> parse_window(" Month"), parse_window("30d"), parse_window("7 days")
    ('month', '30d', '7d')
    """
    value = str(text).strip().lower()
    if value in WINDOWS:
        return value
    days = DAYS.match(value)
    if days:
        return f"{int(days.group(1))}d"
    raise DataError(f"Periods are month, quarter or a number of days such as 30d, not '{text}'.")


def parse_date(text: str, what: str = "The split date") -> pd.Timestamp:
    """A date written year first (``2011-04-01``), refused in a sentence otherwise.

    >>> parse_date("2011-04-01")
    Timestamp('2011-04-01 00:00:00')
    """
    try:
        if not re.match(r"^\d{4}-\d{1,2}-\d{1,2}$", str(text).strip()):
            raise ValueError(text)
        return pd.Timestamp(str(text).strip())
    except ValueError:
        raise DataError(f"{what} must be a date such as 2011-04-01, not '{text}'.") from None


def cut_periods(dates: pd.Series, rule: PeriodRule) -> Periods:
    """The periods ``rule`` makes of the span of ``dates`` (missing dates ignored).

    >>> dates = pd.Series(pd.to_datetime(["2011-02-01 08:00", "2011-06-30 17:00"]))
    >>> cut_periods(dates, PeriodRule()).labels
    ('2011-02-01 to 2011-04-30', '2011-05-01 to 2011-06-30')
    >>> cut_periods(dates, PeriodRule(window="quarter")).labels
    ('2011-Q1', '2011-Q2')
    """
    first, last = _span(dates)
    if rule.window is None:
        split = _middle(first, last) if rule.split_date is None else rule.split_date
        periods = _split(first, last, split)
    else:
        periods = _windows(first, last, parse_window(rule.window))
    if not 0 <= rule.reference < len(periods):
        raise DataError(
            f"The reference period must be one of the {len(periods)} periods, numbered from 1."
        )
    return periods


def _span(dates: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first and last day of ``dates``, refused when there are none."""
    known = dates.dropna()
    if known.empty:
        raise DataError("The data has no purchase dates, so it cannot be cut into periods.")
    return known.min().normalize(), known.max().normalize()


def _middle(first: pd.Timestamp, last: pd.Timestamp) -> pd.Timestamp:
    """The middle of the span, rounded to the nearest month start; the middle day itself
    when that start would leave a period empty (data of less than a month or so).

    >>> _middle(pd.Timestamp("2011-02-01"), pd.Timestamp("2011-06-30"))
    Timestamp('2011-05-01 00:00:00')
    >>> _middle(pd.Timestamp("2010-12-01"), pd.Timestamp("2010-12-09"))
    Timestamp('2010-12-05 00:00:00')
    """
    middle = first + (last + DAY - first) / 2
    start = middle.to_period("M").to_timestamp()
    nearest = min((start, start + pd.offsets.MonthBegin()), key=lambda day: abs(day - middle))
    return nearest if first < nearest <= last else middle.normalize()


def _split(first: pd.Timestamp, last: pd.Timestamp, split: pd.Timestamp) -> Periods:
    """Two periods: the days before ``split``, and ``split`` to the last."""
    split = pd.Timestamp(split).normalize()
    if not first < split <= last:
        raise DataError(
            f"The split date {split:%Y-%m-%d} is outside the data, whose purchases run from "
            f"{first:%Y-%m-%d} to {last:%Y-%m-%d}; choose a date after the first day and "
            "up to the last."
        )
    return Periods(
        (first, split, last + DAY), (_span_label(first, split), _span_label(split, last + DAY))
    )


def _windows(first: pd.Timestamp, last: pd.Timestamp, window: str) -> Periods:
    """Calendar months or quarters, or runs of N days from the first date."""
    if window in WINDOWS:
        frequency = "M" if window == "month" else "Q"
        spans = pd.period_range(first.to_period(frequency), last.to_period(frequency))
        edges = [span.start_time for span in spans] + [spans[-1].end_time.normalize() + DAY]
        labels = [_window_label(span) for span in spans]
        return Periods(tuple(edges), tuple(labels))
    days = pd.Timedelta(days=int(window[:-1]))
    count = (last - first) // days + 1
    edges = [first + days * i for i in range(count + 1)]
    labels = [_span_label(start, end) for start, end in pairwise(edges)]
    return Periods(tuple(edges), tuple(labels))


def _window_label(span: pd.Period) -> str:
    """``2011-02`` for a month, ``2011-Q1`` for a quarter."""
    return f"{span.year}-Q{span.quarter}" if span.freqstr.startswith("Q") else f"{span:%Y-%m}"


def _span_label(start: pd.Timestamp, end: pd.Timestamp) -> str:
    """``2011-02-01 to 2011-03-31``: the first and last day (``end`` is the day after)."""
    return f"{start:%Y-%m-%d} to {end - DAY:%Y-%m-%d}"
