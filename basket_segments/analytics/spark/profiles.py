"""Describe Spark's segments as the local engine's profile table: size, share, means, medians, name.

Means, medians and the centroids in standard deviations (for the names) are
aggregated in Spark, one row per segment, so only K rows reach the driver.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from basket_segments.analytics.profiles import segment_names
from basket_segments.analytics.spark.values import col

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def profile_spark(
    labelled: DataFrame, features: list[str], kinds: Mapping[str, str]
) -> pd.DataFrame:
    """The local engine's profile table: segment, name, size, share, mean and median."""
    from pyspark.sql import functions as F

    stats = labelled.groupBy("segment").agg(
        F.count(F.lit(1)).alias("size"),
        *[F.avg(col(f)).alias(f"mean{i}") for i, f in enumerate(features)],
        *[F.median(col(f)).alias(f"median{i}") for i, f in enumerate(features)],
        *[F.avg(f"z{i}").alias(f"zmean{i}") for i in range(len(features))],
    )
    stats = stats.orderBy("segment").toPandas()
    table = pd.DataFrame({"segment": stats["segment"].astype(int), "size": stats["size"]})
    table["share"] = table["size"] / table["size"].sum()
    for i, feature in enumerate(features):
        table[f"mean {feature}"] = stats[f"mean{i}"].to_numpy()
        table[f"median {feature}"] = stats[f"median{i}"].to_numpy()
    z_means = pd.DataFrame(
        {feature: stats[f"zmean{i}"].to_numpy() for i, feature in enumerate(features)}
    )
    table.insert(1, "name", segment_names(z_means, kinds))
    return table
