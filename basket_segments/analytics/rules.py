"""Association rules per segment and for all customers, as one tidy table.

Each group (every segment, plus all customers together) is mined on its own
baskets, in parallel across processes when the data is large enough to pay
for them. The table says how each rule fares in its segment compared with
all customers, whether a simpler rule already says as much (redundancy, as
arules' ``is.redundant``), and what it means in a sentence.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from fractions import Fraction
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

from basket_segments.analytics.baskets import Baskets, split_baskets
from basket_segments.analytics.counting import ItemsetCounter
from basket_segments.analytics.machine import usable_cpus
from basket_segments.analytics.measures import MEASURE_COLUMNS, interest_measures
from basket_segments.analytics.mining import (
    MIN_GROUP_BASKETS,
    GroupRules,
    RawRule,
    StopFile,
    check_thresholds,
    lower_priority,
    min_count,
    mine_coded,
    warm_up,
)
from basket_segments.analytics.progress import Report, ignore, part
from basket_segments.analytics.sentences import (
    BASKETS_SUBJECT,
    join_items,
    rule_subject,
    worded_rule,
)
from basket_segments.analytics.significance import (
    adjust_by_group,
    check_significance,
    fisher_p_values,
)
from basket_segments.analytics.stages import (  # noqa: F401 (also named here, where rules are)
    ALL_CUSTOMERS,
    ALL_CUSTOMERS_NAME,
    MAX_RULES,
    RuleParams,
)

#: A rule with item names: antecedent, consequent, and the counts of baskets holding the
#: whole rule, the antecedent and the consequent.
NamedRule = tuple[tuple[str, ...], tuple[str, ...], int, int, int]
#: Rules measured between two progress reports (each report may cancel the work).
REPORT_EVERY = 50_000
#: Below this many product entries, starting worker processes (about a second) costs more
#: than mining the groups one after another saves: with array counting, the six groups of
#: 5 million entries mine in 0.6 s one after another and 1.4-2.4 s in two processes.
PARALLEL_MIN_ENTRIES = 50_000_000
#: A rule's counts: baskets with both sides, with each side, and in its group.
COUNT_COLUMNS = ["count", "antecedent_count", "consequent_count", "baskets"]
RULE_COLUMNS = [
    "segment",
    "segment_name",
    "antecedent",
    "consequent",
    "support",
    "confidence",
    "lift",
    "leverage",
    "conviction",
    "count",
    "antecedent_count",
    "consequent_count",
    "baskets",
    "lift_vs_all",
    "redundant",
    "sentence",
    # Added after the columns above, which keep their order (scripts read rules.csv).
    "p_value",
    "p_adjusted",
    *MEASURE_COLUMNS,
]


#: Seconds between two ``tick`` calls while another process mines.
TICK_SECONDS = 0.25
#: Seconds the mining worker process waits idle before it exits: long enough to outlast
#: the walk from a segmentation (which starts it: ``start_mining_worker``) to the rules.
IDLE_SECONDS = 60


def mine_rules(
    baskets: Baskets,
    segments: pd.Series | None = None,
    names: Mapping[int, str] | None = None,
    params: RuleParams = RuleParams(),
    n_jobs: int | None = None,
    report: Report | None = None,
) -> pd.DataFrame:
    """Rules of every segment and of all customers, one row each (see ``RULE_COLUMNS``).

    ``segments`` maps customer ids to segment numbers; without it only the
    group of all customers is mined.

    >>> from basket_segments.analytics.baskets import build_baskets
    >>> baskets = [["bread", "milk"]] * 15 + [["tea"]] * 5
    >>> purchases = pd.DataFrame([(f"c{i}", str(i), item) for i, basket in enumerate(baskets)
    ...     for item in basket], columns=["customer", "basket", "product"])
    >>> rules = mine_rules(build_baskets(purchases), params=RuleParams(0.5, 0.5))
    >>> rules[["antecedent", "consequent", "confidence", "lift"]].round(2)
      antecedent consequent  confidence  lift
    0   (bread,)    (milk,)         1.0  1.33
    1    (milk,)   (bread,)         1.0  1.33
    """
    mined = mine_groups(baskets, segments, params, n_jobs, part(report, 0.0, 0.6))
    return rules_table(mined, baskets, names, params, part(report, 0.6, 1.0))


def mine_groups(
    baskets: Baskets,
    segments: pd.Series | None = None,
    params: RuleParams = RuleParams(),
    n_jobs: int | None = None,
    report: Report | None = None,
    isolate: bool = False,
    names: Mapping[int, str] | None = None,
) -> dict[int, GroupRules]:
    """Rules of each group, mined in parallel when worth it.

    Groups with fewer than ``MIN_GROUP_BASKETS`` baskets get no rules. With
    ``isolate`` each group is mined in a worker process even when there is one
    job: mining is pure Python for seconds at a time, and in a web server's
    thread it would hold the interpreter lock that the request threads need.
    """
    check_thresholds(params.min_support, params.min_confidence, params.max_length)
    groups = basket_groups(baskets, segments)
    small = {
        segment: GroupRules(len(offsets) - 1, [])
        for segment, (_, offsets) in groups.items()
        if len(offsets) - 1 < MIN_GROUP_BASKETS
    }
    mineable = {segment: group for segment, group in groups.items() if segment not in small}
    jobs = _job_count(n_jobs, len(mineable), len(baskets.codes))
    arguments = [
        (*selected, params.min_support, params.min_confidence, params.max_length)
        for selected in mineable.values()
    ]
    limits = {
        "min_lift": params.min_lift,
        "single_consequent": params.single_consequent,
        "max_rules": params.max_rules,
    }
    report = report or ignore
    if jobs == 1:
        mined = []
        for done, (segment, args) in enumerate(zip(mineable, arguments, strict=True)):
            label = group_label(segment, names, baskets.anonymous)
            fraction, text = done / len(arguments), f"Finding the rules of {label}"
            report(fraction, text)
            tick = lambda f=fraction, t=text: report(f, t)  # noqa: E731
            if isolate and may_start_processes():
                mined.append(mine_in_a_process(args, limits, tick))
            else:
                mined.append(mine_coded(*args, **limits, tick=tick))
    else:
        from joblib import Parallel, delayed  # here: 0.05 s that one-process minings never need

        report(0.0, f"Finding the rules of {len(arguments)} groups in {jobs} processes")
        mined = Parallel(n_jobs=jobs)(delayed(mine_coded)(*args, **limits) for args in arguments)
    found = dict(zip(mineable, mined, strict=True)) | small
    return {segment: found[segment] for segment in groups}


def mine_in_a_process(args: tuple, limits: dict, tick: Callable[[], None]) -> GroupRules:
    """``mine_coded`` in a reused worker process, ``tick`` called here while it works.

    When ``tick`` raises (Cancel), a stop file tells the worker to stop at its
    next tick, and the exception goes on.
    """
    stop = StopFile(os.path.join(tempfile.gettempdir(), f"basket-segments-stop-{uuid.uuid4().hex}"))
    future = mining_executor().submit(mine_coded, *args, **limits, tick=stop)
    while True:
        try:
            return future.result(timeout=TICK_SECONDS)
        except FutureTimeout:
            pass
        try:
            tick()
        except BaseException:
            Path(stop.path).touch()
            future.add_done_callback(lambda _done: Path(stop.path).unlink(missing_ok=True))
            raise


def start_mining_worker() -> None:
    """Start the mining worker process now, and its imports, without waiting for it, so
    that the first mining finds it ready: starting it took 0.5 s of the first Rules view's
    1.6 s, and its first import of scipy's sparse matrices as much again (the command line,
    which mines in its own process, pays neither)."""
    if may_start_processes():
        mining_executor().submit(warm_up)


def may_start_processes() -> bool:
    """Whether this process may start the mining worker: not in a daemonic process.

    A Celery worker's default (prefork) pool runs each job in a daemonic child,
    which may not have children ("daemonic processes are not allowed to have
    children"): there a job already has a process of its own, away from the web
    server's request threads, so it mines where it is.
    """
    return not multiprocessing.current_process().daemon


def mining_executor():
    """The one reused worker process that mines for this server (started on first use,
    it exits after 10 idle seconds and is started again when needed).

    joblib's executor, not loky's bare one: both are the same process-wide pool, and
    ``Parallel`` (large minings) breaks on a bare one left by an isolated mining
    ("no attribute '_temp_folder_manager'").
    """
    from joblib.executor import get_memmapping_executor

    return get_memmapping_executor(1, timeout=IDLE_SECONDS, initializer=lower_priority)


def group_label(
    segment: int, names: Mapping[int, str] | None = None, anonymous: bool = False
) -> str:
    """A group as the pages name it, for progress texts (a basket file has baskets).

    >>> group_label(-1), group_label(2, {2: "Young"}), group_label(2), group_label(-1, None, True)
    ('all customers', 'Young', 'segment 2', 'all baskets')
    """
    if segment == ALL_CUSTOMERS:
        return "all baskets" if anonymous else "all customers"
    return (names or {}).get(segment, f"segment {segment}")


def rules_table(
    mined: Mapping[int, GroupRules],
    baskets: Baskets,
    names: Mapping[int, str] | None = None,
    params: RuleParams = RuleParams(),
    report: Report | None = None,
) -> pd.DataFrame:
    """The tidy rules table (``RULE_COLUMNS``) from ``mine_groups``' output."""
    report = report or ignore
    labels = {ALL_CUSTOMERS: ALL_CUSTOMERS_NAME, **(names or {})}
    frames = []
    for done, (segment, (n, raw, _left_out)) in enumerate(mined.items()):
        label = group_label(segment, names, baskets.anonymous)
        report(0.8 * done / len(mined), f"Measuring {len(raw):,} rules of {label}")
        name = labels.get(segment, f"Segment {segment}")
        frames.append(_rules_frame(segment, name, n, raw, baskets))
    frames = [frame for frame in frames if len(frame)]
    rules = pd.concat(frames, ignore_index=True) if frames else _empty_rules()
    rules = _add_lift_vs_all(rules, mined, baskets, part(report, 0.8, 1.0))
    return sort_rules(filter_rules(rules, params))


def basket_groups(
    baskets: Baskets, segments: pd.Series | None
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Codes and offsets of the baskets of all customers and of each segment."""
    groups = {ALL_CUSTOMERS: (baskets.codes, baskets.offsets)}
    if segments is None:
        return groups
    basket_segment = segments.reindex(baskets.customers).to_numpy(dtype="float64")
    numbers = sorted(segments.unique())
    which = np.full(len(basket_segment), -1, dtype=np.int64)  # -1: a basket of no segment
    for position, segment in enumerate(numbers):
        which[basket_segment == segment] = position
    split = split_baskets(baskets.codes, baskets.offsets, which, len(numbers))
    groups.update(zip((int(segment) for segment in numbers), split, strict=True))
    return groups


def _job_count(n_jobs: int | None, n_groups: int, n_entries: int) -> int:
    if n_jobs is not None:
        return max(1, min(n_jobs, n_groups))
    if n_entries < PARALLEL_MIN_ENTRIES:
        return 1
    return max(1, min(usable_cpus(), n_groups))


def _rules_frame(
    segment: int, name: str, n_baskets: int, raw: list[RawRule], baskets: Baskets
) -> pd.DataFrame:
    products = baskets.products.tolist()
    names: dict[tuple[int, ...], tuple[str, ...]] = {}  # rules repeat the same item lists

    def named(codes: tuple[int, ...]) -> tuple[str, ...]:
        if codes not in names:
            names[codes] = tuple(products[i] for i in codes)
        return names[codes]

    rules = [(named(lhs), named(rhs), *counts) for lhs, rhs, *counts in raw]
    return rule_frame(segment, name, n_baskets, rules)


def rule_frame(segment: int, name: str, n_baskets: int, rules: Sequence[NamedRule]) -> pd.DataFrame:
    """One group's rules with their measures and redundancy flags, from exact counts.

    Both engines end here, so a rule gets the same measures whichever engine
    counted it; ``lift_vs_all`` and ``sentence`` are added later, and ``p_adjusted``
    by ``filter_rules`` (it depends on which rules of the group are kept).

    >>> rule_frame(0, "Young", 4, [(("tea",), ("jam",), 2, 2, 3)])[["support", "lift"]]
       support      lift
    0      0.5  1.333333
    """
    if not rules:
        return _empty_rules()
    lhs, rhs, count, lhs_count, rhs_count = zip(*rules, strict=True)
    count, lhs_count, rhs_count = (
        np.asarray(c, dtype=np.int64) for c in (count, lhs_count, rhs_count)
    )
    frame = pd.DataFrame(
        {
            "segment": segment,
            "segment_name": name,
            "antecedent": list(lhs),
            "consequent": list(rhs),
            "count": count,
            "antecedent_count": lhs_count,
            "consequent_count": rhs_count,
            "baskets": n_baskets,
        }
    )
    frame["redundant"] = _redundant(lhs, rhs, count, lhs_count)
    return _add_measures(frame)


def _add_measures(frame: pd.DataFrame) -> pd.DataFrame:
    """Support, confidence, lift, leverage and conviction; Fisher's p-value; and
    ``MEASURE_COLUMNS``, all from the counts of baskets."""
    counts = [frame[column].to_numpy() for column in COUNT_COLUMNS]
    frame = frame.assign(p_value=fisher_p_values(*counts), **interest_measures(*counts))
    n = frame["baskets"].astype("float64")
    support = frame["count"] / n
    confidence = frame["count"] / frame["antecedent_count"]
    consequent_share = frame["consequent_count"] / n
    with np.errstate(divide="ignore"):
        conviction = (1 - consequent_share) / (1 - confidence)
    return frame.assign(
        support=support,
        confidence=confidence,
        lift=confidence / consequent_share,
        leverage=support - (frame["antecedent_count"] / n) * consequent_share,
        conviction=conviction.replace(-np.inf, np.inf),
    )


def _redundant(lhs, rhs, count, lhs_count) -> np.ndarray:
    """A rule is redundant if a rule with a smaller antecedent and the same consequent
    has at least its confidence (compared exactly, as counts).

    Item lists are compared sorted (as tuples, faster to hash than sets); the
    smaller antecedents of a sorted one come out of ``combinations`` sorted.

    >>> _redundant([("a",), ("b", "a")], [("c",), ("c",)], [4, 2], [8, 4]).tolist()
    [False, True]
    """
    canonical: dict[tuple, tuple] = {}  # each distinct item list sorted once

    def in_order(items: tuple) -> tuple:
        if items not in canonical:
            canonical[items] = tuple(sorted(items))
        return canonical[items]

    lhs, rhs = [in_order(a) for a in lhs], [in_order(b) for b in rhs]
    count, lhs_count = np.asarray(count).tolist(), np.asarray(lhs_count).tolist()
    confidence = {(a, b): (c, n) for a, b, c, n in zip(lhs, rhs, count, lhs_count, strict=True)}
    flags = np.zeros(len(lhs), dtype=bool)
    for i, (a, b, c, n) in enumerate(zip(lhs, rhs, count, lhs_count, strict=True)):
        for size in range(1, len(a)):
            for general in combinations(a, size):
                found = confidence.get((general, b))
                if found and found[0] * n >= c * found[1]:
                    flags[i] = True
                    break
            if flags[i]:
                break
    return flags


def _add_lift_vs_all(
    rules: pd.DataFrame,
    mined: Mapping[int, GroupRules],
    baskets: Baskets,
    report: Report | None = None,
) -> pd.DataFrame:
    """Lift in the segment divided by the same rule's lift over all customers.

    ``rules`` holds ``mined``'s rules in its order. Rules of all customers compare
    with themselves (1.0); a segment's rule is looked up among them and otherwise
    counted over all baskets, in batches of ``REPORT_EVERY`` rules with a progress
    report (a chance to cancel) between.
    """
    if rules.empty:
        return rules.assign(lift_vs_all=pd.Series(dtype="float64"), sentence="")
    everyone = (rules["segment"] == ALL_CUSTOMERS).to_numpy()
    # Each row's rule as mined, in product codes (``rules`` lists ``mined``'s rules in order).
    keys = [(lhs, rhs) for group in mined.values() for lhs, rhs, *_ in group.rules]
    lifts = rules["lift"].tolist()
    known = {key: lift for key, lift, own in zip(keys, lifts, everyone, strict=True) if own}
    missing = list(dict.fromkeys(key for key in keys if key not in known))
    if missing:
        known.update(_lifts_over_all(missing, baskets, report or ignore))
    overall = np.array([known[key] for key in keys], dtype=np.float64)
    with_lift = rules.assign(lift_vs_all=np.where(everyone, 1.0, rules["lift"] / overall))
    return add_sentences(with_lift, baskets.anonymous)


def _lifts_over_all(
    keys: list[tuple[tuple[int, ...], tuple[int, ...]]], baskets: Baskets, report: Report
) -> dict:
    """Each rule's lift over all baskets, from counts of its sides and of the whole rule
    (sides are sorted product codes, as mined).

    Rules share item lists (every rule of an itemset has it as its whole rule), so each
    distinct list is counted once.
    """
    sides = [(tuple(sorted(left + right)), left, right) for left, right in keys]
    itemsets = list(dict.fromkeys(itemset for side in sides for itemset in side))
    counter = ItemsetCounter(baskets, {code for itemset in itemsets for code in itemset})
    counts: dict[tuple[int, ...], int] = {}
    for start in range(0, len(itemsets), REPORT_EVERY):
        report(
            start / len(itemsets),
            f"Comparing the segments' rules with all customers ({start:,} of "
            f"{len(itemsets):,} product lists)",
        )
        batch = itemsets[start : start + REPORT_EVERY]
        counts.update(zip(batch, counter.count_many(batch).tolist(), strict=True))
    n = len(baskets)
    return {
        key: counts[whole] * n / (counts[left] * counts[right])
        for key, (whole, left, right) in zip(keys, sides, strict=True)
    }


def add_sentences(rules: pd.DataFrame, anonymous: bool = False) -> pd.DataFrame:
    """Each rule in words, as the dashboard and rules.csv show it; the rules of
    ``anonymous`` baskets (a basket file) speak of baskets, not customers.

    Who a segment speaks of, and each list of products, is worded once and
    reused: tables repeat the same segments and product lists in many rules.
    """
    subjects = {
        (name, own): BASKETS_SUBJECT if anonymous else rule_subject(name, own)
        for name, own in set(
            zip(rules["segment_name"], rules["segment"] == ALL_CUSTOMERS, strict=True)
        )
    }
    phrases: dict[tuple[str, ...], str] = {}

    def phrase(items: tuple[str, ...]) -> str:
        if items not in phrases:
            phrases[items] = join_items(items)
        return phrases[items]

    sentences = [
        worded_rule(subjects[name, own], phrase(left), phrase(right), confidence, lift)
        for name, own, left, right, confidence, lift in zip(
            rules["segment_name"].tolist(),  # lists: iterating pandas' text is slow
            (rules["segment"] == ALL_CUSTOMERS).tolist(),
            rules["antecedent"].tolist(),
            rules["consequent"].tolist(),
            rules["confidence"].tolist(),
            rules["lift"].tolist(),
            strict=True,
        )
    ]
    return rules.assign(sentence=sentences)


def filter_rules(rules: pd.DataFrame, params: RuleParams) -> pd.DataFrame:
    """Rules meeting ``params`` (inclusive), in the order given, from a table mined looser.

    Support and confidence are compared as counts, so a rule exactly at a
    threshold stays, as it would if mined at that threshold. Every test is on
    arrays and the order is kept, so filtering a mined table (which
    ``rules_table`` sorts strongest first) is fast enough for every click.

    The p-values are then corrected over the rules kept in each group
    (``params.correction``), as if mined at these thresholds, and with
    ``params.significance`` only rules whose corrected p-value is at most that stay
    (arules' ``is.significant``). Filter a table mined without a significance
    filter: the correction counts the rules that table holds.
    """
    check_thresholds(params.min_support, params.min_confidence, params.max_length)
    check_significance(params.significance, params.correction)
    if rules.empty:
        return rules
    kept = rules.take(np.flatnonzero(_meets_thresholds(rules, params)))
    kept.index = pd.RangeIndex(len(kept))
    kept["p_adjusted"] = adjust_by_group(
        kept["p_value"].to_numpy(), kept["segment"].to_numpy(), params.correction
    )
    if params.significance is not None:
        kept = kept[kept["p_adjusted"].to_numpy() <= params.significance].reset_index(drop=True)
    return kept if kept.columns.tolist() == RULE_COLUMNS else kept[RULE_COLUMNS]


def _meets_thresholds(rules: pd.DataFrame, params: RuleParams) -> np.ndarray:
    """Which rules meet the support, confidence, lift and length of ``params`` (on arrays:
    each click's view filters a segment's thousands of rules)."""
    baskets, where = np.unique(rules["baskets"].to_numpy(dtype=np.int64), return_inverse=True)
    needed = np.array([min_count(params.min_support, int(n)) for n in baskets], dtype=np.int64)
    confidence = Fraction(str(params.min_confidence))
    count = rules["count"].to_numpy(dtype=np.int64)
    keep = (count >= needed[where.reshape(-1)]) & (
        count * confidence.denominator
        >= confidence.numerator * rules["antecedent_count"].to_numpy(dtype=np.int64)
    )
    keep &= rules["lift"].to_numpy(dtype=float) >= params.min_lift
    consequent_sizes = side_lengths(rules["consequent"])
    keep &= side_lengths(rules["antecedent"]) + consequent_sizes <= params.max_length
    if params.single_consequent:
        keep &= consequent_sizes == 1
    return keep


def side_lengths(sides: pd.Series) -> np.ndarray:
    """How many products each rule's side (a tuple) holds.

    >>> side_lengths(pd.Series([("tea",), ("tea", "jam")])).tolist()
    [1, 2]
    """
    return np.fromiter(map(len, sides.to_numpy(dtype=object)), dtype=np.int64, count=len(sides))


def sort_rules(rules: pd.DataFrame) -> pd.DataFrame:
    """Rules by segment, then strongest first: confidence, lift, count, then by name."""
    return rules.sort_values(
        ["segment", "confidence", "lift", "count", "antecedent", "consequent"],
        ascending=[True, False, False, False, True, True],
        kind="stable",
        ignore_index=True,
    )


def _empty_rules() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype="object") for column in RULE_COLUMNS})
