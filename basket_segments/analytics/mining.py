"""Run efficient-apriori on coded baskets with exact, inclusive thresholds.

efficient-apriori compares float ratios; we turn the support threshold into a
whole number of baskets and re-check confidence with exact fractions, so a
rule whose support or confidence equals the threshold is always kept.
"""

from __future__ import annotations

import heapq
import math
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from efficient_apriori.rules import generate_rules_apriori

from basket_segments.analytics import itemsets
from basket_segments.analytics.errors import DataError

if TYPE_CHECKING:  # a mining worker process imports this module: no pandas there
    from basket_segments.analytics.baskets import Baskets

#: Baskets an itemset must at least be in. One basket shows no association, and two are
#: a coincidence: in a small segment of big baskets (23 customers with hundreds of
#: products each, in online retail), count 2 makes 1.25 million rules and a 70 s wait;
#: count 3 makes 43 thousand in 2 s. Any support of 3 baskets or more is unaffected.
MIN_ITEMSET_COUNT = 3
#: Baskets a group (a segment, or all customers) needs for its rules to mean anything:
#: in fewer, every product of a few shared baskets is "bought together" (3 identical
#: baskets of 100 products make 980 thousand rules of confidence 1 and a 1.2 GB peak).
MIN_GROUP_BASKETS = 20
#: Rules generated between two calls of ``tick`` (a chance to cancel).
TICK_EVERY = 100_000
#: Most candidate itemsets of one length we count before asking for higher thresholds.
MAX_CANDIDATES = 1_000_000
#: Most rules the frequent itemsets of one group may make before we ask for higher
#: thresholds instead of weighing them all: 23 customers of online retail with hundreds
#: of products each make 47 million at support 0.05 and length 10, 341 s of work.
MAX_RULE_CANDIDATES = 2_000_000

#: A mined rule: antecedent codes, consequent codes, and the counts of
#: baskets holding the whole rule, the antecedent and the consequent.
RawRule = tuple[tuple[int, ...], tuple[int, ...], int, int, int]


def lower_priority() -> None:
    """The mining worker process's initializer: its CPU priority is the job thread's that
    started it (a process inherits its creator's niceness, ``jobs.JOB_NICENESS``), so
    there is nothing to change; the command line's workers are as nice as it is.

    The initializer lives here, beside ``mine_coded``, so that a new worker process
    imports this module alone (numpy, efficient-apriori) and not pandas: the first
    mining in a server starts a worker, and its imports are part of the wait.
    """


def warm_up() -> None:
    """Import in a new worker process what its first mining needs: scipy's sparse matrices
    (pair counts) took 0.5-1 s of the first mining after the worker had started."""
    from scipy import sparse  # noqa: F401


class Stopped(Exception):
    """Mining in another process stopped because its ``StopFile`` appeared."""


@dataclass(frozen=True)
class StopFile:
    """A ``tick`` for mining in another process: it stops once ``path`` exists.

    The process that asked for the mining creates the file to cancel it (the
    dashboard's Cancel button), since it cannot reach into the other process.
    """

    path: str

    def __call__(self) -> None:
        if os.path.exists(self.path):
            raise Stopped


class GroupRules(NamedTuple):
    """What mining one group found: its number of baskets, its rules, and how many
    weaker rules were left out to stay within the rule limit."""

    baskets: int
    rules: list[RawRule]
    left_out: int = 0


def min_count(min_support: float, n_baskets: int) -> int:
    """Fewest baskets an itemset must be in to reach ``min_support`` (inclusive).

    Never fewer than ``MIN_ITEMSET_COUNT`` baskets: in a small segment a low
    support would otherwise make every subset of every basket "frequent".

    >>> min_count(0.001, 9835), min_count(0.5, 10), min_count(0.01, 50)
    (10, 5, 3)
    """
    return max(MIN_ITEMSET_COUNT, math.ceil(Fraction(str(min_support)) * n_baskets))


