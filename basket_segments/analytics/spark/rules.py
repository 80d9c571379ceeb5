"""Association rules per segment with ``pyspark.ml.fpm.FPGrowth``, as the local engine's table.

FPGrowth compares support as ``count >= ceil(minSupport * n)`` in floating
point (0.07 x 100 baskets asks for 8, not 7) and confidence as a float ratio,
so we pass it thresholds a hair below the exact ones and then keep exactly the
rules the local engine keeps: in at least ``min_count`` baskets (2 at least),
confidence compared as a fraction, at most ``max_length`` products. FPGrowth
only makes rules with one product on the right (the arules convention); the
local engine gives the same rules with ``single_consequent=True``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from basket_segments.analytics.errors import DataError
from basket_segments.analytics.mining import (
    MIN_GROUP_BASKETS,
    check_thresholds,
    min_count,
    strongest,
)
from basket_segments.analytics.rules import (
    ALL_CUSTOMERS,
    ALL_CUSTOMERS_NAME,
    RULE_COLUMNS,
    NamedRule,
    RuleParams,
    add_sentences,
    filter_rules,
    rule_frame,
    sort_rules,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

#: How far below the exact confidence threshold FPGrowth filters (then we compare exactly).
CONFIDENCE_SLACK = 1e-9
Itemset = tuple[str, ...]


def fpgrowth_support(threshold: int, n_baskets: int) -> float:
    """The ``minSupport`` that makes FPGrowth's ``ceil(minSupport * n)`` exactly ``threshold``.

    Half a basket below the threshold, ceil lands on the threshold whatever the
    rounding of the product.

    >>> import math
    >>> 0.07 * 100, math.ceil(fpgrowth_support(7, 100) * 100)
    (7.000000000000001, 7)
    """
    return (threshold - 0.5) / n_baskets


def build_baskets(purchases: DataFrame, by: str, anonymous: bool) -> DataFrame:
    """Baskets (``basket``, ``customer``, ``items``): all of a customer's products, or one
    invoice (customer and invoice) with ``by="invoice"``; anonymous rows by their basket."""
    from pyspark.sql import functions as F

    if by == "invoice" or anonymous:
        purchases = purchases.where(F.col("basket").isNotNull())
        if purchases.limit(1).count() == 0:
            raise DataError(
                "The data has no invoice or date column, so a basket can only be "
                "all of a customer's purchases."
            )
        key = F.col("basket") if anonymous else F.concat_ws("\x1f", "customer", "basket")
    else:
        key = F.col("customer")
    return purchases.groupBy(key.alias("basket")).agg(
        F.first("customer").alias("customer"), F.collect_set("product").alias("items")
    )


def mine_spark(
    baskets: DataFrame,
    n_segments: int,
    names: Mapping[int, str],
    params: RuleParams,
    anonymous: bool = False,
) -> tuple[pd.DataFrame, dict[int, int], dict[int, tuple[int, int]]]:
    """The rules table (``RULE_COLUMNS``) of all customers and every segment, the
    number of baskets of each group, and the rules each group kept and left out (the
    rule limit). ``baskets`` has a ``segment`` column (missing for customers without
    one); groups with too few baskets get no rules; ``anonymous`` baskets' rules speak
    of baskets."""
    check_thresholds(params.min_support, params.min_confidence, params.max_length)
    sizes = group_sizes(baskets)
    labels = {ALL_CUSTOMERS: ALL_CUSTOMERS_NAME, **names}
    frames, kept = [], {}
    for segment in [ALL_CUSTOMERS, *range(n_segments)]:
        n = sizes.get(segment, 0)
        if n < MIN_GROUP_BASKETS:
            continue
        group = baskets if segment == ALL_CUSTOMERS else baskets.where(f"segment = {segment}")
        found = [
            rule
            for rule in fpgrowth_rules(group, n, params)
            if rule[2] * n >= params.min_lift * rule[3] * rule[4]
        ]
        limited = strongest(found, n, params.max_rules)
        kept[segment] = (len(limited.rules), limited.left_out)
        name = labels.get(segment, f"Segment {segment}")
        frames.append(rule_frame(segment, name, n, limited.rules))
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return pd.DataFrame({column: [] for column in RULE_COLUMNS}), sizes, kept
    rules = pd.concat(frames, ignore_index=True)
    rules = add_sentences(add_lift_vs_all(rules, baskets, sizes[ALL_CUSTOMERS]), anonymous)
    return sort_rules(filter_rules(rules, params)), sizes, kept


def group_sizes(baskets: DataFrame) -> dict[int, int]:
    """Baskets of all customers (``ALL_CUSTOMERS``) and of each segment."""
    counts = {row["segment"]: row["count"] for row in baskets.groupBy("segment").count().collect()}
    segments = {int(s): n for s, n in counts.items() if s is not None}
    return {ALL_CUSTOMERS: sum(counts.values()), **segments}


def fpgrowth_rules(group: DataFrame, n_baskets: int, params: RuleParams) -> list[NamedRule]:
    """One group's rules with exact counts, at exactly the local engine's thresholds."""
    from pyspark.ml.fpm import FPGrowth
    from pyspark.sql import functions as F

    if n_baskets == 0:
        return []
    threshold = min_count(params.min_support, n_baskets)
    model = FPGrowth(
        itemsCol="items",
        minSupport=fpgrowth_support(threshold, n_baskets),
        minConfidence=max(0.0, params.min_confidence - CONFIDENCE_SLACK),
    ).fit(group)
    itemsets = model.freqItemsets.where(F.size("items") <= params.max_length)
    itemsets = itemsets.select(F.array_sort("items").alias("items"), "freq").cache()
    rules = model.associationRules.where(F.size("antecedent") < params.max_length).select(
        F.array_sort("antecedent").alias("antecedent"), F.col("consequent")[0].alias("item")
    )
    lhs = itemsets.select(F.col("items").alias("antecedent"), F.col("freq").alias("lhs"))
    rhs = itemsets.where(F.size("items") == 1).select(
        F.col("items")[0].alias("item"), F.col("freq").alias("rhs")
    )
    whole = itemsets.select(F.col("items").alias("whole"), F.col("freq").alias("count"))
    joined = (
        rules.join(lhs, "antecedent")
        .join(rhs, "item")
        .withColumn("whole", F.array_sort(F.array_union("antecedent", F.array("item"))))
        .join(whole, "whole")
    )
    rows = joined.select("antecedent", "item", "count", "lhs", "rhs").collect()
    itemsets.unpersist()
    confidence = Fraction(str(params.min_confidence))
    return [
        (tuple(sorted(row["antecedent"])), (row["item"],), row["count"], row["lhs"], row["rhs"])
        for row in rows
        if row["count"] >= threshold
        and row["count"] * confidence.denominator >= confidence.numerator * row["lhs"]
    ]


def add_lift_vs_all(rules: pd.DataFrame, baskets: DataFrame, n_baskets: int) -> pd.DataFrame:
    """Lift in the segment divided by the same rule's lift over all customers (1.0 for the
    rules of all customers); rules not among those are counted over all baskets in Spark."""
    everyone = (rules["segment"] == ALL_CUSTOMERS).to_numpy()
    keys = list(zip(rules["antecedent"], rules["consequent"], strict=True))
    known = {key: lift for key, lift, own in zip(keys, rules["lift"], everyone, strict=True) if own}
    missing = {key for key in keys if key not in known}
    wanted = {side for a, c in missing for side in (a, c, tuple(sorted(a + c)))}
    counts = count_itemsets(baskets, wanted)
    for a, c in missing:
        both = counts[tuple(sorted(a + c))]
        known[(a, c)] = both * n_baskets / (counts[a] * counts[c])
    overall = np.array([known[key] for key in keys], dtype="float64")
    return rules.assign(lift_vs_all=np.where(everyone, 1.0, rules["lift"].to_numpy() / overall))


def count_itemsets(baskets: DataFrame, itemsets: Iterable[Itemset]) -> dict[Itemset, int]:
    """How many baskets hold each itemset, counted in Spark (a basket holds an itemset when
    it holds as many of its items as the itemset has)."""
    from pyspark.sql import functions as F

    itemsets = sorted(set(itemsets))
    if not itemsets:
        return {}
    wanted = baskets.sparkSession.createDataFrame(
        [(i, item, len(items)) for i, items in enumerate(itemsets) for item in items],
        "id int, item string, size int",
    )
    held = baskets.select("basket", F.explode("items").alias("item"))
    matches = held.join(F.broadcast(wanted), "item").groupBy("basket", "id", "size").count()
    found = matches.where(F.col("count") == F.col("size")).groupBy("id").count().collect()
    counts = {itemsets[row["id"]]: row["count"] for row in found}
    return {items: counts.get(items, 0) for items in itemsets}
