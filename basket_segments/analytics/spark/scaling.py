"""Scale customer features in Spark exactly as the local engine's ``feature_matrix`` does.

KMeans on raw spend and purchase counts makes a few big customers segments of
their own, so heavily skewed non-negative features (skewness above
``LOG_SKEW``, measured as pandas does) are taken as ``log1p`` first, and every
feature is then standardised with the population standard deviation, as
scikit-learn's ``StandardScaler``. All statistics come from one pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from basket_segments.analytics.scaling import LOG_SKEW
from basket_segments.analytics.spark.values import col

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame


@dataclass(frozen=True)
class Scaling:
    """Per feature: whether to take ``log1p`` first, then the mean and deviation to scale by."""

    log: tuple[bool, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]


def sample_skewness(population_skewness: float | None, n: int) -> float:
    """Spark's (population) skewness adjusted for sample size, as pandas' ``skew``;
    0 where undefined (fewer than 3 values, or all equal).

    >>> round(sample_skewness(2.0, 10), 4), sample_skewness(float("nan"), 10), sample_skewness(1, 2)
    (2.3717, 0.0, 0.0)
    """
    if n < 3 or population_skewness is None or math.isnan(population_skewness):
        return 0.0
    return population_skewness * math.sqrt(n * (n - 1)) / (n - 2)


def fit_scaling(customers: DataFrame, features: list[str], log_skewed: bool = True) -> Scaling:
    """The local engine's ``feature_matrix`` scaling, measured in one pass over the customers;
    without ``log_skewed`` (scaling ``standard``) no feature is taken as ``log1p``."""
    from pyspark.sql import functions as F

    measures = []
    for i, name in enumerate(features):
        x, logged = col(name), F.log1p(col(name))
        measures += [
            F.min(x).alias(f"min{i}"),
            F.skewness(x).alias(f"skew{i}"),
            F.avg(x).alias(f"mean{i}"),
            F.stddev_pop(x).alias(f"std{i}"),
            F.avg(logged).alias(f"logmean{i}"),
            F.stddev_pop(logged).alias(f"logstd{i}"),
        ]
    row = customers.agg(F.count(F.lit(1)).alias("n"), *measures).first()
    log = tuple(
        log_skewed and row[f"min{i}"] >= 0 and sample_skewness(row[f"skew{i}"], row["n"]) > LOG_SKEW
        for i in range(len(features))
    )
    prefix = ["log" if taken else "" for taken in log]
    return Scaling(
        log,
        tuple(row[f"{prefix[i]}mean{i}"] for i in range(len(features))),
        tuple(row[f"{prefix[i]}std{i}"] or 0.0 for i in range(len(features))),
    )


def z_columns(features: list[str], scaling: Scaling) -> list[Column]:
    """Each feature in standard deviations from its mean (a constant feature gives 0)."""
    from pyspark.sql import functions as F

    columns = []
    for name, log, mean, std in zip(features, scaling.log, scaling.mean, scaling.std, strict=True):
        value = F.log1p(col(name)) if log else col(name)
        columns.append((value - F.lit(mean)) / F.lit(std if std > 0 else 1.0))
    return columns