def no_rules_reason(baskets: Baskets) -> str | None:
    """Why these baskets can hold no rule whatever the thresholds, or None if they can.

    A rule needs two products bought together in at least ``MIN_ITEMSET_COUNT``
    baskets; data with one product, one basket, one product per basket, or
    products each bought once has none, and saying so beats an empty table.

    >>> import pandas as pd
    >>> from basket_segments.analytics.baskets import build_baskets
    >>> purchases = pd.DataFrame({"customer": ["a", "b"], "basket": ["1", "2"],
    ...                           "product": ["milk", "milk"]})
    >>> no_rules_reason(build_baskets(purchases)).split(",")[0]
    'Every purchase is of one product (milk)'
    """
    if len(baskets.products) == 1:
        return (
            f"Every purchase is of one product ({baskets.products[0]}), so no products are "
            "bought together and there are no rules to find."
        )
    needed = max(MIN_GROUP_BASKETS, MIN_ITEMSET_COUNT)
    if len(baskets) < needed:
        count = "a single basket" if len(baskets) == 1 else f"only {len(baskets)} baskets"
        return (
            f"All purchases form {count}, and rules need at least {needed} "
            "baskets to tell a pattern from a coincidence; there are no rules to find."
        )
    if baskets.sizes.max() < 2:
        return "No basket holds more than one product, so there are no rules to find."
    if np.bincount(baskets.codes).max() < MIN_ITEMSET_COUNT:
        return (
            f"No product is in more than one of the {len(baskets):,} baskets "
            f"({len(baskets.products):,} products, each bought once), so there are no rules "
            "to find."
        )
    return None


def check_thresholds(min_support: float, min_confidence: float, max_length: int) -> None:
    """Raise a ``DataError`` naming the first threshold out of range."""
    if not 0 < min_support <= 1:
        raise DataError(f"min_support must be above 0 and at most 1, not {min_support}.")
    if not 0 <= min_confidence <= 1:
        raise DataError(f"min_confidence must be between 0 and 1, not {min_confidence}.")
    if not isinstance(max_length, int) or max_length < 2:
        raise DataError(f"max_length must be a whole number of at least 2, not {max_length}.")


def mine_coded(
    codes: np.ndarray,
    offsets: np.ndarray,
    min_support: float,
    min_confidence: float,
    max_length: int,
    *,
    min_lift: float = 0.0,
    single_consequent: bool = False,
    max_rules: int | None = None,
    tick: Callable[[], None] | None = None,
) -> GroupRules:
    """Mine rules from one group of baskets.

    At most ``max_rules`` rules are kept (None: all), the strongest by
    confidence, then lift, then count, as tables list them; the limit holds
    while rules are generated, so memory stays bounded however many the
    thresholds allow. ``tick`` is called between steps and every
    ``TICK_EVERY`` rules; it may raise to stop the work (the dashboard's
    Cancel button).

    >>> codes, offsets = np.array([0, 1, 0, 1, 0, 1, 0]), np.array([0, 2, 4, 6, 7])
    >>> found = mine_coded(codes, offsets, 0.5, 0.6, 2)
    >>> found.baskets, sorted(found.rules)
    (4, [((0,), (1,), 3, 4, 3), ((1,), (0,), 3, 3, 4)])
    >>> mine_coded(codes, offsets, 0.5, 0.6, 2, max_rules=1)
    GroupRules(baskets=4, rules=[((1,), (0,), 3, 3, 4)], left_out=1)
    """
    check_thresholds(min_support, min_confidence, max_length)
    n_baskets = len(offsets) - 1
    if n_baskets == 0:
        return GroupRules(0, [])
    threshold = min_count(min_support, n_baskets)
    tick = tick or _no_tick
    found = frequent_itemsets(codes, offsets, threshold, max_length, tick)
    tick()
    if not found:
        return GroupRules(n_baskets, [])
    _check_rule_candidates(found, n_baskets, single_consequent)
    generated = candidate_rules(found, min_confidence, n_baskets, single_consequent)
    # Exact confidence in whole numbers: count * denominator >= numerator * antecedent count.
    numerator, denominator = Fraction(str(min_confidence)).as_integer_ratio()

    def passing() -> Iterator[RawRule]:
        for seen, rule in enumerate(generated, start=1):
            if seen % TICK_EVERY == 0:
                tick()
            _, rhs, count, lhs_count, rhs_count = rule
            if (
                count * denominator >= numerator * lhs_count
                and (not single_consequent or len(rhs) == 1)
                and count * n_baskets >= min_lift * lhs_count * rhs_count
            ):
                yield rule

    return strongest(passing(), n_baskets, max_rules)


