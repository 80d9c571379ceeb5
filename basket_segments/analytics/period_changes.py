"""What changed in what a segment buys between two periods: its rules and top products
side by side, with what appeared, what disappeared and how the lift (or share) moved.

The rules and products of each period are mined separately (``pipeline.mine_periods``,
each period's customers in the segment that period placed them in); here the two
tables of one segment are lined up by rule (both sides) or by product. A rule found
only in the later period *appeared*, one found only in the first *disappeared*, one
in both is *kept*, with its lift then and later. The rows are bounded: the ``top``
strongest of either period.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: How a row changed between the two periods.
APPEARED, DISAPPEARED, KEPT = "appeared", "disappeared", "kept"
#: The sides of a rule: a rule is the same rule in two periods when both are the same.
RULE_KEYS = ("antecedent", "consequent")


def side_by_side(
    first: pd.DataFrame,
    later: pd.DataFrame,
    keys: Sequence[str],
    measures: Sequence[str],
    top: int | None = 20,
) -> pd.DataFrame:
    """``first`` and ``later`` lined up by ``keys``: the keys, each measure then and
    later (``first_<m>``, ``later_<m>``; missing where the row is absent) and ``kind``
    (appeared, disappeared, kept); the ``top`` rows strongest by the first measure in
    either period, ties in the keys' order.

    >>> first = pd.DataFrame({"product": ["tea", "jam"], "share": [0.5, 0.2]})
    >>> later = pd.DataFrame({"product": ["tea", "milk"], "share": [0.4, 0.3]})
    >>> side_by_side(first, later, ["product"], ["share"])  # doctest: +NORMALIZE_WHITESPACE
      product  first_share  later_share         kind
    0     tea          0.5          0.4         kept
    1    milk          NaN          0.3     appeared
    2     jam          0.2          NaN  disappeared
    """
    if top is not None and top < 0:
        raise ValueError(f"top must be at least 0, not {top}")
    keys, measures = list(keys), list(measures)
    left = first[keys + measures].rename(columns={m: f"first_{m}" for m in measures})
    right = later[keys + measures].rename(columns={m: f"later_{m}" for m in measures})
    both = left.merge(right, on=keys, how="outer", indicator=True, sort=False)
    kinds = {"left_only": DISAPPEARED, "right_only": APPEARED, "both": KEPT}
    both["kind"] = both.pop("_merge").astype(str).map(kinds)
    strongest = both[[f"first_{measures[0]}", f"later_{measures[0]}"]].max(axis=1)
    names = [" ".join(map(str, row)) for row in both[keys].itertuples(index=False)]
    order = np.lexsort((np.array(names, dtype=str), -strongest.to_numpy(dtype=float)))
    table = both.iloc[order].reset_index(drop=True)
    return table if top is None else table.head(top)


def rule_changes(first: pd.DataFrame, later: pd.DataFrame, top: int | None = 20) -> pd.DataFrame:
    """One segment's rules in two periods (tables as ``rules.rules_table`` makes them):
    each rule's lift and support then and later, what changed in words (``change``)
    and its sentence (the later period's, else the first's).

    >>> columns = ["antecedent", "consequent", "lift", "support", "sentence"]
    >>> first = pd.DataFrame([[("tea",), ("jam",), 2.0, 0.3, "A."],
    ...     [("tea",), ("milk",), 1.5, 0.2, "B."]], columns=columns)
    >>> later = pd.DataFrame([[("tea",), ("jam",), 2.5, 0.3, "C."],
    ...     [("jam",), ("milk",), 3.0, 0.1, "D."]], columns=columns)
    >>> rule_changes(first, later)[["consequent", "change", "sentence"]].values.tolist()
    [[('milk',), 'appeared', 'D.'], [('jam',), 'lift 2.00 -> 2.50', 'C.'], \
[('milk',), 'disappeared', 'B.']]
    """
    table = side_by_side(first, later, RULE_KEYS, ("lift", "support"), top)
    sentences = _by_key(later, RULE_KEYS, "sentence").combine_first(
        _by_key(first, RULE_KEYS, "sentence")
    )
    keys = pd.MultiIndex.from_frame(table[list(RULE_KEYS)])
    table["sentence"] = sentences.reindex(keys).to_numpy()
    table["change"] = [
        change_words(kind, then, now, "lift", "{:.2f}")
        for kind, then, now in zip(
            table["kind"], table["first_lift"], table["later_lift"], strict=True
        )
    ]
    return table if top is None else table.head(top)


def product_changes(first: pd.DataFrame, later: pd.DataFrame, top: int | None = 20) -> pd.DataFrame:
    """One segment's top products in two periods (tables as ``products.top_products``
    makes them): each product's share of the segment's baskets then and later, and
    what changed in words; a product *appeared* in (or *disappeared* from) the
    period's top list.

    >>> first = pd.DataFrame({"product": ["tea", "jam"], "share": [0.5, 0.2], "count": [5, 2]})
    >>> later = pd.DataFrame({"product": ["tea"], "share": [0.25], "count": [3]})
    >>> product_changes(first, later)[["product", "change"]].values.tolist()
    [['tea', 'share 50% -> 25%'], ['jam', 'disappeared']]
    """
    table = side_by_side(first, later, ("product",), ("share", "count"), top)
    table["change"] = [
        change_words(kind, then, now, "share", "{:.0%}")
        for kind, then, now in zip(
            table["kind"], table["first_share"], table["later_share"], strict=True
        )
    ]
    return table


def change_words(kind: str, then: float, now: float, measure: str, number: str) -> str:
    """What changed, in a few words.

    >>> change_words("kept", 1.234, 2.0, "lift", "{:.2f}"), change_words("appeared", 0, 1, "", "")
    ('lift 1.23 -> 2.00', 'appeared')
    """
    if kind != KEPT:
        return kind
    return f"{measure} {number.format(then)} -> {number.format(now)}"


def _by_key(table: pd.DataFrame, keys: Sequence[str], column: str) -> pd.Series:
    """``table[column]`` indexed by ``keys`` (the first row of a repeated key)."""
    indexed = table.set_index(list(keys))[column]
    return indexed[~indexed.index.duplicated()]
