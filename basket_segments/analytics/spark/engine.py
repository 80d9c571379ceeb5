"""The whole analysis on Spark, returning the same tables and summary as ``analytics.pipeline``.

Stages (each timed and reported as it finishes): ``read`` (Spark opens the
file), ``features`` (cleaning and customer features, materialised and
cached), ``kmeans`` (segments and profiles), ``rules`` (FPGrowth per segment)
and ``products``. Only small tables come back to the driver; the segments
table does too up to ``COLLECT_SEGMENTS_MAX`` customers, and above that (or
when asked) Spark writes it itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from basket_segments.analytics.baskets import BASKET_CHOICES
from basket_segments.analytics.cleaning import describe_report
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.mining import check_thresholds
from basket_segments.analytics.pipeline import (
    Analysis,
    AnalysisOptions,
    Progress,
    StageClock,
    small_segment_notes,
)
from basket_segments.analytics.rules import ALL_CUSTOMERS
from basket_segments.analytics.spark.prepare import SparkData, prepare_table
from basket_segments.analytics.spark.products import top_products_spark
from basket_segments.analytics.spark.reading import read_table
from basket_segments.analytics.spark.rules import build_baskets, mine_spark
from basket_segments.analytics.spark.segments import (
    SparkSegmentation,
    segment_spark,
    suggest_k_spark,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: Largest segments table brought to the driver (as segments.csv); above it Spark writes it.
COLLECT_SEGMENTS_MAX = 2_000_000
SINGLE_CONSEQUENT_NOTE = (
    "The Spark engine's FPGrowth finds rules with one product on the right only; the local "
    "engine also finds rules with several."
)


def analyze_spark(
    spark: SparkSession,
    source: str | pd.DataFrame,
    options: AnalysisOptions | None = None,
    progress: Progress | None = None,
    segments_out: str | None = None,
    large_segments_out: str | None = None,
) -> Analysis:
    """Run every stage the data supports on Spark; see ``analytics.pipeline.analyze``.

    ``segments_out``: Spark writes the segments table there (CSV parts) instead
    of collecting it. ``large_segments_out``: where it writes it when there are
    more than ``COLLECT_SEGMENTS_MAX`` customers and no ``segments_out``.
    """
    options = options or AnalysisOptions()
    rules = options.rules
    check_thresholds(rules.min_support, rules.min_confidence, rules.max_length)
    if options.basket not in BASKET_CHOICES:
        choices = " or one ".join(BASKET_CHOICES)
        raise DataError(f"A basket is one {choices}, not '{options.basket}'.")
    clock = StageClock(progress or (lambda _line: None))
    table = read_table(spark, source)
    clock.lap("read", f"{table.file_format}, {len(table.frame.columns)} columns")
    data = prepare_table(table)
    result = Analysis(summary=_base_summary(spark, data, options))
    summary = result.summary
    clock.lap(
        "features",
        f"{data.shape} data, {summary['customers']:,} customers, "
        f"{summary['purchase_rows']:,} purchase rows",
    )
    segmentation = None
    if options.segment and data.shape != "baskets":
        segmentation = _segment(data, options, result, clock)
        large = large_table_destination(summary["customers"], large_segments_out)
        _segments_table(data, segmentation, result, segments_out or large)
        clock.lap("kmeans", f"{segmentation.k} segments of {summary['customers']:,} customers")
    if data.purchases is None and data.baskets is None:
        summary["notes"].append(
            "The data has no product column, so no association rules or top products."
        )
        clock.say("rules: skipped, the data has no product column")
    else:
        _mine(data, options, segmentation, result, clock)
    summary["timings"] = clock.timings
    return result


def _base_summary(spark: SparkSession, data: SparkData, options: AnalysisOptions) -> dict:
    """The local engine's summary keys, counted in Spark, plus which engine and master ran."""
    from pyspark.sql import functions as F

    customers = data.customers.count() if data.customers is not None else 0
    rows, products = 0, 0
    if data.purchases is not None:
        counted = data.purchases.agg(F.count(F.lit(1)), F.count_distinct("product")).first()
        rows, products = counted[0], counted[1]
    elif data.baskets is not None:
        held = data.baskets.select(F.explode("items").alias("product"))
        rows, products = held.agg(F.count(F.lit(1)), F.count_distinct("product")).first()
    notes = [] if options.rules.single_consequent else [SINGLE_CONSEQUENT_NOTE]
    return {
        "engine": "spark",
        "spark_master": spark.sparkContext.master,
        "spark_version": spark.version,
        "shape": data.shape,
        "roles": data.roles,
        "customers": customers,
        "purchase_rows": rows,
        "products": products,
        "cleaning": data.report,
        "cleaning_text": describe_report(data.report),
        "rule_params": vars(options.rules) | {"basket": options.basket},
        "notes": notes,
    }


