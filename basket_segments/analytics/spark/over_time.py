"""Segments over time on Spark, as ``analytics.over_time`` computes them locally.

The purchases are cut by date with the local rule (``periods.cut_periods`` on the
first and last day Spark finds), each period's RFM derived in Spark from its own
lines (recency to the day after the period's last purchase), and the reference
period segmented by ``segment_spark``'s KMeans; every other period's customers go
through the same scaling into that model (``KMeansModel.transform``: nearest
centre). The segments per period come back to the driver, a row per customer and
period as the dashboard and ``segments_by_period.csv`` need them, and the
migration is counted from them by the local engine's own ``migration_table``.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, replace
from functools import reduce
from typing import TYPE_CHECKING

import pandas as pd

from basket_segments.analytics.errors import DataError
from basket_segments.analytics.migration import migration_table
from basket_segments.analytics.over_time import (
    NO_DATES,
    OverTime,
    check_customers,
    period_table,
)
from basket_segments.analytics.periods import PeriodRule, Periods, cut_periods
from basket_segments.analytics.spark.segments import SparkFit, fit_spark, kmeans_input, labelled_by
from basket_segments.analytics.spark.transactions import derive_rfm
from basket_segments.analytics.transactions import RFM_COLUMNS

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pyspark.sql import Column, DataFrame

    from basket_segments.analytics.spark.prepare import SparkData

NEGATIVE_VALUES = (
    "Some customers have negative values where the reference period had none, so "
    "they cannot be scaled the same way; choose --scale standard or other features."
)


@dataclass(frozen=True)
class SparkByPeriod:
    """The data cut into periods on Spark: each period's customers (``customer`` and
    features, cached) and every clean line with its ``period`` number."""

    periods: Periods
    customers: tuple[DataFrame, ...]
    reference: int
    lines: DataFrame

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
    return SparkByPeriod(periods, tuple(customers), rule.reference, lines)


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
    """Segments fitted on the reference period (``fit_spark``) and every period's
    customers placed in them by nearest centre, collected with the migration; refused
    when a period has no more customers than segments, or (``max_rows``) when more
    customer-periods than that would come back to the driver."""
    counts = [customers.count() for customers in cut.customers]
    for label, count in zip(cut.periods.labels, counts, strict=True):
        check_customers(label, count, k)
    if max_rows is not None and sum(counts) > max_rows:
        raise DataError(
            f"{sum(counts):,} customers over the periods are too many to compare here (at "
            f"most {max_rows:,}); choose longer periods or a sample of the customers."
        )
    reference = cut.customers[cut.reference]
    fitted = fit_spark(reference, features, k, scale, random_state, kinds, n_init)
    names = fitted.segments.names
    tables = []
    for number, customers in enumerate(cut.customers):
        fitted_here = number == cut.reference
        labels = fitted.segments.labels if fitted_here else assign_spark(customers, fitted)
        tables.append(_collected(customers, labels, cut.periods.labels[number], names))
    by_period = pd.concat(tables, ignore_index=True)
    migration = migration_table(by_period, cut.periods.labels, cut.reference, names)
    rows = by_period[by_period["period"] == cut.reference_label]
    shown = pd.Series(rows["segment"].to_numpy(), index=pd.Index(rows["customer"]))
    segmentation = replace(fitted.segments, labels=shown.rename("segment"))
    profiles = fitted.segments.profiles
    return OverTime(cut.periods, cut.reference, segmentation, profiles, by_period, migration)


def assign_spark(customers: DataFrame, fitted: SparkFit) -> DataFrame:
    """``customer`` and ``segment``: the nearest of ``fitted``'s centres once scaled as the
    customers it was fitted on were (``segmentation.assign`` on Spark)."""
    from pyspark.ml.functions import array_to_vector
    from pyspark.sql import functions as F

    seen = kmeans_input(fitted.segments.features, fitted.mode, fitted.scaling)
    values = customers.select("customer", F.array(*[c.cast("double") for c in seen]).alias("x"))
    x = [F.col("x")[i] for i in range(len(seen))]
    if values.where(reduce(operator.or_, [v.isNull() | F.isnan(v) for v in x])).take(1):
        raise DataError(NEGATIVE_VALUES)
    points = values.select("customer", array_to_vector("x").alias("features"))
    return labelled_by(fitted.model, points, fitted.order).select("customer", "segment")


def _collected(
    customers: DataFrame, labels: DataFrame, period: str, names: Mapping[int, str]
) -> pd.DataFrame:
    """One period's rows of ``OverTime.by_period``, as the local engine makes them: by
    customer, with the local engine's integer types."""
    joined = labels.join(customers, "customer").toPandas().sort_values("customer")
    joined = joined.astype({c: "int64" for c, kind in joined.dtypes.items() if kind == "int32"})
    table = joined.set_index("customer").drop(columns="segment")
    return period_table(table, joined["segment"], period, names)
