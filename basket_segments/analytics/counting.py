"""Count the baskets that contain an itemset, for many itemsets at once, fast.

Mining a segment finds its rules; comparing them with all customers needs
the counts of the same itemsets over every basket, which the overall mining
run may not have reached. Single products are counted once, and longer
itemsets by ANDing packed bitsets of the baskets holding each product and
counting the bits, all itemsets of a length in one array operation
(``analytics.itemsets``); pairs the same way, or, when that costs more (many
pairs asked of baskets holding few of the products), all pairs of the products
asked about by one sparse product.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from basket_segments.analytics.baskets import Baskets
from basket_segments.analytics.itemsets import (
    Entries,
    bitsets_of,
    count_candidates,
    entries,
    pairs_by_bitsets,
    sparse_pair_counts,
)


class ItemsetCounter:
    """Basket counts of itemsets over a fixed set of baskets.

    >>> import pandas as pd
    >>> from basket_segments.analytics.baskets import build_baskets
    >>> purchases = pd.DataFrame({"customer": list("aabbc"), "basket": list("12345"),
    ...     "product": ["bread", "milk", "bread", "milk", "milk"]})
    >>> counter = ItemsetCounter(build_baskets(purchases))
    >>> counter.count([0]), counter.count([1]), counter.count([0, 1])
    (2, 3, 2)
    >>> counter.count_many([(1,), (0, 1), (0,)]).tolist()
    [3, 2, 2]
    """

    def __init__(self, baskets: Baskets, items: Iterable[int] | None = None):
        """Index the baskets; with ``items``, only those products can be counted (smaller)."""
        wanted = np.arange(len(baskets.products)) if items is None else np.fromiter(items, int)
        self._items = np.unique(wanted.astype(np.int64))
        self._baskets = baskets
        self._singles = np.bincount(baskets.codes, minlength=len(baskets.products))
        self._pairs: tuple[np.ndarray, np.ndarray] | None = None
        self._bitsets: np.ndarray | None = None
        self._entries: Entries | None = None

    def count(self, itemset: Sequence[int]) -> int:
        """Number of baskets holding every item of ``itemset``."""
        return int(self.count_many([tuple(itemset)])[0])

    def count_many(self, itemsets: Sequence[tuple[int, ...]]) -> np.ndarray:
        """The count of each itemset, in the order given (each itemset's items distinct)."""
        counts = np.zeros(len(itemsets), dtype=np.int64)
        by_length: dict[int, list[int]] = {}
        for position, itemset in enumerate(itemsets):
            by_length.setdefault(len(itemset), []).append(position)
        for length, positions in by_length.items():
            rows = np.array([sorted(itemsets[i]) for i in positions], dtype=np.int64)
            counts[positions] = self._count_length(rows.reshape(len(positions), length))
        return counts

    def _count_length(self, itemsets: np.ndarray) -> np.ndarray:
        """Counts of itemsets of one length (rows of sorted item codes)."""
        if itemsets.shape[1] == 1:
            return self._singles[itemsets[:, 0]]
        if itemsets.shape[1] == 2 and not self._pairs_on_bitsets(len(itemsets)):
            return self._pair_counts(itemsets)
        if self._bitsets is None:
            self._bitsets = bitsets_of(self._held())
        rows = np.searchsorted(self._items, itemsets)
        # Sorted rows put shared prefixes together, which count_candidates ANDs once.
        order = np.lexsort(rows.T[::-1])
        counts = np.empty(len(rows), dtype=np.int64)
        counts[order] = count_candidates(self._bitsets, rows[order])
        return counts

    def _held(self) -> Entries:
        """Where the baskets hold the indexed items (found once)."""
        if self._entries is None:
            self._entries = entries(self._baskets.codes, self._baskets.offsets, self._items)
        return self._entries

    def _pairs_on_bitsets(self, n_pairs: int) -> bool:
        """Whether ``n_pairs`` pairs are counted on bitsets: when they are built already,
        or cost less than the sparse product of all pairs (a few pairs of many baskets)."""
        if self._bitsets is not None:
            return True
        return self._pairs is None and pairs_by_bitsets(self._held(), n_pairs)

    def _pair_counts(self, pairs: np.ndarray) -> np.ndarray:
        """Counts of pairs, looked up among all pairs of the indexed items bought together."""
        if self._pairs is None:
            first, second, counts = sparse_pair_counts(self._held(), self._items)
            self._pairs = (first * len(self._singles) + second, counts)
        keys, counts = self._pairs
        wanted = pairs[:, 0] * len(self._singles) + pairs[:, 1]
        found = np.minimum(np.searchsorted(keys, wanted), max(len(keys) - 1, 0))
        if not len(keys):
            return np.zeros(len(pairs), dtype=np.int64)
        return np.where(keys[found] == wanted, counts[found], 0)