def _segment(
    data: SparkData, options: AnalysisOptions, result: Analysis, clock: StageClock
) -> SparkSegmentation:
    features = list(options.features or data.features)
    if not features:
        raise DataError("The data has no numeric customer features to segment on.")
    k = options.k
    if k is None:
        k, scores = suggest_k_spark(
            data.customers,
            features,
            scale=options.scale,
            random_state=options.random_state,
            n_init=options.n_init,
        )
        result.summary["k_scores"] = scores.to_dict("records")
        clock.lap("suggest_k", f"suggested K={k}")
    segmentation = segment_spark(
        data.customers,
        features,
        k,
        options.scale,
        options.random_state,
        data.feature_kinds,
        options.n_init,
    )
    result.profiles = segmentation.profiles
    result.summary.update(
        k=k,
        features=features,
        scaled=options.scale,
        inertia=segmentation.inertia,
        silhouette=segmentation.silhouette,
        sizes=result.profiles.set_index("name")["size"].to_dict(),
    )
    return segmentation


def large_table_destination(customers: int, path: str | None) -> str | None:
    """Where Spark must write a segments table too large to collect (None: collect it).

    >>> large_table_destination(200, "file:///tmp/segments") is None
    True
    """
    if customers <= COLLECT_SEGMENTS_MAX:
        return None
    if path is None:
        raise DataError(
            f"{customers:,} customers are too many to collect; name a folder for the segments "
            "table (--segments-out)."
        )
    return path


def segment_table_spark(customers: DataFrame, segmentation: SparkSegmentation) -> DataFrame:
    """Customer, segment number and name, then every feature value (as the local table)."""
    from pyspark.sql import functions as F

    names = segmentation.profiles.sort_values("segment")["name"].tolist()
    name = F.element_at(F.array(*[F.lit(n) for n in names]), F.col("segment") + 1)
    features = customers.columns[1:]
    joined = segmentation.labels.join(customers, "customer")
    return joined.select("customer", "segment", name.alias("segment_name"), *features)


def _segments_table(
    data: SparkData, segmentation: SparkSegmentation, result: Analysis, written_to: str | None
) -> None:
    """Collect the segments table, or have Spark write it to ``written_to``."""
    from pyspark.errors import AnalysisException

    table = segment_table_spark(data.customers, segmentation)
    if written_to is None:
        result.segments = table.toPandas().sort_values("customer").reset_index(drop=True)
        return
    try:
        table.write.csv(written_to, header=True, mode="errorifexists")
    except AnalysisException as error:
        raise DataError(
            f"Cannot write the segments table to {written_to}: it already exists, or Spark "
            "cannot write there; name a new folder."
        ) from error
    result.summary["segments_path"] = written_to


def _mine(
    data: SparkData,
    options: AnalysisOptions,
    segmentation: SparkSegmentation | None,
    result: Analysis,
    clock: StageClock,
) -> None:
    from pyspark.sql import functions as F

    if data.baskets is not None:
        baskets = data.baskets.withColumn("customer", F.lit(None).cast("string"))
    else:
        baskets = build_baskets(data.purchases, options.basket, data.shape == "baskets")
    if segmentation is None:
        baskets = baskets.withColumn("segment", F.lit(None).cast("int"))
        names, n_segments = {}, 0
    else:
        baskets = baskets.join(segmentation.labels, "customer", "left")
        names, n_segments = segmentation.names, segmentation.k
    baskets = baskets.cache()
    result.rules, sizes = mine_spark(baskets, n_segments, names, options.rules)
    groups = {segment: (sizes.get(segment, 0), []) for segment in range(n_segments)}
    result.summary["notes"] += small_segment_notes(groups, names)
    clock.lap("rules", f"{len(result.rules):,} rules in {sizes[ALL_CUSTOMERS]:,} baskets")
    result.products = top_products_spark(baskets, sizes, names)
    clock.lap("products", f"{len(result.products):,} rows")
    counts = result.rules.groupby("segment").size() if len(result.rules) else pd.Series()
    result.summary.update(
        baskets=sizes[ALL_CUSTOMERS],
        rules=len(result.rules),
        rules_per_segment={int(s): int(n) for s, n in counts.items()},
        rules_all_customers=int(counts.get(ALL_CUSTOMERS, 0)),
    )
    baskets.unpersist()
