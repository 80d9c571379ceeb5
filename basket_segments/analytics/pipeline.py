"""The whole analysis in one call, for any engine: load, segment, mine, rank products.

The command line runs this with the local engine or Spark; the stages and the
summary are assembled here once, so both engines report the same keys, notes
and stage times. Every stage is timed and said as it finishes.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from basket_segments.analytics.baskets import BASKET_CHOICES
from basket_segments.analytics.cleaning import describe_report
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.mining import check_thresholds
from basket_segments.analytics.rules import ALL_CUSTOMERS
from basket_segments.analytics.stages import (
    AnalysisOptions,
    Engine,
    Mined,
    Say,
    Segments,
    StageClock,
)

NO_PRODUCTS = "The data has no product column, so no association rules or top products."


@dataclass
class Analysis:
    """Everything the analysis found; empty tables where a stage did not apply."""

    segments: pd.DataFrame = field(default_factory=pd.DataFrame)
    profiles: pd.DataFrame = field(default_factory=pd.DataFrame)
    rules: pd.DataFrame = field(default_factory=pd.DataFrame)
    products: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: dict = field(default_factory=dict)


def analyze(
    engine: Engine,
    source: Any,
    options: AnalysisOptions | None = None,
    say: Say | None = None,
) -> Analysis:
    """Run every stage that the data supports and return the results and a summary."""
    options = options or AnalysisOptions()
    rules = options.rules
    check_thresholds(rules.min_support, rules.min_confidence, rules.max_length)
    if options.basket not in BASKET_CHOICES:
        choices = " or one ".join(BASKET_CHOICES)
        raise DataError(f"A basket is one {choices}, not '{options.basket}'.")
    clock = StageClock(say)
    data = engine.load(source, clock)
    result = Analysis(summary=_summary(engine, data, options))
    segments, baskets = None, None
    segmenting = options.segment and data.shape != "baskets"
    if segmenting and data.has_products:
        segments, baskets = _segment_beside_baskets(engine, data, options, result, clock)
    elif segmenting:
        segments = _segment(engine, data, options, result, clock)
    if data.has_products:
        _add_mined(result, engine.mine(data, segments, options, clock, baskets))
    else:
        result.summary["notes"].append(NO_PRODUCTS)
        clock.say("rules: skipped, the data has no product column")
    result.summary["timings"] = clock.timings
    return result


def _summary(engine: Engine, data: Any, options: AnalysisOptions) -> dict:
    return {
        **engine.describe(data),
        "shape": data.shape,
        "roles": data.roles,
        "cleaning": data.report,
        "cleaning_text": describe_report(data.report),
        "rule_params": vars(options.rules) | {"basket": options.basket},
        "notes": [],
    }


def _segment_beside_baskets(
    engine: Engine, data: Any, options: AnalysisOptions, result: Analysis, clock: StageClock
) -> tuple[Segments, Any]:
    """Segments, and meanwhile, in a thread, the baskets: neither needs the other.

    The local engine's KMeans runs in a process of its own, which leaves this one
    waiting (0.4 s on the large benchmark) while the baskets take as long.
    """
    with ThreadPoolExecutor(1, thread_name_prefix="baskets") as pool:
        pending = pool.submit(engine.baskets, data, options, clock)
        segments = _segment(engine, data, options, result, clock)
        return segments, pending.result()


def _segment(
    engine: Engine, data: Any, options: AnalysisOptions, result: Analysis, clock: StageClock
) -> Segments:
    features = list(options.features or data.features)
    if not features:
        raise DataError("The data has no numeric customer features to segment on.")
    k = options.k
    if k is None:
        suggestion = engine.suggest_k(data, features, options, clock)
        k = suggestion.suggested_k
        result.summary["k_scores"] = suggestion.scores.to_dict("records")
        clock.lap("suggest_k", f"suggested K={k}")
    segments = engine.segment(data, features, k, options)
    result.profiles = segments.profiles
    table = engine.segment_table(data, segments)
    if isinstance(table, str):  # the engine wrote it there itself
        result.summary["segments_path"] = table
    else:
        result.segments = table
    result.summary.update(
        k=k,
        features=features,
        scaling=segments.scaling,
        transformations=segments.transformations,
        inertia=segments.inertia,
        silhouette=segments.silhouette,
        sizes=segments.profiles.set_index("name")["size"].to_dict(),
    )
    clock.lap("segment", f"{k} segments of {result.summary['customers']:,} customers")
    return segments


def _add_mined(result: Analysis, mined: Mined) -> None:
    result.rules, result.products = mined.rules, mined.products
    result.summary["notes"] += ([mined.reason] if mined.reason else []) + list(mined.notes)
    counts = mined.rules.groupby("segment").size() if len(mined.rules) else pd.Series()
    result.summary.update(
        baskets=mined.baskets,
        rules=len(mined.rules),
        rules_per_segment={int(s): int(n) for s, n in counts.items()},
        rules_all_customers=int(counts.get(ALL_CUSTOMERS, 0)),
    )
