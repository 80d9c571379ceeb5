"""What the dashboard stores: what an engine computed, per user, dataset and parameters.

The dashboard asks for the same results over and over (a drill-down click, a
page switch, a tightened threshold). Each function here looks in ``storage``
first and runs a stage of the configured engine (``ANALYTICS_ENGINE``: local
or spark, the ``analytics.stages.Engine`` stages the command line runs through
``analytics.pipeline``) only for what is missing, so answers come from disk
after the first time and any worker process finds them. The engine loads the
dataset's stored table itself (``storage.stored_table``); the local engine's
prepared data is also what the pages read (``prepared``), so it is stored once
and read back. Pages hand in what they resolved once (a ``queries.RulesQuery``,
a ``SegmentParams``); the dataset's own choices (its segmentation) are kept
with it (``storage.load_choices``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from flask import current_app

from basket_segments.analytics.engines import engine_named
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.progress import Report, ignore, part
from basket_segments.analytics.stages import (
    AnalysisOptions,
    Engine,
    Mined,
    RuleParams,
    Segments,
    StageClock,
)
from basket_segments.queries import (
    DEFAULT_K,
    MAX_PERIODS,
    OverTimeQuery,
    PeriodChoice,
    PeriodRulesQuery,
    RulesQuery,
    SegmentParams,
    basket_choice,
    period_choice,
    rule_params,
    segment_params,
)
from basket_segments.settings import setting
from basket_segments.store import storage

if TYPE_CHECKING:
    import pandas as pd

    from basket_segments.analytics.over_time import OverTime
    from basket_segments.analytics.periods import PeriodRule
    from basket_segments.analytics.pipeline import PeriodsMined
    from basket_segments.analytics.prepare import PreparedData

#: Rules are mined at least this loosely, so most slider moves only filter.
LOOSEST_MINING = RuleParams(min_support=0.02, min_confidence=0.2, max_length=3)
#: Products the Rules page ranks per segment.
TOP_PRODUCTS = 20
NO_PRODUCTS = "This dataset has no product column, so it has no rules."
NOT_MINED = "These rules are not mined yet; open the Rules page to mine them."
NOT_SEGMENTED = "These segments are not computed yet; open the Segments page first."


@dataclass(frozen=True)
class SegmentResult:
    """Segments as the dashboard shows them: the engine's segments, the table with a
    2-D projection for the scatter, and each customer's silhouette."""

    segments: Segments
    table: pd.DataFrame
    silhouettes: pd.Series

    @property
    def profiles(self) -> pd.DataFrame:
        return self.segments.profiles

    @property
    def names(self) -> dict[int, str]:
        return self.segments.names

    @property
    def silhouette(self) -> float | None:
        return self.segments.silhouette

    @property
    def telling_features(self) -> list[str]:
        """The features by how much they set these segments apart, most first."""
        from basket_segments.analytics.profiles import telling_features

        labels = self.table["segment"]
        return telling_features(self.table, labels, self.segments.features)


def current_segments(owner: str, dataset_id: int) -> SegmentParams | None:
    """The dataset's own segmentation: the last one its Segments page showed, else all its
    features with the default K; None when it has no features (a basket file).

    Read from what is stored with the dataset, never from a browser store, so one
    dataset's settings never reach another's pages.
    """
    stored = segment_params(storage.load_choices(owner, dataset_id).get("segments"))
    if stored is not None:
        return stored
    features = prepared(owner, dataset_id).features
    return SegmentParams(tuple(features), DEFAULT_K) if features else None


def remember_segments(owner: str, dataset_id: int, params: SegmentParams) -> None:
    """Keep ``params`` as the dataset's segmentation, for its Rules and Customers pages."""
    storage.save_choices(owner, dataset_id, segments=params.key())


def rules_query(owner: str, dataset_id: int, thresholds: Sequence, basket: Any) -> RulesQuery:
    """The Rules page's query: the thresholds and basket as asked (checked), on the
    dataset's own segmentation. Resolved once, when the rules are asked for."""
    wanted = rule_params(*thresholds)
    chosen = basket_choice(basket)
    dataset = storage.get_dataset(owner, dataset_id).id  # a forged id: DatasetNotFound
    return RulesQuery(dataset, current_segments(owner, dataset), wanted, chosen)


