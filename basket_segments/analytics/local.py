"""The local engine: pandas, scikit-learn and efficient-apriori in this process.

The command line runs it through ``analytics.pipeline.analyze``; the
dashboard's jobs call its stages one at a time (``store.results``) and store
what they return, and its uploads are read and checked by ``read`` and
``prepare`` here, whichever engine analyses them later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from basket_segments.analytics.baskets import Baskets, build_baskets
from basket_segments.analytics.budget import check_expansion, parquet_expansion
from basket_segments.analytics.columns import detect_roles
from basket_segments.analytics.loading import RawTable, Source, peek_columns, read_source
from basket_segments.analytics.machine import usable_cpus
from basket_segments.analytics.mining import no_rules_reason
from basket_segments.analytics.notes import by_group, left_out_notes, small_segment_notes
from basket_segments.analytics.periods import PeriodRule
from basket_segments.analytics.prepare import PreparedData, has_customers, prepare
from basket_segments.analytics.products import top_products
from basket_segments.analytics.profiles import profile_segments
from basket_segments.analytics.progress import part
from basket_segments.analytics.rules import mine_groups, rules_table
from basket_segments.analytics.segmentation import (
    Run,
    ScikitLearnProcess,
    import_scikit_learn_in_background,
    run_here,
    segment_customers,
    suggest_k,
    transformations,
)
from basket_segments.analytics.stages import (
    AnalysisOptions,
    KSuggestion,
    Mined,
    Segments,
    StageClock,
    StoredTable,
    data_line,
)
from basket_segments.analytics.support_hint import count_pairs

if TYPE_CHECKING:  # over time's code is imported where it runs: the one-file run never needs it
    from basket_segments.analytics.over_time import ByPeriod, OverTime


class LocalEngine:
    """Every stage in this process, or scikit-learn's part in one beside it.

    Each dashboard job takes a new one (it holds nothing between stages), and the web
    process keeps scikit-learn loaded. With ``scikit_learn_process`` (the command
    line: one analysis, one process) scikit-learn is imported, and KMeans run, in a
    ``ScikitLearnProcess`` started as soon as the file names customers and ended
    after ``segment``, or by ``close``. ``max_table_bytes``: refuse files whose values
    take more once read (``analytics.budget``).
    """

    def __init__(
        self, scikit_learn_process: bool = False, max_table_bytes: int | None = None
    ) -> None:
        self._own_process = scikit_learn_process
        self._process: ScikitLearnProcess | None = None
        self.max_table_bytes = max_table_bytes

    def load(self, source: Source | pd.DataFrame | StoredTable, clock: StageClock) -> PreparedData:
        """A file (path or bytes), a DataFrame of text such as the generated sample, or a
        table the dashboard stored (with its user's column roles)."""
        raw = self.read(source)
        if has_customers(raw):
            self._load_scikit_learn()
        data = self.prepare(raw, source.roles if isinstance(source, StoredTable) else None)
        clock.lap("load", data_line(data.shape, **self.describe(data)))
        return data

    def read(
        self,
        source: Source | pd.DataFrame | StoredTable,
        filename: str | None = None,
        max_cells: int | None = None,
        max_bytes: int | None = None,
    ) -> RawTable:
        """The table as read, before any interpretation (``max_cells``: refuse a file that
        holds more values, as an upload within its size limit could not; ``max_bytes``:
        refuse one whose values take more bytes once read)."""
        if isinstance(source, pd.DataFrame):
            return RawTable(source.astype(str), False, "sample")
        if isinstance(source, StoredTable):
            if source.max_bytes is not None:
                expansion = parquet_expansion(source.path, source.max_bytes)
                check_expansion("dataset", source.name, expansion, source.max_bytes)
            frame = pd.read_parquet(source.path)
            return RawTable(frame, source.is_basket_file, source.file_format)
        if (
            self._own_process
            and usable_cpus() > 1
            and "customer" in detect_roles(peek_columns(source))
        ):
            # Started before the file is read, while this process is small and alone (a
            # fork copies what it holds then); scikit-learn imports there while pyarrow reads.
            self._process = self._process or ScikitLearnProcess()
        return read_source(source, filename, max_cells, max_bytes or self.max_table_bytes)

    @staticmethod
    def prepare(raw: RawTable, roles: Mapping[str, Any] | None = None) -> PreparedData:
        """Customers and purchases of a table read, with the user's roles or detected ones;
        the report also counts the purchase rows kept (``rows_kept``), which the drop
        counts cannot tell (a row can have several reasons)."""
        data = prepare(raw, roles or None)
        data.report.setdefault("rows_kept", len(data.purchases))
        return data

    def _load_scikit_learn(self) -> None:
        """Import scikit-learn in a thread while the rows are cleaned, unless a process of
        its own already does (the dashboard imports it so; a workbook shows its columns
        only once read). With one CPU the import waits for KMeans: beside the cleaning it
        would only take turns with it."""
        if self._process is None and usable_cpus() > 1:
            import_scikit_learn_in_background()

    @property
    def _run(self) -> Run:
        return self._process or run_here

    def close(self) -> None:
        """End the scikit-learn process, if one runs."""
        if self._process is not None:
            self._process.close()
            self._process = None

    def describe(self, data: PreparedData) -> dict:
        purchases = data.purchases
        return {
            "engine": "local",
            "customers": len(data.customers),
            "purchase_rows": len(purchases),
            "products": data.product_count,
        }

    def suggest_k(
        self, data: PreparedData, features: list[str], options: AnalysisOptions, clock: StageClock
    ) -> KSuggestion:
        customers = data.customers
        return suggest_k(customers, features, report=clock.report, run=self._run, **options.kmeans)

    def segment(
        self, data: PreparedData, features: list[str], k: int, options: AnalysisOptions
    ) -> Segments:
        try:
            found = segment_customers(data.customers, features, k, **options.kmeans, run=self._run)
        finally:
            if options.periods is None:  # else ``over_time`` needs scikit-learn next
                self.close()  # the last stage that needs scikit-learn
        profiles = profile_segments(data.customers, found, data.feature_kinds)
        return Segments(
            found.labels,
            profiles,
            found.inertia,
            found.silhouette,
            found.features,
            found.scaling,
            transformations(data.customers, features, found.scaling),
        )

    def cut_periods(self, data: PreparedData, rule: PeriodRule) -> ByPeriod:
        """The data cut into periods, each with its customers' features."""
        from basket_segments.analytics.over_time import split_by_period

        return split_by_period(data, rule)

    def over_time(
        self,
        data: PreparedData,
        cut: ByPeriod,
        features: list[str],
        k: int,
        options: AnalysisOptions,
    ) -> OverTime:
        """Segments fitted on the reference period, every period's customers in them."""
        from basket_segments.analytics.over_time import segments_over_time

        try:
            kinds = data.feature_kinds
            return segments_over_time(cut, features, k, kinds, **options.kmeans, run=self._run)
        finally:
            self.close()  # the last stage that needs scikit-learn

    def period(
        self, data: PreparedData, cut: ByPeriod, found: OverTime, number: int
    ) -> tuple[PreparedData, Segments]:
        """Period ``number``'s data and segments, to mine as the whole file's are."""
        from basket_segments.analytics.over_time import period_purchases, period_segments

        segments = period_segments(found, number)
        customers = cut.customers[number]
        return replace(data, customers=customers, purchases=period_purchases(cut, number)), segments

    def segment_table(self, data: PreparedData, segments: Segments) -> pd.DataFrame:
        """Customer, segment number and name, then every feature value and category."""
        labels = segments.labels
        table = pd.DataFrame(
            {
                "customer": data.customers.index,
                "segment": labels.to_numpy(),
                "segment_name": labels.map(segments.names).to_numpy(),
            }
        )
        parts = [table, data.customers.reset_index(drop=True)]
        if data.categories is not None and len(data.categories.columns):
            parts.append(data.categories.reset_index(drop=True))
        return pd.concat(parts, axis=1)

    def baskets(self, data: PreparedData, options: AnalysisOptions, clock: StageClock) -> Baskets:
        baskets = build_baskets(data.purchases, options.basket)
        clock.lap("baskets", f"{len(baskets):,} baskets of {len(baskets.products):,} products")
        return baskets

    def mine(
        self,
        data: PreparedData,
        segments: Segments | None,
        options: AnalysisOptions,
        clock: StageClock,
        baskets: Baskets | None = None,
    ) -> Mined:
        if baskets is None:
            baskets = self.baskets(data, options, clock)
        labels, names = (segments.labels, segments.names) if segments else (None, {})
        reason = no_rules_reason(baskets)
        mined, grouped = {}, {}
        if reason:  # nothing to mine, whatever the thresholds: say why instead
            clock.say(f"rules: none. {reason}")
        else:
            report = part(clock.report, 0.0, 0.6)
            isolate = options.isolate_mining
            mined = mine_groups(
                baskets, labels, options.rules, options.n_jobs, report, isolate, names
            )
            grouped = by_group(
                small_segment_notes({s: group.baskets for s, group in mined.items()}, names),
                left_out_notes({s: (len(g.rules), g.left_out) for s, g in mined.items()}, names),
            )
        clock.lap("mine", f"{sum(len(group.rules) for group in mined.values()):,} raw rules")
        rules = rules_table(mined, baskets, names, options.rules, part(clock.report, 0.6, 0.95))
        clock.lap("rules_table", f"{len(rules):,} rules")
        clock.report(0.95, "Counting top products")
        products = top_products(baskets, labels, names, top=options.top_products)
        clock.lap("top_products", f"{len(products):,} rows")
        notes = tuple(note for group in grouped.values() for note in group)
        pairs = count_pairs(baskets) if options.count_pairs and not reason else None
        return Mined(rules, products, len(baskets), notes, reason, grouped, pairs)
