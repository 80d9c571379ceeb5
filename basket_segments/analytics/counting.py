"""Count the baskets that contain an itemset, for any itemset, fast.

Mining a segment finds its rules; comparing them with all customers needs
the counts of the same itemsets over every basket, which the overall mining
run may not have reached. Each product keeps the sorted numbers of the
baskets holding it; an itemset's count is the size of their intersection.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from basket_segments.analytics.baskets import Baskets


class ItemsetCounter:
    """Basket counts of itemsets over a fixed set of baskets, memoised.

    >>> import pandas as pd
    >>> from basket_segments.analytics.baskets import build_baskets
    >>> purchases = pd.DataFrame({"customer": list("aabbc"), "basket": list("12345"),
    ...     "product": ["bread", "milk", "bread", "milk", "milk"]})
    >>> counter = ItemsetCounter(build_baskets(purchases))
    >>> counter.count([0]), counter.count([1]), counter.count([0, 1])
    (2, 3, 2)
    """

    def __init__(self, baskets: Baskets, items: Iterable[int] | None = None):
        """Index the baskets; with ``items``, only those products can be counted (faster)."""
        owners = np.repeat(np.arange(len(baskets), dtype=np.int64), baskets.sizes)
        codes = baskets.codes
        if items is not None:
            wanted = np.isin(codes, np.fromiter(items, dtype=np.int64))
            owners, codes = owners[wanted], codes[wanted]
        order = np.argsort(codes, kind="stable")
        counts = np.bincount(codes, minlength=len(baskets.products))
        bounds = np.concatenate([[0], np.cumsum(counts)])
        sorted_owners = owners[order]
        self._holders = [sorted_owners[bounds[i] : bounds[i + 1]] for i in range(len(counts))]
        self._cache: dict[tuple[int, ...], int] = {}

    def count(self, itemset: list[int] | tuple[int, ...]) -> int:
        """Number of baskets holding every item of ``itemset``."""
        key = tuple(sorted(itemset))
        if key not in self._cache:
            arrays = sorted((self._holders[item] for item in key), key=len)
            common = arrays[0]
            for other in arrays[1:]:
                common = _intersect_sorted(common, other)
            self._cache[key] = len(common)
        return self._cache[key]


def _intersect_sorted(small: np.ndarray, large: np.ndarray) -> np.ndarray:
    """Common values of two sorted arrays of distinct values, by binary search.

    >>> _intersect_sorted(np.array([1, 4, 7]), np.array([0, 1, 2, 7, 9]))
    array([1, 7])
    """
    if not len(small) or not len(large):
        return small[:0]
    positions = np.minimum(np.searchsorted(large, small), len(large) - 1)
    return small[large[positions] == small]
