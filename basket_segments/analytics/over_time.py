"""Segments over time: fitted once, on a reference period, and every period placed in them.

KMeans numbers its clusters arbitrarily, so segmenting each period afresh would
make "moved from segment 2 to segment 0" meaningless. Instead the scaling and
KMeans are fitted on one period's customers (the reference, by default the
first), their segments numbered and named as usual, and every other period's
customers assigned to the nearest of those centres (``segmentation.assign``):
a move between segments is then a change in behaviour. Each period's RFM is
derived as if the file held only that period's lines (recency counted to the
day after the period's last purchase); a customer table's attributes stay as
they are. ``migration`` then counts who moved, came (new) and went (lapsed).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from basket_segments.analytics.errors import DataError
from basket_segments.analytics.migration import migration_table
from basket_segments.analytics.periods import PeriodRule, Periods, cut_periods
from basket_segments.analytics.prepare import DATED_COLUMNS, OTHER_LINE_COLUMNS, PreparedData
from basket_segments.analytics.profiles import profile_segments
from basket_segments.analytics.segmentation import (
    Run,
    Segmentation,
    assign,
    run_here,
    segment_customers,
)
from basket_segments.analytics.stages import Segments
from basket_segments.analytics.transactions import RFM_COLUMNS, derive_rfm

NO_DATES = (
    "Comparing periods needs purchases with dates, and this data has none (no date column "
    "among its purchases); name the date column, or segment the whole file."
)


@dataclass(frozen=True)
class ByPeriod:
    """The data cut into periods: each period's customers and their features.

    ``lines``: every clean purchase line with its period number (``period``), products
    included where the data has them, for what else is counted per period (rules).
    """

    periods: Periods
    customers: tuple[pd.DataFrame, ...]
    reference: int
    lines: pd.DataFrame | None = None

    @property
    def reference_label(self) -> str:
        return self.periods.labels[self.reference]


@dataclass(frozen=True)
class OverTime:
    """One segmentation, fitted on the reference period, and every period's customers in it.

    ``by_period``: customer, period, segment, segment_name, then the customer's features
    in that period; ``migration``: ``migration.migration_table``'s tidy table.
    ``segmentation``: the reference period's, as the local engine found it (the Spark
    engine fits it on the driver with the same code).
    """

    periods: Periods
    reference: int
    segmentation: Segmentation
    profiles: pd.DataFrame
    by_period: pd.DataFrame
    migration: pd.DataFrame

    @property
    def names(self) -> dict[int, str]:
        """Segment number to name, the reference period's."""
        return dict(zip(self.profiles["segment"].astype(int), self.profiles["name"], strict=True))


def split_by_period(data: PreparedData, rule: PeriodRule) -> ByPeriod:
    """``data``'s lines cut as ``rule`` says and each period's customer features: RFM
    derived from that period's lines alone, beside the attributes of a customer table.

    Refused in a sentence: data without dates, a split date outside them, a period
    without purchases.

    >>> from basket_segments.analytics.prepare import load_dataset
    >>> data = load_dataset(b"Customer,Invoice,Date,Product,Price\\n"
    ...     b"a,1,2020-01-02,tea,2\\na,2,2020-02-03,jam,3\\nb,3,2020-02-01,tea,4\\n")
    >>> cut = split_by_period(data, PeriodRule(window="month"))
    >>> [table.to_dict("index") for table in cut.customers]  # doctest: +NORMALIZE_WHITESPACE
    [{'a': {'Recency': 1, 'Frequency': 1, 'Monetary': 2.0}},
     {'a': {'Recency': 1, 'Frequency': 1, 'Monetary': 3.0},
      'b': {'Recency': 3, 'Frequency': 1, 'Monetary': 4.0}}]
    """
    lines = dated_lines(data)
    periods = cut_periods(lines["date"], rule)
    numbers = periods.number_of(lines["date"])
    lines = lines.assign(period=numbers)
    attributes = data.customers.drop(columns=list(RFM_COLUMNS), errors="ignore")
    groups = dict(iter(lines.groupby("period", sort=True)))
    customers = []
    for number, label in enumerate(periods.labels):
        if number not in groups:
            raise DataError(
                f"The period {label} has no purchases; choose longer periods or another split date."
            )
        rfm = derive_rfm(groups[number])
        customers.append(rfm if data.shape == "transactions" else attributes.join(rfm, how="inner"))
    return ByPeriod(periods, tuple(customers), rule.reference, lines)


def dated_lines(data: PreparedData) -> pd.DataFrame:
    """Every clean purchase line in file order, with ``customer``, ``basket``, ``date``,
    ``amount`` and ``product`` (missing outside baskets): the lines ``derive_rfm`` derived
    the whole file's RFM from."""
    if data.other_lines is None or "date" not in data.purchases.columns:
        raise DataError(NO_DATES)
    others = data.other_lines.assign(product=pd.Series(pd.NA, dtype="str"))
    return pd.concat([data.purchases, others[[*OTHER_LINE_COLUMNS, "product"]]]).sort_index()