def candidate_rules(
    found: dict[int, dict[tuple[int, ...], int]],
    min_confidence: float,
    n_baskets: int,
    single_consequent: bool,
) -> Iterator[RawRule]:
    """Rules from counted itemsets that may reach ``min_confidence``; the caller compares exactly.

    efficient-apriori's ``generate_rules_apriori`` grows consequents level by
    level; with one product on the right, each itemset's few rules are simply
    read off the counts, which skips its many larger consequents.
    """
    if single_consequent:
        yield from _single_consequent_rules(found)
        return
    # Mine a hair below the confidence threshold, so float rounding never drops a rule.
    generated = generate_rules_apriori(found, max(0.0, min_confidence - 1e-9), n_baskets)
    for rule in generated:
        yield rule.lhs, rule.rhs, rule.count_full, rule.count_lhs, rule.count_rhs


def _single_consequent_rules(found: dict[int, dict[tuple[int, ...], int]]) -> Iterator[RawRule]:
    """Every rule with one product on the right, its counts looked up among the itemsets.

    >>> found = {1: {(0,): 3, (1,): 2}, 2: {(0, 1): 2}}
    >>> list(_single_consequent_rules(found))
    [((1,), (0,), 2, 2, 3), ((0,), (1,), 2, 3, 2)]
    """
    singles = found.get(1, {})
    for length in range(2, max(found, default=0) + 1):
        smaller = found[length - 1]
        for itemset, count in found.get(length, {}).items():
            for i, item in enumerate(itemset):
                lhs = itemset[:i] + itemset[i + 1 :]
                yield lhs, (item,), count, smaller[lhs], singles[(item,)]


def strongest(rules: Iterable[RawRule], n_baskets: int, limit: int | None) -> GroupRules:
    """The ``limit`` strongest rules (all when None), holding no more than that at once.

    Strength is confidence, then lift, then count; among equals the rule with
    the smaller codes wins, so the kept set never depends on generation order.

    >>> rules = [((0,), (1,), 2, 4, 2), ((1,), (0,), 2, 2, 4), ((2,), (0,), 2, 2, 4)]
    >>> strongest(rules, 4, 2)
    GroupRules(baskets=4, rules=[((1,), (0,), 2, 2, 4), ((2,), (0,), 2, 2, 4)], left_out=1)
    """
    if limit is None:
        return GroupRules(n_baskets, list(rules))
    heap: list[tuple] = []
    seen = 0
    for rule in rules:
        seen += 1
        lhs, rhs, count, lhs_count, rhs_count = rule
        key = (count / lhs_count, count * n_baskets / (lhs_count * rhs_count), count)
        entry = (*key, _Reversed((lhs, rhs)), rule)
        if len(heap) < limit:
            heapq.heappush(heap, entry)
        elif entry > heap[0]:
            heapq.heapreplace(heap, entry)
    kept = [entry[-1] for entry in sorted(heap, reverse=True)]
    return GroupRules(n_baskets, kept, seen - len(kept))


class _Reversed:
    """Orders like its value, backwards: in a heap of the strongest, smaller codes win ties."""

    __slots__ = ("value",)

    def __init__(self, value: tuple) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return self.value > other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.value == other.value


def _no_tick() -> None:
    """Nobody is waiting to cancel."""


