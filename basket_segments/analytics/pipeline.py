"""The whole analysis in one call: segment, build baskets, mine rules, rank products.

The command line uses this; the dashboard calls the same steps one by one so
it can cache each. Every stage is timed, and reported through ``progress``
as it finishes, so users of long runs see where the time goes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from basket_segments.analytics.baskets import build_baskets
from basket_segments.analytics.cleaning import describe_report
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.mining import check_thresholds, no_rules_reason
from basket_segments.analytics.prepare import PreparedData
from basket_segments.analytics.products import top_products
from basket_segments.analytics.profiles import profile_segments
from basket_segments.analytics.rules import (
    ALL_CUSTOMERS,
    MIN_SEGMENT_BASKETS,
    RuleParams,
    mine_groups,
    rules_table,
)
from basket_segments.analytics.segmentation import Segmentation, segment_customers, suggest_k

Progress = Callable[[str], None]


@dataclass
class Analysis:
    """Everything the analysis found; empty tables where a stage did not apply."""

    segments: pd.DataFrame = field(default_factory=pd.DataFrame)
    profiles: pd.DataFrame = field(default_factory=pd.DataFrame)
    rules: pd.DataFrame = field(default_factory=pd.DataFrame)
    products: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AnalysisOptions:
    """What the user asked for; ``k=None`` means "suggest K"."""

    features: Sequence[str] | None = None
    k: int | None = 5
    scale: bool = True
    segment: bool = True
    basket: str = "customer"
    rules: RuleParams = field(default_factory=RuleParams)
    random_state: int = 0
    n_jobs: int | None = None
    #: KMeans restarts; None: ``default_n_init`` (each restart is a full run, on Spark a
    #: dozen jobs, so fewer restarts are the first saving on a cluster).
    n_init: int | None = None


def analyze(
    data: PreparedData,
    options: AnalysisOptions = AnalysisOptions(),
    progress: Progress | None = None,
) -> Analysis:
    """Run every stage that the data supports and return the results and a summary."""
    rules = options.rules
    check_thresholds(rules.min_support, rules.min_confidence, rules.max_length)
    clock = StageClock(progress or (lambda _line: None))
    result = Analysis(summary=_base_summary(data, options))
    segmentation = None
    if options.segment and data.shape != "baskets":
        segmentation = _segment(data, options, result, clock)
    if data.purchases.empty:
        result.summary["notes"].append(
            "The data has no product column, so no association rules or top products."
        )
        clock.say("rules: skipped, the data has no product column")
    else:
        _mine(data, options, segmentation, result, clock)
    result.summary["timings"] = clock.timings
    return result


def _base_summary(data: PreparedData, options: AnalysisOptions) -> dict:
    return {
        "shape": data.shape,
        "roles": data.roles,
        "customers": len(data.customers),
        "purchase_rows": len(data.purchases),
        "products": int(data.purchases["product"].nunique()) if len(data.purchases) else 0,
        "cleaning": data.report,
        "cleaning_text": describe_report(data.report),
        "rule_params": vars(options.rules) | {"basket": options.basket},
        "notes": [],
    }


def _segment(
    data: PreparedData, options: AnalysisOptions, result: Analysis, clock: StageClock
) -> Segmentation:
    features = list(options.features or data.features)
    if not features:
        raise DataError("The data has no numeric customer features to segment on.")
    k = options.k
    if k is None:
        suggestion = suggest_k(
            data.customers,
            features,
            scale=options.scale,
            random_state=options.random_state,
            n_init=options.n_init,
        )
        k = suggestion.suggested_k
        result.summary["k_scores"] = suggestion.scores.to_dict("records")
        clock.lap("suggest_k", f"suggested K={k}")
    segmentation = segment_customers(
        data.customers, features, k, options.scale, options.random_state, options.n_init
    )
    result.profiles = profile_segments(data.customers, segmentation, data.feature_kinds)
    names = dict(zip(result.profiles["segment"], result.profiles["name"], strict=True))
    result.segments = segment_table(data.customers, segmentation, names)
    result.summary.update(
        k=k,
        features=features,
        scaled=options.scale,
        inertia=segmentation.inertia,
        silhouette=segmentation.silhouette,
        sizes=result.profiles.set_index("name")["size"].to_dict(),
    )
    clock.lap("segment", f"{k} segments of {len(segmentation.labels):,} customers")
    return segmentation


def segment_table(
    customers: pd.DataFrame, segmentation: Segmentation, names: dict[int, str]
) -> pd.DataFrame:
    """Customer, segment number and name, then every feature value."""
    table = pd.DataFrame(
        {
            "customer": customers.index,
            "segment": segmentation.labels.to_numpy(),
            "segment_name": segmentation.labels.map(names).to_numpy(),
        }
    )
    return pd.concat([table, customers.reset_index(drop=True)], axis=1)


def _mine(
    data: PreparedData,
    options: AnalysisOptions,
    segmentation: Segmentation | None,
    result: Analysis,
    clock: StageClock,
) -> None:
    baskets = build_baskets(data.purchases, options.basket)
    clock.lap("baskets", f"{len(baskets):,} baskets of {len(baskets.products):,} products")
    labels = segmentation.labels if segmentation is not None else None
    names = (
        {}
        if segmentation is None
        else dict(zip(result.profiles["segment"], result.profiles["name"], strict=True))
    )
    reason = no_rules_reason(baskets)
    if reason:  # nothing to mine, whatever the thresholds: say why instead
        mined = {}
        result.summary["notes"].append(reason)
        clock.say(f"rules: none. {reason}")
    else:
        mined = mine_groups(baskets, labels, options.rules, options.n_jobs)
        result.summary["notes"] += small_segment_notes(mined, names)
    clock.lap("mine", f"{sum(len(raw) for _, raw in mined.values()):,} raw rules")
    result.rules = rules_table(mined, baskets, names, options.rules)
    clock.lap("rules_table", f"{len(result.rules):,} rules")
    result.products = top_products(baskets, labels, names)
    clock.lap("top_products", f"{len(result.products):,} rows")
    counts = result.rules.groupby("segment").size() if len(result.rules) else pd.Series()
    result.summary.update(
        baskets=len(baskets),
        rules=len(result.rules),
        rules_per_segment={int(s): int(n) for s, n in counts.items()},
        rules_all_customers=int(counts.get(ALL_CUSTOMERS, 0)),
    )


def small_segment_notes(mined: dict, names: dict[int, str]) -> list[str]:
    """A note for each segment too small to mine (``mined`` maps a segment to its number
    of baskets and rules; both engines word it the same)."""
    return [
        f"{names.get(segment, segment)} has {n_baskets} baskets, fewer than "
        f"{MIN_SEGMENT_BASKETS}, so no rules were mined for it."
        for segment, (n_baskets, _) in mined.items()
        if segment != ALL_CUSTOMERS and n_baskets < MIN_SEGMENT_BASKETS
    ]


class StageClock:
    """Times consecutive stages and reports each as a progress line (both engines use it,
    so their summaries time stages the same way)."""

    def __init__(self, progress: Progress):
        self.progress, self.start, self.timings = progress, time.perf_counter(), {}

    def lap(self, stage: str, detail: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(now - self.start, 3)
        self.start = now
        self.say(f"{stage}: {detail} ({self.timings[stage]:.2f} s)")

    def say(self, line: str) -> None:
        self.progress(line)
