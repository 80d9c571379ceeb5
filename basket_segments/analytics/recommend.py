"""Recommend products to a customer or a segment, each with the reason why.

A recommendation an analyst cannot explain is hard to act on, so each one
carries the rule that produced it, or says that it is simply popular in the
customer's segment when no rule applies.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from basket_segments.analytics.rules import ALL_CUSTOMERS
from basket_segments.analytics.sentences import with_evidence
from basket_segments.analytics.significance import USUAL_LEVEL

RECOMMENDATION_COLUMNS = ["product", "source", "confidence", "lift", "reason"]


def recommend_for_customer(
    bought: Iterable[str],
    segment: int,
    rules: pd.DataFrame,
    products: pd.DataFrame,
    top: int = 5,
) -> pd.DataFrame:
    """Products the customer has not bought, best first.

    From the rules of the customer's segment whose antecedent the customer has
    bought, ranked by confidence then lift; then the segment's top products.

    >>> rules = pd.DataFrame({"segment": [0], "antecedent": [("bread",)],
    ...     "consequent": [("milk",)], "confidence": [0.8], "lift": [2.0],
    ...     "sentence": ["Customers who buy bread also buy milk."]})
    >>> products = pd.DataFrame({"segment": [0, 0], "product": ["bread", "tea"],
    ...     "share": [0.9, 0.5]})
    >>> recommend_for_customer({"bread"}, 0, rules, products)["source"].tolist()
    ['rule', 'popular in segment']
    """
    owned = set(bought)
    from_rules = _rule_recommendations(owned, rules[rules["segment"] == segment])
    popular = products[(products["segment"] == segment) & ~products["product"].isin(owned)]
    popular = popular[~popular["product"].isin(from_rules["product"])]
    fallback = pd.DataFrame(
        {
            "product": popular["product"],
            "source": "popular in segment" if segment != ALL_CUSTOMERS else "popular",
            "confidence": float("nan"),
            "lift": float("nan"),
            "reason": [
                f"Bought by {share:.0%} of this segment's baskets." for share in popular["share"]
            ],
        }
    )
    frames = [frame for frame in (from_rules, fallback) if len(frame)]
    if not frames:
        return pd.DataFrame(columns=RECOMMENDATION_COLUMNS)
    return pd.concat(frames, ignore_index=True).head(top)


def _rule_recommendations(owned: set[str], rules: pd.DataFrame) -> pd.DataFrame:
    applies = rules["antecedent"].map(lambda items: set(items) <= owned)
    fired = rules[applies.astype(bool)]
    rows = [
        {
            "product": product,
            "source": "rule",
            "confidence": rule.confidence,
            "lift": rule.lift,
            "reason": rule.sentence,
        }
        for rule in fired.itertuples()
        for product in rule.consequent
        if product not in owned
    ]
    table = pd.DataFrame(rows, columns=RECOMMENDATION_COLUMNS)
    table = table.sort_values(["confidence", "lift"], ascending=False, kind="stable")
    return table.drop_duplicates("product").reset_index(drop=True)


def recommend_for_segment(rules: pd.DataFrame, segment: int, top: int = 5) -> list[str]:
    """The segment's strongest non-redundant rules, as sentences.

    >>> rules = pd.DataFrame({"segment": [0, 0], "redundant": [False, True],
    ...     "confidence": [0.5, 0.9], "lift": [2.0, 2.0], "sentence": ["A.", "B."]})
    >>> recommend_for_segment(rules, 0)
    ['A.']
    """
    chosen = rules[(rules["segment"] == segment) & ~rules["redundant"].astype(bool)]
    chosen = chosen.sort_values(["confidence", "lift"], ascending=False, kind="stable").head(top)
    if not {"count", "p_adjusted"} <= set(chosen.columns):
        return chosen["sentence"].tolist()
    return [
        with_evidence(sentence, int(count), float(p_adjusted), USUAL_LEVEL)
        for sentence, count, p_adjusted in zip(
            chosen["sentence"], chosen["count"], chosen["p_adjusted"], strict=True
        )
    ]
