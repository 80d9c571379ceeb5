"""Which products each segment buys most, counted in Spark; only the top rows come back.

The same table as ``analytics.products.top_products``: per group (all customers,
then each segment) the products in most baskets, ties by name, with each
one's share of the group's baskets and that share against everyone's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from basket_segments.analytics.products import PRODUCT_COLUMNS
from basket_segments.analytics.rules import ALL_CUSTOMERS, ALL_CUSTOMERS_NAME

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def top_products_spark(
    baskets: DataFrame,
    sizes: Mapping[int, int],
    names: Mapping[int, str] | None = None,
    top: int = 10,
) -> pd.DataFrame:
    """Most bought products per segment and overall (``PRODUCT_COLUMNS``).

    ``baskets`` has ``segment`` (missing for customers without one) and
    ``items``; ``sizes`` the number of baskets of each group (``group_sizes``).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    held = baskets.select("segment", F.explode("items").alias("product"))
    overall = held.groupBy("product").count().withColumnRenamed("count", "overall")
    per_segment = held.where(F.col("segment").isNotNull()).groupBy("segment", "product").count()
    everyone = overall.select(
        F.lit(ALL_CUSTOMERS).alias("segment"), "product", F.col("overall").alias("count")
    )
    counts = everyone.unionByName(per_segment.withColumn("segment", F.col("segment").cast("int")))
    order = Window.partitionBy("segment").orderBy(F.desc("count"), F.asc("product"))
    ranked = counts.withColumn("rank", F.row_number().over(order)).where(F.col("rank") <= top)
    rows = ranked.join(overall, "product").toPandas()
    return _table(rows, sizes, names or {})


def _table(rows: pd.DataFrame, sizes: Mapping[int, int], names: Mapping[int, str]) -> pd.DataFrame:
    """Shares and names for the collected top rows, in the local engine's order and rounding.

    >>> rows = pd.DataFrame({"segment": [0, -1], "product": ["tea", "tea"], "count": [2, 3],
    ...                      "rank": [1, 1], "overall": [3, 3]})
    >>> _table(rows, {-1: 4, 0: 2}, {0: "Young"})[["segment_name", "share", "share_vs_all"]]
        segment_name  share  share_vs_all
    0  All customers   0.75         1.000
    1          Young   1.00         1.333
    """
    labels = {ALL_CUSTOMERS: ALL_CUSTOMERS_NAME, **names}
    table = rows.sort_values(["segment", "rank"], kind="stable").reset_index(drop=True)
    group_size = table["segment"].map(sizes).astype("float64")
    table["share"] = table["count"] / group_size
    table["share_vs_all"] = table["share"] / (table["overall"] / sizes[ALL_CUSTOMERS])
    table["segment_name"] = table["segment"].map(lambda s: labels.get(s, f"Segment {s}"))
    table = table.astype({"segment": "int64", "rank": "int64", "count": "int64"})
    return table[PRODUCT_COLUMNS].round({"share": 3, "share_vs_all": 3})
