"""Which products each segment buys most, and how much more than everyone else."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from basket_segments.analytics.baskets import Baskets
from basket_segments.analytics.rules import ALL_CUSTOMERS, ALL_CUSTOMERS_NAME

PRODUCT_COLUMNS = ["segment", "segment_name", "rank", "product", "count", "share", "share_vs_all"]


def top_products(
    baskets: Baskets,
    segments: pd.Series | None = None,
    names: Mapping[int, str] | None = None,
    top: int | None = 10,
) -> pd.DataFrame:
    """Most bought products per segment and overall.

    ``count`` is the number of the group's baskets holding the product,
    ``share`` that count over the group's baskets, and ``share_vs_all`` the
    share divided by the share among all baskets (above 1: the segment buys it
    more often than customers in general).

    >>> from basket_segments.analytics.baskets import build_baskets
    >>> purchases = pd.DataFrame({"customer": list("aabc"), "basket": list("1234"),
    ...     "product": ["tea", "jam", "tea", "jam"]})
    >>> segments = pd.Series({"a": 0, "b": 0, "c": 1})
    >>> top_products(build_baskets(purchases), segments, top=1)[["segment", "product", "share"]]
       segment product  share
    0       -1     jam  0.667
    1        0     tea  1.000
    2        1     jam  1.000
    """
    group_of_basket = _basket_segments(baskets, segments)
    n_products = len(baskets.products)
    overall = np.bincount(baskets.codes, minlength=n_products)
    overall_share = overall / max(len(baskets), 1)
    labels = {ALL_CUSTOMERS: ALL_CUSTOMERS_NAME, **(names or {})}
    frames = [_group_table(ALL_CUSTOMERS, overall, len(baskets), overall_share, baskets, top)]
    groups, counts, sizes = _segment_counts(baskets, group_of_basket)
    for segment, group_counts, n in zip(groups, counts, sizes, strict=True):
        frames.append(_group_table(segment, group_counts, n, overall_share, baskets, top))
    table = pd.concat(frames, ignore_index=True)
    table.insert(1, "segment_name", table["segment"].map(lambda s: labels.get(s, f"Segment {s}")))
    return table[PRODUCT_COLUMNS].round({"share": 3, "share_vs_all": 3})


def _segment_counts(
    baskets: Baskets, group_of_basket: np.ndarray
) -> tuple[list[int], np.ndarray, list[int]]:
    """The segments present, each one's baskets per product (a row per segment) and
    number of baskets: one count over all purchases, not one pass per segment.

    >>> baskets = Baskets(np.array([0, 1, 0, 1]), np.array([0, 2, 3, 4]),
    ...                   pd.Index(["jam", "tea"]), pd.Index(["a", "b", "c"]))
    >>> groups, counts, sizes = _segment_counts(baskets, np.array([1, 0, -2]))
    >>> groups, counts.tolist(), sizes
    ([0, 1], [[1, 0], [1, 1]], [1, 1])
    """
    groups, group_index = np.unique(group_of_basket, return_inverse=True)
    present = groups >= 0
    n_products, n_groups = len(baskets.products), len(groups)
    entry_group = np.repeat(group_index, baskets.sizes)
    counts = np.bincount(
        entry_group * n_products + baskets.codes, minlength=n_groups * n_products
    ).reshape(n_groups, n_products)
    sizes = np.bincount(group_index, minlength=n_groups)
    return groups[present].tolist(), counts[present], sizes[present].tolist()


def _basket_segments(baskets: Baskets, segments: pd.Series | None) -> np.ndarray:
    if segments is None:
        return np.full(len(baskets), -2)
    return segments.reindex(baskets.customers).fillna(-2).to_numpy(dtype=np.int64)


def _group_table(
    segment: int,
    counts: np.ndarray,
    n_baskets: int,
    overall_share: np.ndarray,
    baskets: Baskets,
    top: int | None,
) -> pd.DataFrame:
    order = np.lexsort((np.arange(len(counts)), -counts))
    order = order[counts[order] > 0][:top]
    share = counts[order] / max(n_baskets, 1)
    return pd.DataFrame(
        {
            "segment": segment,
            "rank": np.arange(1, len(order) + 1),
            "product": baskets.products[order],
            "count": counts[order],
            "share": share,
            "share_vs_all": share / overall_share[order],
        }
    )