def prepared(owner: str, dataset_id: int) -> PreparedData:
    """The dataset as the local engine loads it with its stored roles (cached per roles):
    what the pages show of it (features, products, a customer's purchases) whatever engine
    analyses it, since a stored upload is bounded by the upload limit."""

    def compute() -> PreparedData:
        from basket_segments.analytics.local import LocalEngine

        return LocalEngine().load(storage.stored_table(owner, dataset_id), StageClock())

    return _cached(owner, dataset_id, storage.PREPARED, {}, compute)


def analysis_engine() -> Engine:
    """The engine the app's jobs compute with (``ANALYTICS_ENGINE``, ``SPARK_MASTER``)."""
    config = current_app.config
    return engine_named(
        setting(config, "ANALYTICS_ENGINE") or "local", setting(config, "SPARK_MASTER")
    )


def _loaded(owner: str, dataset_id: int, clock: StageClock) -> tuple[Engine, Any]:
    """The configured engine and the dataset as it loads it. The local engine's load is
    stored with the dataset (``prepared``), so it is read back, not prepared again."""
    from basket_segments.analytics.local import LocalEngine

    engine = analysis_engine()
    if isinstance(engine, LocalEngine):
        return engine, prepared(owner, dataset_id)
    return engine, engine.load(storage.stored_table(owner, dataset_id), clock)


def segments_ready(owner: str, dataset_id: int, params: SegmentParams) -> bool:
    """Whether these segments are stored, so showing them needs no background job."""
    return _stored(owner, dataset_id, "segments", params.key())


def segments(
    owner: str,
    dataset_id: int,
    params: SegmentParams,
    report: Report | None = None,
    only_cached: bool = False,
) -> SegmentResult | None:
    """KMeans segments for the chosen features and K (None if ``only_cached`` and not yet)."""
    report = report or ignore

    def compute() -> SegmentResult:
        from basket_segments.analytics.local import LocalEngine
        from basket_segments.analytics.rules import start_mining_worker

        report(0.0, "Reading the dataset")
        engine, data = _loaded(owner, dataset_id, StageClock())
        if not data.features:
            raise DataError("This dataset has no customer features to segment on.")
        if isinstance(engine, LocalEngine) and data.has_products:
            start_mining_worker()  # the rules come next: their worker boots meanwhile
        report(0.2, f"Finding {params.k} segments")
        features = list(params.features)
        found = engine.segment(data, features, params.k, AnalysisOptions(scale=params.scale))
        table = engine.segment_table(data, found)
        return _shown(found, table, params.scale, report)

    return _cached(owner, dataset_id, "segments", params.key(), compute, only_cached)


def _shown(found: Segments, table: pd.DataFrame, scale: str, report: Report) -> SegmentResult:
    """Segments as the pages show them, from the engine's segments table (pandas, whatever
    the engine): labels by customer, a 2-D projection and each customer's silhouette."""
    import pandas as pd

    from basket_segments.analytics.segmentation import project_2d, silhouette_per_customer

    if isinstance(table, str):
        raise DataError("These customers are too many to show; segment them on the command line.")
    features = list(found.features)
    table = table.astype({"segment": "int64"})  # Spark's are int32
    customers = table.set_index("customer")[features]
    labels = pd.Series(table["segment"].to_numpy(), index=customers.index, name="segment")
    found = replace(found, labels=labels)  # stored and shown: a Spark table is neither
    report(0.7, "Projecting for the scatter plot")
    projection = project_2d(customers, features, scale)
    table[list(projection.columns)] = projection.to_numpy()
    report(0.8, "Measuring how well separated they are")
    return SegmentResult(found, table, silhouette_per_customer(customers, found))


def k_scores(
    owner: str,
    dataset_id: int,
    features: list[str],
    scale: str,
    report: Report | None = None,
    only_cached: bool = False,
) -> dict:
    """Inertia and silhouette per K (2 to 15), the suggested K and why (with ``only_cached``,
    a ``DataError`` when they are not stored)."""

    def compute() -> dict:
        clock = StageClock(report=report)
        engine, data = _loaded(owner, dataset_id, clock)
        options = AnalysisOptions(scale=scale)
        suggestion = engine.suggest_k(data, list(features), options, clock)
        return {
            "scores": suggestion.scores,
            "suggested_k": suggestion.suggested_k,
            "reason": suggestion.reason,
        }

    found = _cached(owner, dataset_id, "k_scores", _k_key(features, scale), compute, only_cached)
    if found is None:
        raise DataError("These scores are not computed yet; press Suggest K again.")
    return found


