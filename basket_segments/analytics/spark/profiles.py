"""Describe Spark's segments as the local engine's profile table: size, share, means, medians, name.

Means, medians and the centroids in standard deviations (for the names) are
aggregated in Spark, one row per segment, so only K rows reach the driver; so are
the shares of each segment above and below everyone's median, which a name must
agree with, after one pass for those medians.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from basket_segments.analytics.profiles import majority_sides, segment_names
from basket_segments.analytics.spark.values import col

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame


def profile_spark(
    labelled: DataFrame, features: list[str], kinds: Mapping[str, str]
) -> pd.DataFrame:
    """The local engine's profile table: segment, name, size, share, mean and median."""
    from pyspark.sql import functions as F

    everyone = labelled.agg(*[F.median(col(f)) for f in features]).first()
    stats = labelled.groupBy("segment").agg(
        F.count(F.lit(1)).alias("size"),
        *[F.avg(col(f)).alias(f"mean{i}") for i, f in enumerate(features)],
        *[F.median(col(f)).alias(f"median{i}") for i, f in enumerate(features)],
        *[F.avg(f"z{i}").alias(f"zmean{i}") for i in range(len(features))],
        *_shares(features, list(everyone)),
    )
    stats = stats.orderBy("segment").toPandas()
    table = pd.DataFrame({"segment": stats["segment"].astype(int), "size": stats["size"]})
    table["share"] = table["size"] / table["size"].sum()
    for i, feature in enumerate(features):
        table[f"mean {feature}"] = stats[f"mean{i}"].to_numpy()
        table[f"median {feature}"] = stats[f"median{i}"].to_numpy()
    z_means = _by_feature(stats, features, "zmean")
    sides = majority_sides(*[_by_feature(stats, features, side) for side in ("above", "below")])
    table.insert(1, "name", segment_names(z_means, kinds, sides))
    return table


def _shares(features: list[str], medians: list[float]) -> list[Column]:
    """Per feature, the share of the segment above everyone's median and the share below."""
    from pyspark.sql import functions as F

    shares = []
    for i, (feature, median) in enumerate(zip(features, medians, strict=True)):
        shares.append(F.avg((col(feature) > F.lit(median)).cast("double")).alias(f"above{i}"))
        shares.append(F.avg((col(feature) < F.lit(median)).cast("double")).alias(f"below{i}"))
    return shares


def _by_feature(stats: pd.DataFrame, features: list[str], prefix: str) -> pd.DataFrame:
    """The columns ``prefix0``, ``prefix1``.. of ``stats`` under the features' names."""
    return pd.DataFrame(
        {feature: stats[f"{prefix}{i}"].to_numpy() for i, feature in enumerate(features)}
    )
