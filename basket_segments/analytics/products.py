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
    owners = np.repeat(np.arange(len(baskets)), baskets.sizes)
    group_of_basket = _basket_segments(baskets, segments)
    n_products = len(baskets.products)
    overall = np.bincount(baskets.codes, minlength=n_products)
    overall_share = overall / max(len(baskets), 1)
    labels = {ALL_CUSTOMERS: ALL_CUSTOMERS_NAME, **(names or {})}
    frames = [_group_table(ALL_CUSTOMERS, overall, len(baskets), overall_share, baskets, top)]
    for segment in sorted(set(group_of_basket[group_of_basket >= 0].tolist())):
        in_group = group_of_basket[owners] == segment
        counts = np.bincount(baskets.codes[in_group], minlength=n_products)
        n = int((group_of_basket == segment).sum())
        frames.append(_group_table(segment, counts, n, overall_share, baskets, top))
    table = pd.concat(frames, ignore_index=True)
    table.insert(1, "segment_name", table["segment"].map(lambda s: labels.get(s, f"Segment {s}")))
    return table[PRODUCT_COLUMNS].round({"share": 3, "share_vs_all": 3})


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
