"""Segments over time on Spark, as ``analytics.over_time`` computes them locally.

The purchases are cut by date with the local rule (``periods.cut_periods`` on the
first and last day Spark finds) and each period's RFM derived in Spark from its own
lines (recency to the day after the period's last purchase). Each period's
customer table, one row per customer, comes back to the driver anyway (the
dashboard and ``segments_by_period.csv`` need a row per customer and period), so
the reference period is segmented there by the local engine's own
``segments_over_time``: the same scaling and scikit-learn KMeans, the same
numbering and names, every other period placed by the same nearest centre, and
the migration counted by the same ``migration_table``. Spark's own KMeans runs
on until its centres stop moving, where scikit-learn stops at ``tol=1e-4``; on
data without clear clusters that put a few customers in another segment.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import reduce
from typing import TYPE_CHECKING

import pandas as pd

from basket_segments.analytics.errors import DataError
from basket_segments.analytics.over_time import (
    NO_DATES,
    ByPeriod,
    OverTime,
    check_customers,
    segments_over_time,
)
from basket_segments.analytics.periods import PeriodRule, Periods, cut_periods
from basket_segments.analytics.spark.prepare import ROW
from basket_segments.analytics.spark.transactions import derive_rfm
from basket_segments.analytics.transactions import RFM_COLUMNS

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pyspark.sql import Column, DataFrame

    from basket_segments.analytics.spark.prepare import SparkData


@dataclass(frozen=True)
class SparkByPeriod:
    """The data cut into periods on Spark: each period's customers (``customer`` and
    features, cached) and every clean line with its ``period`` number."""

    periods: Periods
    customers: tuple[DataFrame, ...]
    reference: int
    lines: DataFrame
    #: ``SparkData.first_rows``: the order the local engine keeps a period's customers in.
    first_rows: DataFrame | None = None

    @property
    def reference_label(self) -> str:
        return self.periods.labels[self.reference]


def split_by_period_spark(data: SparkData, rule: PeriodRule) -> SparkByPeriod:
    """``data``'s lines cut as ``rule`` says and each period's customers: RFM derived
    from that period's lines alone, beside the attributes of a customer table; refused
    in the local engine's sentences (no dates, a split date outside them, an empty
    period)."""
    from pyspark.sql import functions as F

    if data.lines is None or data.customers is None:
        raise DataError(NO_DATES)
    periods = cut_periods(_span(data.lines), rule)
    lines = data.lines.withColumn("period", period_number(periods)).cache()
    counts = dict(lines.groupBy("period").count().collect())
    kept = [name for name in data.customers.columns if name not in RFM_COLUMNS]
    customers = []
    for number, label in enumerate(periods.labels):
        if not counts.get(number):
            raise DataError(
                f"The period {label} has no purchases; choose longer periods or another split date."
            )
        rfm = derive_rfm(lines.where(F.col("period") == number))
        if data.shape != "transactions":
            rfm = data.customers.select(*kept).join(rfm, "customer")
        customers.append(rfm.cache())
    return SparkByPeriod(periods, tuple(customers), rule.reference, lines, data.first_rows)


def _span(lines: DataFrame) -> pd.Series:
    """The first and last day of the lines (none when no line has a date), as the local
    ``cut_periods`` reads them from every date: only the span counts."""
    from pyspark.sql import functions as F

    day = F.to_date("date")
    row = lines.agg(
        F.date_format(F.min(day), "yyyy-MM-dd"), F.date_format(F.max(day), "yyyy-MM-dd")
    ).first()
    return pd.Series(pd.to_datetime([value for value in row if value is not None]))


def period_number(periods: Periods) -> Column:
    """Each line's period number by its day (-1 outside every period): the number of
    period starts on or before it, as ``Periods.number_of``."""
    from pyspark.sql import functions as F

    day = F.to_date("date")
    edges = [F.lit(edge.date()) for edge in periods.edges]
    number = reduce(operator.add, [(day >= edge).cast("int") for edge in edges[1:-1]], F.lit(0))
    inside = (day >= edges[0]) & (day < edges[-1])
    return F.when(inside, number).otherwise(F.lit(-1))


def over_time_spark(
    cut: SparkByPeriod,
    features: list[str],
    k: int,
    kinds: Mapping[str, str] | None = None,
    scale: str = "auto",
    random_state: int = 0,
    n_init: int | None = None,
    max_rows: int | None = None,
) -> OverTime:
    """Every period's customers collected, then segmented as the local engine does
    (``segments_over_time``: fitted on the reference period, the others by nearest
    centre); refused when a period has no more customers than segments, or
    (``max_rows``) when more customer-periods than that would come back to the driver.
    ``segmentation`` is the local engine's ``Segmentation``."""
    counts = [customers.count() for customers in cut.customers]
    for label, count in zip(cut.periods.labels, counts, strict=True):
        check_customers(label, count, k)
    if max_rows is not None and sum(counts) > max_rows:
        raise DataError(
            f"{sum(counts):,} customers over the periods are too many to compare here (at "
            f"most {max_rows:,}); choose longer periods or a sample of the customers."
        )
    first = None
    if cut.first_rows is not None:
        first = cut.first_rows.toPandas().set_index("customer")[ROW]
    tables = tuple(collected(customers, first) for customers in cut.customers)
    here = ByPeriod(cut.periods, tables, cut.reference)
    return segments_over_time(here, features, k, dict(kinds or {}), scale, random_state, n_init)


def collected(customers: DataFrame, first: pd.Series | None = None) -> pd.DataFrame:
    """One period's customer table on the driver as the local engine holds it, with its
    integer types: indexed by customer, in the order of ``first`` (each customer's first
    row in the file) when given, else sorted, as ``derive_rfm``'s. KMeans' seeded starts
    pick customers by position, so the order is part of the result."""
    table = customers.toPandas()
    order = None if first is None else (lambda ids: ids.map(first))
    table = table.sort_values("customer", kind="stable", key=order)
    table = table.astype({c: "int64" for c, kind in table.dtypes.items() if kind == "int32"})
    return table.set_index("customer")