def k_scores_ready(owner: str, dataset_id: int, features: list[str], scale: str) -> bool:
    """Whether the K suggestion for these features is stored."""
    return _stored(owner, dataset_id, "k_scores", _k_key(features, scale))


def _k_key(features: list[str], scale: str) -> dict:
    return {"features": list(features), "scale": scale, "k_range": [2, 15]}


def mining(
    owner: str, query: RulesQuery, report: Report | None = None, only_cached: bool = False
) -> Mined:
    """Rules and top products per segment, mined once at thresholds at least as loose as
    ``LOOSEST_MINING``; a ``DataError`` when the data can hold no rules at all, or (with
    ``only_cached``) when they are not mined yet."""
    dataset_id = query.dataset

    def compute() -> Mined:
        clock = StageClock(report=part(report, 0.3, 1.0))
        engine, data = _loaded(owner, dataset_id, clock)
        if not data.has_products:
            raise DataError(NO_PRODUCTS)
        found = None
        if query.segments is not None:
            found = _segments_for_mining(owner, query, report)
        options = AnalysisOptions(
            basket=query.basket,
            rules=mining_params(query.rules),
            top_products=TOP_PRODUCTS,
            isolate_mining=True,  # the request threads keep the interpreter lock
            # A basket file's view with few rules names a support that gives some, below
            # the mined one too (customers' rules: down to the mined support only).
            count_pairs=data.shape == "baskets",
        )
        return engine.mine(data, found, options, clock)

    mined = _cached(owner, dataset_id, "mining", mining_key(query), compute, only_cached)
    if mined is None:
        raise DataError(NOT_MINED)
    if mined.reason:  # an empty table would leave the user guessing at thresholds
        raise DataError(mined.reason)
    return mined


def _segments_for_mining(owner: str, query: RulesQuery, report: Report | None) -> Segments:
    """The segments to mine; when they cannot be made and the data could hold no rules
    anyway, that is the sentence the Rules page shows."""
    from basket_segments.analytics.baskets import build_baskets
    from basket_segments.analytics.mining import no_rules_reason

    try:
        return segments(owner, query.dataset, query.segments, part(report, 0.0, 0.3)).segments
    except DataError:
        data = prepared(owner, query.dataset)
        reason = no_rules_reason(build_baskets(data.purchases, query.basket))
        if reason:
            raise DataError(reason) from None
        raise


#: The result kind of a mining's views drawn ahead (``callbacks.rules.draw_ahead``).
DRAWN_AHEAD = "drawn"
#: Changed whenever what a view drawn ahead holds changes, so that none drawn by an
#: earlier version is read.
DRAWN_AHEAD_VERSION = 1


def keep_drawn_ahead(owner: str, query: RulesQuery, blocks: dict[str, Any]) -> None:
    """Keep the views of ``query``'s mining drawn ahead, by their own key, with it."""
    storage.save_result(owner, query.dataset, DRAWN_AHEAD, _drawn_key(owner, query), blocks)


def drawn_ahead(owner: str, query: RulesQuery, key: str) -> Any | None:
    """The view of ``query``'s rules with ``key`` drawn ahead by its mining job; None
    when it was not (another view, or a mining kept before views were drawn ahead)."""
    blocks = storage.load_result(owner, query.dataset, DRAWN_AHEAD, _drawn_key(owner, query))
    return blocks.get(key) if isinstance(blocks, dict) else None


def _drawn_key(owner: str, query: RulesQuery) -> dict:
    """What views drawn ahead are kept by: the whole query (its thresholds filter the
    mining), the dataset's roles and the version of what they hold."""
    key = {"query": query.to_json(), "version": DRAWN_AHEAD_VERSION}
    return _full_key(owner, query.dataset, key)


def mining_ready(owner: str, query: RulesQuery) -> bool:
    """Whether the rules and top products for this query are stored."""
    return _stored(owner, query.dataset, "mining", mining_key(query))