def frequent_itemsets(
    codes: np.ndarray,
    offsets: np.ndarray,
    threshold: int,
    max_length: int,
    tick: Callable[[], None] | None = None,
) -> dict[int, dict[tuple[int, ...], int]]:
    """Itemsets in at least ``threshold`` baskets, by length, as efficient-apriori counts them.

    Efficient-apriori's level-wise loop (candidates by its join and prune
    steps), counted with arrays (``analytics.itemsets``), and one addition: it
    stops with a clear message when a level would count more than
    ``MAX_CANDIDATES`` itemsets, instead of running for hours.

    >>> codes, offsets = np.array([1, 3, 4, 2, 3, 5, 1, 2, 3, 5, 2, 5]), np.array([0, 3, 6, 10, 12])
    >>> frequent_itemsets(codes, offsets, 2, 3)[3]
    {(2, 3, 5): 2}
    """
    tick = tick or _no_tick
    singles = itemsets.frequent_singles(codes, threshold)
    found = {1: singles} if singles else {}
    if max_length < 2 or len(singles) < 2:
        return found
    items = np.array([item for (item,) in singles], dtype=np.int64)
    n_pairs = len(items) * (len(items) - 1) // 2
    _check_candidates(n_pairs, 2)
    held = itemsets.entries(codes, offsets, items)
    bitsets = itemsets.bitsets_of(held) if itemsets.pairs_by_bitsets(held, n_pairs) else None
    if bitsets is None:
        first, second, counts = itemsets.sparse_pair_counts(held, items)
    else:
        first, second, counts = itemsets.bitset_pair_counts(bitsets, items)
    frequent = counts >= threshold
    level, counts = np.column_stack([first[frequent], second[frequent]]), counts[frequent]
    tick()
    if len(level):
        found[2] = _as_dict(level, counts)
    if max_length < 3 or not len(level):
        return found
    if bitsets is None:  # the bitsets of the items left in frequent pairs only
        paired = np.unique(level)
        bitsets = itemsets.bitsets_of(held.only(np.searchsorted(items, paired)))
        items = paired
    for length in range(3, max_length + 1):
        candidates = itemsets.next_candidates(level, MAX_CANDIDATES)
        if candidates is None:
            _check_candidates(MAX_CANDIDATES + 1, length)
        counts = itemsets.count_level(bitsets, np.searchsorted(items, candidates), tick)
        level, counts = candidates[counts >= threshold], counts[counts >= threshold]
        if not len(level):
            break
        found[length] = _as_dict(level, counts)
    return found


def _as_dict(level: np.ndarray, counts: np.ndarray) -> dict[tuple[int, ...], int]:
    """Rows of codes and their counts as efficient-apriori's {itemset: count}."""
    return dict(zip(map(tuple, level.tolist()), counts.tolist(), strict=True))


def possible_rules(lengths: Iterable[tuple[int, int]], single_consequent: bool) -> int:
    """Rules that itemsets can make, given (length, number of itemsets) pairs: each
    itemset of length s splits into 2^s - 2 rules, or s with one product on the right.

    >>> possible_rules([(1, 10), (2, 4), (3, 1)], False), possible_rules([(3, 1)], True)
    (14, 3)
    """
    return sum(
        number * (length if single_consequent else 2**length - 2)
        for length, number in lengths
        if length > 1
    )


def _check_rule_candidates(
    found: dict[int, dict[tuple[int, ...], int]], n_baskets: int, single_consequent: bool
) -> None:
    """Stop with advice before weighing more than ``MAX_RULE_CANDIDATES`` possible rules."""
    possible = possible_rules(((k, len(v)) for k, v in found.items()), single_consequent)
    if possible > MAX_RULE_CANDIDATES:
        raise DataError(
            f"These thresholds make {possible:,} possible rules in a group of {n_baskets:,} "
            f"baskets, more than the {MAX_RULE_CANDIDATES:,} we weigh; raise the minimum "
            "support or lower the maximum rule length."
        )


def _check_candidates(count: int, length: int) -> None:
    """Stop with advice when one level has too many candidate itemsets to count."""
    if count > MAX_CANDIDATES:
        raise DataError(
            f"These thresholds make over {MAX_CANDIDATES:,} combinations of {length} "
            "products to count; raise the minimum support or lower the maximum rule length."
        )
