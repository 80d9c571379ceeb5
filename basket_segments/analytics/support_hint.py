"""Which lower min support would give some rules, without mining again.

A basket file at the Rules page's default thresholds often gives no rule or one,
and the analyst is left guessing at a support. The counts of every pair of
products (one sparse product of the basket matrix, made with the mining) say
exactly how many two-product rules each lower support gives; longer rules only
add to that, so the count is a floor ("at least 42 rules").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from basket_segments.analytics.baskets import Baskets

#: The supports a hint may name, highest first (the Rules page takes 0.001 and up).
SUPPORT_LADDER = (0.03, 0.02, 0.01, 0.005, 0.002, 0.001)
#: Fewer rules than this is "few": the page then names a support that gives more.
FEW_RULES = 10


@dataclass(frozen=True)
class PairCounts:
    """Baskets holding each pair of products (those in at least ``floor`` baskets), and
    the baskets holding each product of the pair."""

    n_baskets: int
    pair: np.ndarray
    first: np.ndarray
    second: np.ndarray
    floor: int

    def two_product_rules(self, support: float, confidence: float, lift: float) -> int:
        """Rules "A then B" of two products at these thresholds (both directions of a
        pair), exactly; None of them exists below the counted floor.

        >>> pairs = PairCounts(10, np.array([4]), np.array([5]), np.array([8]), 1)
        >>> pairs.two_product_rules(0.3, 0.5, 1.0), pairs.two_product_rules(0.3, 0.6, 0.0)
        (2, 1)
        >>> pairs.two_product_rules(0.5, 0.0, 0.0)
        0
        """
        n = self.n_baskets
        together = self.pair.astype("float64")
        frequent = together >= support * n - 1e-9
        count = 0
        for given, then in ((self.first, self.second), (self.second, self.first)):
            sure = together / given
            lifted = sure * n / then
            count += int((frequent & (sure >= confidence - 1e-12) & (lifted >= lift - 1e-12)).sum())
        return count


def count_pairs(baskets: Baskets, lowest_support: float = SUPPORT_LADDER[-1]) -> PairCounts:
    """Every pair of products bought together in at least ``lowest_support`` of the
    baskets, with its count and the counts of its two products.

    >>> from basket_segments.analytics.baskets import build_baskets
    >>> import pandas as pd
    >>> rows = [("a", "tea"), ("a", "jam"), ("b", "tea"), ("b", "jam"), ("c", "tea")]
    >>> found = count_pairs(build_baskets(pd.DataFrame(rows, columns=["customer", "product"])))
    >>> found.pair.tolist(), found.first.tolist(), found.second.tolist()
    ([2], [2], [3])
    """
    from scipy import sparse  # as mining: basket files need no scikit-learn

    n = len(baskets)
    floor = max(1, math.ceil(lowest_support * n - 1e-9))
    counts = np.bincount(baskets.codes, minlength=len(baskets.products))
    keep = np.flatnonzero(counts >= floor)
    column = np.full(len(counts), -1, dtype=np.int64)
    column[keep] = np.arange(len(keep))
    coded = column[baskets.codes]
    row = np.repeat(np.arange(n), np.diff(baskets.offsets))
    wanted = coded >= 0
    matrix = sparse.csr_matrix(
        (np.ones(int(wanted.sum()), dtype=np.int32), (row[wanted], coded[wanted])),
        shape=(n, len(keep)),
    )
    together = sparse.triu(matrix.T @ matrix, k=1).tocoo()
    frequent = together.data >= floor
    first, second = keep[together.row[frequent]], keep[together.col[frequent]]
    return PairCounts(n, together.data[frequent], counts[first], counts[second], floor)


def support_hint(
    rules_at: Sequence[tuple[float, int, bool]], support: float, shown: int
) -> str | None:
    """A sentence naming the highest lower support that gives at least ``FEW_RULES``
    rules, when fewer are shown; ``rules_at`` holds (support, rules, exact) per rung of
    ``SUPPORT_LADDER`` (exact: counted from the stored rules; else a floor from pairs).

    >>> support_hint([(0.02, 3, True), (0.01, 42, False)], 0.05, 1)
    'Only 1 rule meets these thresholds. At min support 0.01: at least 42 rules.'
    >>> support_hint([(0.02, 12, True)], 0.05, 0)
    'No rule meets these thresholds. At min support 0.02: 12 rules.'
    >>> support_hint([(0.02, 12, True)], 0.05, 10) is None
    True
    """
    if shown >= FEW_RULES:
        return None
    for level, rules, exact in rules_at:
        if level < support and rules >= FEW_RULES:
            now = {0: "No rule meets", 1: "Only 1 rule meets"}.get(
                shown, f"Only {shown} rules meet"
            )
            floor = "" if exact else "at least "
            return f"{now} these thresholds. At min support {level:g}: {floor}{rules:,} rules."
    return None
