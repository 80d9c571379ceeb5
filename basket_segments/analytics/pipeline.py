"""The whole analysis in one call, for any engine: load, segment, mine, rank products.

The command line runs this with the local engine or Spark; the stages and the
summary are assembled here once, so both engines report the same keys, notes
and stage times. Every stage is timed and said as it finishes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from basket_segments.analytics.baskets import BASKET_CHOICES
from basket_segments.analytics.cleaning import describe_report
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.machine import side_threads
from basket_segments.analytics.mining import check_thresholds
from basket_segments.analytics.progress import part
from basket_segments.analytics.rules import ALL_CUSTOMERS
from basket_segments.analytics.significance import check_significance
from basket_segments.analytics.stages import (
    AnalysisOptions,
    Engine,
    Mined,
    Say,
    Segments,
    StageClock,
)

NO_PRODUCTS = "The data has no product column, so no association rules or top products."
PERIODS_NEED_SEGMENTS = "Comparing periods needs segments; leave out --no-segments."


@dataclass
class Analysis:
    """Everything the analysis found; empty tables where a stage did not apply."""

    segments: pd.DataFrame = field(default_factory=pd.DataFrame)
    profiles: pd.DataFrame = field(default_factory=pd.DataFrame)
    rules: pd.DataFrame = field(default_factory=pd.DataFrame)
    products: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: dict = field(default_factory=dict)
    #: With ``AnalysisOptions.periods``: each period's segments (``OverTime.by_period``),
    #: the migration (``migration.migration_table``), and each period's rules and top
    #: products, with a ``period`` column.
    segments_by_period: pd.DataFrame = field(default_factory=pd.DataFrame)
    migration: pd.DataFrame = field(default_factory=pd.DataFrame)
    rules_by_period: pd.DataFrame = field(default_factory=pd.DataFrame)
    products_by_period: pd.DataFrame = field(default_factory=pd.DataFrame)


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
    check_significance(rules.significance, rules.correction)
    if options.basket not in BASKET_CHOICES:
        choices = " or one ".join(BASKET_CHOICES)
        raise DataError(f"A basket is one {choices}, not '{options.basket}'.")
    _check_periods(options)
    clock = StageClock(say)
    data = engine.load(source, clock)
    cut = engine.cut_periods(data, options.periods) if options.periods is not None else None
    result = Analysis(summary=_summary(engine, data, options))
    segments, baskets = None, None
    segmenting = options.segment and data.shape != "baskets"
    if segmenting and data.has_products:
        segments, baskets = _segment_beside_baskets(engine, data, options, result, clock)
    elif segmenting:
        segments = _segment(engine, data, options, result, clock)
    found = _compare_periods(engine, data, cut, options, result, clock) if cut else None
    if data.has_products:
        _add_mined(result, engine.mine(data, segments, options, clock, baskets))
        if found is not None:
            _mine_periods(engine, data, cut, found, options, result, clock)
    else:
        result.summary["notes"].append(NO_PRODUCTS)
        clock.say("rules: skipped, the data has no product column")
    result.summary["timings"] = clock.timings
    return result


def _check_periods(options: AnalysisOptions) -> None:
    """Refuse, before any work, periods the run cannot compare."""
    if options.periods is not None and not options.segment:
        raise DataError(PERIODS_NEED_SEGMENTS)


def _compare_periods(
    engine: Engine,
    data: Any,
    cut: Any,
    options: AnalysisOptions,
    result: Analysis,
    clock: StageClock,
) -> Any:
    """Segments fitted on the reference period, with the K and features of the whole
    file's, and every period placed in them (``over_time.segments_over_time``)."""
    summary = result.summary
    found = engine.over_time(data, cut, summary["features"], summary["k"], options)
    result.segments_by_period, result.migration = found.by_period, found.migration
    counts = found.by_period.groupby("period", sort=False)["segment_name"]
    summary["periods"] = {
        "labels": list(found.periods.labels),
        "reference": found.periods.labels[found.reference],
        "customers": {label: int(n) for label, n in counts.size().items()},
        "sizes": {
            label: counts.get_group(label).value_counts().to_dict() for label in counts.groups
        },
    }
    reference = found.periods.labels[found.reference]
    clock.lap("over_time", f"{len(found.periods)} periods, segments fitted on {reference}")
    return found


def _mine_periods(
    engine: Engine,
    data: Any,
    cut: Any,
    found: Any,
    options: AnalysisOptions,
    result: Analysis,
    clock: StageClock,
) -> None:
    """Each period's rules and top products into ``result`` (``mine_periods``)."""
    mined = mine_periods(engine, data, cut, found, options, clock)
    result.rules_by_period, result.products_by_period = mined.rules, mined.products
    result.summary["notes"] += list(mined.notes)
    count = len(found.periods)
    clock.lap("rules_by_period", f"{len(mined.rules):,} rules in {count} periods")


@dataclass(frozen=True)
class PeriodsMined:
    """Every period's rules and top products, each with its ``period`` column first, and
    the notes of the mining, each naming its period."""

    rules: pd.DataFrame
    products: pd.DataFrame
    notes: tuple[str, ...] = ()


def mine_periods(
    engine: Any, data: Any, cut: Any, found: Any, options: AnalysisOptions, clock: StageClock
) -> PeriodsMined:
    """Each period's rules and top products, mined as the whole file's are, from that
    period's baskets, in the segments fitted on the reference period (each customer in
    the segment the period placed them in). The command line's ``rules_by_period.csv``
    and the Over time page's products and rules per period both come from here; each
    period fills its share of ``clock``'s progress."""
    rules, products, notes = [], [], []
    labels = found.periods.labels
    for number, label in enumerate(labels):
        report = part(clock.report, number / len(labels), (number + 1) / len(labels))
        report(0.0, f"Mining the rules of {label}")
        period_data, segments = engine.period(data, cut, found, number)
        inner = StageClock(lambda line, label=label: clock.say(f"{label}: {line}"), report)
        mined = engine.mine(period_data, segments, options, inner)
        rules.append(mined.rules.assign(period=label))
        products.append(mined.products.assign(period=label))
        said = ([mined.reason] if mined.reason else []) + list(mined.notes)
        notes += [f"{label}: {note}" for note in said]
    return PeriodsMined(
        _period_first(pd.concat(rules, ignore_index=True)),
        _period_first(pd.concat(products, ignore_index=True)),
        tuple(notes),
    )


def _period_first(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its ``period`` column first."""
    return table[["period", *[c for c in table.columns if c != "period"]]]


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
    with side_threads(1, "baskets") as pool:
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
