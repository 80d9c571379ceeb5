"""The Spark engine: the stages of ``analytics.stages.Engine`` on Spark.

``analytics.pipeline.analyze`` runs it as it runs the local engine. Stages
said and timed: ``read`` (Spark opens the file), ``features`` (cleaning and
customer features, materialised and cached), ``segment`` (KMeans and
profiles), ``rules`` (FPGrowth per segment) and ``products``; with periods, also
``over_time`` (``spark.over_time``). Only small tables come back to the driver;
the segments table does too up to ``COLLECT_SEGMENTS_MAX`` customers, and above
that (or when asked) Spark writes it itself; the segments per period come back up
to as many customer-periods, or are refused in a sentence.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd

from basket_segments.analytics.errors import DataError
from basket_segments.analytics.notes import by_group, left_out_notes, small_segment_notes
from basket_segments.analytics.over_time import OverTime, period_segments
from basket_segments.analytics.periods import PeriodRule
from basket_segments.analytics.rules import ALL_CUSTOMERS
from basket_segments.analytics.spark import COLLECT_SEGMENTS_MAX
from basket_segments.analytics.spark.over_time import (
    SparkByPeriod,
    over_time_spark,
    split_by_period_spark,
)
from basket_segments.analytics.spark.prepare import SparkData, prepare_table
from basket_segments.analytics.spark.products import top_products_spark
from basket_segments.analytics.spark.reading import read_table
from basket_segments.analytics.spark.rules import build_baskets, mine_spark
from basket_segments.analytics.spark.segments import segment_spark, suggest_k_spark
from basket_segments.analytics.stages import (
    AnalysisOptions,
    KSuggestion,
    Mined,
    Segments,
    StageClock,
    StoredTable,
    data_line,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

SINGLE_CONSEQUENT_NOTE = (
    "The Spark engine's FPGrowth finds rules with one product on the right only; the local "
    "engine also finds rules with several."
)


class SparkEngine:
    """The stages on ``spark``.

    ``segments_out``: Spark writes the segments table there (CSV parts) instead
    of collecting it. ``large_segments_out``: where it writes it when there are
    more than ``COLLECT_SEGMENTS_MAX`` customers and no ``segments_out``.
    """

    def __init__(
        self,
        spark: SparkSession,
        segments_out: str | None = None,
        large_segments_out: str | None = None,
    ):
        self.spark = spark
        self.segments_out, self.large_segments_out = segments_out, large_segments_out

    def load(self, source: str | pd.DataFrame | StoredTable, clock: StageClock) -> SparkData:
        table = read_table(self.spark, source)
        clock.lap("read", f"{table.file_format}, {len(table.frame.columns)} columns")
        data = prepare_table(table, source.roles if isinstance(source, StoredTable) else None)
        clock.lap("features", data_line(data.shape, **data.counts))
        return data

    def describe(self, data: SparkData) -> dict:
        """The local engine's counts, counted in Spark, plus which engine and master ran."""
        return {
            "engine": "spark",
            "spark_master": self.spark.sparkContext.master,
            "spark_version": self.spark.version,
            **data.counts,
        }

    def suggest_k(
        self, data: SparkData, features: list[str], options: AnalysisOptions, clock: StageClock
    ) -> KSuggestion:
        return suggest_k_spark(data.customers, features, **options.kmeans)

    def segment(
        self, data: SparkData, features: list[str], k: int, options: AnalysisOptions
    ) -> Segments:
        return segment_spark(
            data.customers, features, k, kinds=data.feature_kinds, **options.kmeans
        )

    def cut_periods(self, data: SparkData, rule: PeriodRule) -> SparkByPeriod:
        """The data cut into periods, each with its customers' features (in Spark)."""
        return split_by_period_spark(data, rule)

    def over_time(
        self,
        data: SparkData,
        cut: SparkByPeriod,
        features: list[str],
        k: int,
        options: AnalysisOptions,
    ) -> OverTime:
        """Segments fitted on the reference period, every period's customers in them."""
        kinds, most = data.feature_kinds, COLLECT_SEGMENTS_MAX
        return over_time_spark(cut, features, k, kinds, **options.kmeans, max_rows=most)

    def period(
        self, data: SparkData, cut: SparkByPeriod, found: OverTime, number: int
    ) -> tuple[SparkData, Segments]:
        """Period ``number``'s data and segments, to mine as the whole file's are."""
        from pyspark.sql import functions as F

        lines = cut.lines.where((F.col("period") == number) & F.col("product").isNotNull())
        purchases = lines.select("customer", "basket", "product")
        segments = period_segments(found, number)
        return replace(data, customers=cut.customers[number], purchases=purchases), segments

    def segment_table(self, data: SparkData, segments: Segments) -> pd.DataFrame | str:
        """The segments table collected, or the folder where Spark wrote it."""
        from pyspark.errors import AnalysisException

        written_to = self.segments_out or large_table_destination(
            data.counts["customers"], self.large_segments_out
        )
        table = segment_table_spark(data.customers, segments)
        if written_to is None:
            return table.toPandas().sort_values("customer").reset_index(drop=True)
        try:
            table.write.csv(written_to, header=True, mode="errorifexists")
        except AnalysisException as error:
            raise DataError(
                f"Cannot write the segments table to {written_to}: it already exists, or Spark "
                "cannot write there; name a new folder."
            ) from error
        return written_to

    def baskets(self, data: SparkData, options: AnalysisOptions, clock: StageClock) -> DataFrame:
        """A plan only: Spark builds the baskets when ``mine`` needs them."""
        from pyspark.sql import functions as F

        if data.baskets is not None:
            return data.baskets.withColumn("customer", F.lit(None).cast("string"))
        return build_baskets(data.purchases, options.basket, data.shape == "baskets")

    def mine(
        self,
        data: SparkData,
        segments: Segments | None,
        options: AnalysisOptions,
        clock: StageClock,
        baskets: DataFrame | None = None,
    ) -> Mined:
        from pyspark.sql import functions as F

        if baskets is None:
            baskets = self.baskets(data, options, clock)
        if segments is None:
            baskets = baskets.withColumn("segment", F.lit(None).cast("int"))
            names, n_segments = {}, 0
        else:
            baskets = baskets.join(self._labels(segments.labels), "customer", "left")
            names, n_segments = segments.names, segments.k
        baskets = baskets.cache()
        anonymous = data.shape == "baskets"
        rules, sizes, kept = mine_spark(baskets, n_segments, names, options.rules, anonymous)
        clock.lap("rules", f"{len(rules):,} rules in {sizes[ALL_CUSTOMERS]:,} baskets")
        products = top_products_spark(baskets, sizes, names, top=options.top_products)
        clock.lap("products", f"{len(products):,} rows")
        baskets.unpersist()
        per_segment = {segment: sizes.get(segment, 0) for segment in range(n_segments)}
        grouped = by_group(small_segment_notes(per_segment, names), left_out_notes(kept, names))
        notes = [] if options.rules.single_consequent else [SINGLE_CONSEQUENT_NOTE]
        notes += [note for group in grouped.values() for note in group]
        return Mined(rules, products, sizes[ALL_CUSTOMERS], tuple(notes), None, grouped)

    def _labels(self, labels: DataFrame | pd.Series) -> DataFrame:
        """Segments as a Spark table of ``customer`` and ``segment``; the dashboard stores
        them as a pandas Series (by customer) and hands them back so."""
        if not isinstance(labels, pd.Series):
            return labels
        table = pd.DataFrame({"customer": labels.index.astype(str), "segment": labels.to_numpy()})
        return self.spark.createDataFrame(table.astype({"segment": "int32"}))


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


def segment_table_spark(customers: DataFrame, segments: Segments) -> DataFrame:
    """Customer, segment number and name, then every feature value (as the local table)."""
    from pyspark.sql import functions as F

    names = [segments.names[segment] for segment in range(segments.k)]
    name = F.element_at(F.array(*[F.lit(n) for n in names]), F.col("segment") + 1)
    features = customers.columns[1:]
    joined = segments.labels.join(customers, "customer")
    return joined.select("customer", "segment", name.alias("segment_name"), *features)
