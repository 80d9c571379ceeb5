"""Describe segments: size, share, feature means and medians, and a name in words.

A name like "High income, low spending" tells an analyst more at a glance
than "Segment 3"; it comes from how far each centroid sits from the overall
mean, in standard deviations, for the features that set the segment apart.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from analytics.segmentation import FEATURE_WORDS, NAME_THRESHOLD, Segmentation


def profile_segments(
    customers: pd.DataFrame,
    segmentation: Segmentation,
    feature_kinds: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per segment: segment, name, size, share, then mean and median per feature.

    >>> from analytics.segmentation import segment_customers
    >>> customers = pd.DataFrame({"Age": [20.0, 22, 60, 62, 61]}, index=list("abcde"))
    >>> seg = segment_customers(customers, ["Age"], k=2)
    >>> profile_segments(customers, seg, {"Age": "age"})[["segment", "name", "size"]]
       segment   name  size
    0        0  Older     3
    1        1  Young     2
    """
    features = segmentation.features
    grouped = customers[features].groupby(segmentation.labels)
    sizes = grouped.size()
    table = pd.DataFrame({"segment": sizes.index, "size": sizes.to_numpy()})
    table["share"] = table["size"] / table["size"].sum()
    means, medians = grouped.mean(), grouped.median()
    for feature in features:
        table[f"mean {feature}"] = means[feature].to_numpy()
        table[f"median {feature}"] = medians[feature].to_numpy()
    names = segment_names(customers[features], means, feature_kinds or {})
    table.insert(1, "name", names)
    return table


def segment_names(
    values: pd.DataFrame, centroids: pd.DataFrame, feature_kinds: Mapping[str, str]
) -> list[str]:
    """Plain-language, unique names from the two most distinctive features of each centroid.

    >>> values = pd.DataFrame({"income": [10.0, 90.0], "spending": [50.0, 50.0]})
    >>> segment_names(values, values, {"income": "income", "spending": "spending"})
    ['Low income', 'High income']
    """
    spread = values.std(ddof=0).replace(0, 1.0)
    z_scores = (centroids - values.mean()) / spread
    names: list[str] = []
    for _, row in z_scores.iterrows():
        distinctive = row[row.abs() >= NAME_THRESHOLD].abs().sort_values(ascending=False)
        words = [_word(feature, row[feature], feature_kinds) for feature in distinctive.index[:2]]
        name = ", ".join(words) if words else "average customers"
        names.append(_unique(name[0].upper() + name[1:], names))
    return names


def _word(feature: str, z_score: float, feature_kinds: Mapping[str, str]) -> str:
    low, high = FEATURE_WORDS.get(
        feature_kinds.get(feature, ""), (f"low {feature}", f"high {feature}")
    )
    return high if z_score > 0 else low


def _unique(name: str, taken: list[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name} ({number})", number + 1
    return candidate