def mining_params(wanted: RuleParams) -> RuleParams:
    """What is mined for ``wanted``: at least as loose as ``LOOSEST_MINING``, so most
    moves of a threshold only filter, keeping the rule limit asked for, or the app's
    ``MAX_RULES`` when that is lower (a host's ceiling; 0: none)."""
    ceiling = int(setting(current_app.config, "MAX_RULES"))
    limits = [limit for limit in (wanted.max_rules, ceiling) if limit]
    return replace(LOOSEST_MINING.loosest(wanted), max_rules=min(limits) if limits else None)


def mining_key(query: RulesQuery) -> dict:
    """What the stored mining of ``query`` is keyed by (with the dataset's roles): two
    queries with the same key are answered by one mining, filtered differently."""
    return {
        "segments": query.segments.key() if query.segments else None,
        "basket": query.basket,
        "mining": asdict(mining_params(query.rules)),
    }


NOT_COMPARED = "These periods are not compared yet; open the Over time page to compare them."
NO_SEGMENTATION = (
    "This dataset has no customer features to segment, so it has no periods to compare."
)


def over_time_query(owner: str, dataset_id: int, periods: PeriodChoice) -> OverTimeQuery:
    """The Over time page's query: the periods as asked (checked) on the dataset's own
    segmentation (the one its Segments page last showed). Resolved once, when asked."""
    dataset = storage.get_dataset(owner, dataset_id).id  # a forged id: DatasetNotFound
    params = current_segments(owner, dataset)
    if params is None:
        raise DataError(NO_SEGMENTATION)
    return OverTimeQuery(dataset, params, periods)


def over_time_ready(owner: str, query: OverTimeQuery) -> bool:
    """Whether this comparison of periods is stored."""
    return _stored(owner, query.dataset, "over_time", query.key())


def over_time(
    owner: str, query: OverTimeQuery, report: Report | None = None, only_cached: bool = False
) -> OverTime:
    """Segments fitted on the first period and every period's customers placed in them
    (``analytics.over_time``), with the migration; a ``DataError`` in a sentence for
    periods that cannot be compared, or (with ``only_cached``) not compared yet."""
    report = report or ignore

    def compute() -> OverTime:
        report(0.0, "Reading the dataset")
        engine, data = _loaded(owner, query.dataset, StageClock())
        if not set(query.segments.features) <= set(data.features):
            raise DataError(NOT_SEGMENTED)
        report(0.2, "Cutting the purchases into periods")
        cut = engine.cut_periods(data, _period_rule(query.periods))
        if len(cut.periods) < 2:
            raise DataError(
                f"That makes one period ({cut.periods.labels[0]}), nothing to compare it "
                "with; choose shorter periods or a split date."
            )
        if len(cut.periods) > MAX_PERIODS:
            raise DataError(
                f"That makes {len(cut.periods)} periods, more than the {MAX_PERIODS} the page "
                "compares; choose longer periods."
            )
        params = query.segments
        report(0.4, f"Finding {params.k} segments in {cut.reference_label}")
        options = AnalysisOptions(scale=params.scale)
        return engine.over_time(data, cut, list(params.features), params.k, options)

    found = _cached(owner, query.dataset, "over_time", query.key(), compute, only_cached)
    if found is None:
        raise DataError(NOT_COMPARED)
    return found


def remember_periods(owner: str, dataset_id: int, periods: PeriodChoice) -> None:
    """Keep ``periods`` as the dataset's last comparison, for its Customers page."""
    storage.save_choices(owner, dataset_id, periods=periods.key())


def current_over_time(owner: str, dataset_id: int) -> OverTime | None:
    """The dataset's stored comparison of periods for its own segmentation and the
    periods its Over time page last asked for; None when there is none (no dates, never
    compared, or compared for other settings: nothing is computed here)."""
    kept = storage.load_choices(owner, dataset_id).get("periods")
    params = current_segments(owner, dataset_id)
    if not isinstance(kept, dict) or params is None:
        return None
    try:
        reference = kept.get("reference", 0) + 1
        choice = period_choice(
            kept.get("mode"), kept.get("split_date"), kept.get("days"), reference
        )
    except (DataError, TypeError):
        return None
    query = OverTimeQuery(dataset_id, params, choice)
    return over_time(owner, query, only_cached=True) if over_time_ready(owner, query) else None