def segments_over_time(
    cut: ByPeriod,
    features: list[str],
    k: int,
    feature_kinds: dict[str, str] | None = None,
    scale: str = "auto",
    random_state: int = 0,
    n_init: int | None = None,
    run: Run = run_here,
) -> OverTime:
    """Segments fitted on the reference period (scaling and KMeans, numbered and named
    as ``segment_customers`` and ``profile_segments`` do) and every period's customers
    assigned to them by nearest centre; refused when a period has no more customers
    than segments.

    >>> customers = pd.DataFrame({"x": [1.0, 1.1, 5.0, 5.2, 5.1]}, index=list("abcde"))
    >>> later = pd.DataFrame({"x": [1.0, 5.0, 9.0]}, index=list("bef"))
    >>> periods = Periods(tuple(pd.to_datetime(["2020-01-01", "2020-02-01", "2020-03-01"])),
    ...                   ("2020-01", "2020-02"))
    >>> found = segments_over_time(ByPeriod(periods, (customers, later), 0, None), ["x"], 2)
    >>> found.by_period[["customer", "period", "segment"]].values.tolist()  # doctest: +ELLIPSIS
    [['a', '2020-01', 1], ['b', '2020-01', 1], ..., ['e', '2020-02', 0], ['f', '2020-02', 0]]
    """
    for label, customers in zip(cut.periods.labels, cut.customers, strict=True):
        check_customers(label, len(customers), k)
    reference = cut.customers[cut.reference]
    fitted = segment_customers(reference, features, k, scale, random_state, n_init, run)
    profiles = profile_segments(reference, fitted, feature_kinds)
    names = dict(zip(profiles["segment"].astype(int), profiles["name"], strict=True))
    tables = []
    for number, customers in enumerate(cut.customers):
        labels = fitted.labels if number == cut.reference else assign(customers, fitted)
        tables.append(period_table(customers, labels, cut.periods.labels[number], names))
    by_period = pd.concat(tables, ignore_index=True)
    migration = migration_table(by_period, cut.periods.labels, cut.reference, names)
    return OverTime(cut.periods, cut.reference, fitted, profiles, by_period, migration)


def check_customers(label: str, count: int, k: int) -> None:
    """Refuse a period with no more customers than segments."""
    if count <= k:
        raise DataError(
            f"The period {label} has {count:,} customer{'' if count == 1 else 's'}, too few "
            f"for {k} segments (every period needs more customers than segments); choose "
            "fewer segments, longer periods or another split date."
        )


def period_table(
    customers: pd.DataFrame, labels: pd.Series, period: str, names: dict[int, str]
) -> pd.DataFrame:
    """Customer, period, segment and name, then the features, for one period."""
    table = pd.DataFrame(
        {
            "customer": customers.index.astype("str"),
            "period": period,
            "segment": labels.to_numpy(),
            "segment_name": labels.map(names).to_numpy(),
        }
    )
    return pd.concat([table, customers.reset_index(drop=True)], axis=1)


def period_purchases(cut: ByPeriod, number: int) -> pd.DataFrame:
    """Period ``number``'s purchases of products, as ``PreparedData.purchases`` holds the
    whole file's: what its baskets, rules and top products are counted from."""
    if cut.lines is None:
        raise ValueError("cut has no lines")
    rows = cut.lines[cut.lines["period"].to_numpy() == number]
    return rows.dropna(subset=["product"])[DATED_COLUMNS]


def period_labels(found: OverTime, number: int) -> pd.Series:
    """Period ``number``'s segment per customer, indexed by customer.

    >>> customers = pd.DataFrame({"x": [1.0, 1.1, 5.0, 5.2, 5.1]}, index=list("abcde"))
    >>> periods = Periods(tuple(pd.to_datetime(["2020-01-01", "2020-02-01", "2020-03-01"])),
    ...                   ("2020-01", "2020-02"))
    >>> found = segments_over_time(ByPeriod(periods, (customers, customers[:3]), 0), ["x"], 2)
    >>> period_labels(found, 1).to_dict()
    {'a': 1, 'b': 1, 'c': 0}
    """
    table = found.by_period
    rows = table[table["period"].to_numpy() == found.periods.labels[number]]
    return pd.Series(rows["segment"].to_numpy(), index=pd.Index(rows["customer"], name="customer"))


def period_segments(found: OverTime, number: int) -> Segments:
    """Period ``number``'s segments, to mine as the whole file's are: its customers'
    labels, with the reference period's profiles and fit. Both engines' ``period``."""
    fitted = found.segmentation
    return Segments(
        period_labels(found, number),
        found.profiles,
        fitted.inertia,
        fitted.silhouette,
        fitted.features,
        fitted.scaling,
    )


def customer_periods(found: OverTime, customer: str) -> pd.DataFrame:
    """One customer's segment in every period, in period order, with the features the
    segments were fitted on; ``segment`` missing (and the features) where the customer
    bought nothing in that period.

    >>> customers = pd.DataFrame({"x": [1.0, 1.1, 5.0, 5.2, 5.1]}, index=list("abcde"))
    >>> periods = Periods(tuple(pd.to_datetime(["2020-01-01", "2020-02-01", "2020-03-01"])),
    ...                   ("2020-01", "2020-02"))
    >>> found = segments_over_time(ByPeriod(periods, (customers, customers[1:]), 0), ["x"], 2)
    >>> table = customer_periods(found, "a")
    >>> table["period"].tolist(), table["segment"].tolist(), table["x"].tolist()
    (['2020-01', '2020-02'], [1, <NA>], [1.0, nan])
    """
    features = list(found.segmentation.features)
    table = found.by_period
    rows = table[table["customer"].to_numpy() == customer].set_index("period")
    rows = rows.reindex(list(found.periods.labels))
    return pd.DataFrame(
        {
            "period": rows.index,
            "segment": rows["segment"].astype("Int64").array,
            "segment_name": rows["segment_name"].to_numpy(),
            **{feature: rows[feature].to_numpy(dtype=float) for feature in features},
        }
    )