def _period_rule(choice: PeriodChoice) -> PeriodRule:
    """How ``analytics.periods`` cuts the dates as the page's choice asks."""
    import pandas as pd

    from basket_segments.analytics.periods import PeriodRule

    split = None if choice.split_date is None else pd.Timestamp(choice.split_date)
    return PeriodRule(choice.window, split, choice.reference)


def period_rules_query(
    owner: str, comparison: OverTimeQuery, thresholds: Sequence, basket: Any
) -> PeriodRulesQuery:
    """The query of each period's rules and top products: the comparison's, at the
    thresholds and basket asked (checked; empty: the Rules page's defaults)."""
    storage.get_dataset(owner, comparison.dataset)  # a forged id: DatasetNotFound
    return PeriodRulesQuery(comparison, rule_params(*thresholds), basket_choice(basket))


def period_mining_params(wanted: RuleParams) -> RuleParams:
    """What each period is mined at: the thresholds asked, not the Rules page's looser
    ones. A period's segment holds few customers, each with many products: on five months
    of online retail, a segment's period at support 0.02 makes over a million combinations
    of three products to count, where 0.05 takes three seconds. The rule limit is the
    Rules page's."""
    return replace(wanted, max_rules=mining_params(wanted).max_rules)


def period_mining_key(query: PeriodRulesQuery) -> dict:
    """What stored rules per period are keyed by: the comparison, the basket and the
    thresholds mined at (``period_mining_params``)."""
    return {
        "comparison": query.comparison.key(),
        "basket": query.basket,
        "mining": asdict(period_mining_params(query.rules)),
    }


def period_mining_ready(owner: str, query: PeriodRulesQuery) -> bool:
    """Whether each period's rules and top products for this query are stored."""
    return _stored(owner, query.dataset, "period_mining", period_mining_key(query))


def period_mining(
    owner: str, query: PeriodRulesQuery, report: Report | None = None, only_cached: bool = False
) -> PeriodsMined:
    """Each period's rules and top products per segment, mined from the period's baskets
    of the customers that period placed in each segment, as the command line's
    ``rules_by_period.csv`` (``pipeline.mine_periods``); the comparison is made first
    if it is not stored. A ``DataError`` for data without products, or (with
    ``only_cached``) rules not mined yet."""

    def compute() -> PeriodsMined:
        from basket_segments.analytics.pipeline import mine_periods

        found = over_time(owner, query.comparison, part(report, 0.0, 0.2))
        engine, data = _loaded(owner, query.dataset, StageClock())
        if not data.has_products:
            raise DataError(NO_PRODUCTS)
        cut = engine.cut_periods(data, _period_rule(query.comparison.periods))
        options = AnalysisOptions(
            basket=query.basket,
            rules=period_mining_params(query.rules),
            top_products=TOP_PRODUCTS,
            isolate_mining=True,  # the request threads keep the interpreter lock
        )
        clock = StageClock(report=part(report, 0.2, 1.0))
        return mine_periods(engine, data, cut, found, options, clock)

    key = period_mining_key(query)
    mined = _cached(owner, query.dataset, "period_mining", key, compute, only_cached)
    if mined is None:
        raise DataError(NOT_COMPARED)
    return mined


def purchases_of(owner: str, dataset_id: int, customer: str) -> list[str]:
    """The distinct products one customer bought, sorted."""
    data = prepared(owner, dataset_id)
    bought = data.purchases.loc[data.purchases["customer"] == customer, "product"]
    return sorted(bought.dropna().unique().tolist())


def _full_key(owner: str, dataset_id: int, key: dict) -> dict:
    """A result's key: its parameters and the dataset's current column roles."""
    return {**key, **storage.prepared_key(storage.get_dataset(owner, dataset_id).roles)}


def _stored(owner: str, dataset_id: int, kind: str, key: dict) -> bool:
    return storage.has_result(owner, dataset_id, kind, _full_key(owner, dataset_id, key))


def _cached(owner: str, dataset_id: int, kind: str, key: dict, compute, only_cached=False) -> Any:
    """A stored result for the dataset's current roles, computed and stored if missing.

    With ``only_cached`` a missing result is None instead: the dashboard then
    computes it in a background job with a progress bar.
    """
    full_key = _full_key(owner, dataset_id, key)
    found = storage.load_result(owner, dataset_id, kind, full_key)
    if found is None and not only_cached:
        found = compute()
        storage.save_result(owner, dataset_id, kind, full_key, found)
    return found
