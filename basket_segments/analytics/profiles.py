"""Describe segments: size, share, feature means and medians, and a name in words.

A name like "High income, low spending" tells an analyst more at a glance
than "Segment 3"; it comes from how far each centroid sits from the overall
mean, in standard deviations, for the features that set the segment apart.
A mean is pulled by a few big customers, so a name says "high" only where most
of the segment is above everyone's median too, and "low" only where most is below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from basket_segments.analytics.segmentation import (
    FEATURE_WORDS,
    NAME_THRESHOLD,
    Segmentation,
)

#: Standard deviations from the mean that make a trait "very" pronounced.
VERY_THRESHOLD = 1.5
#: Where "very" + the usual word reads badly.
VERY_WORDS = {"age": ("very young", "senior"), "recency": ("very recent", "long lapsed")}


def profile_segments(
    customers: pd.DataFrame,
    segmentation: Segmentation,
    feature_kinds: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per segment: segment, name, size, share, then mean and median per feature.

    >>> from basket_segments.analytics.segmentation import segment_customers
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
    sides = median_sides(customers, segmentation.labels, features)
    names = segment_names(segmentation.z_centroids, feature_kinds or {}, sides)
    table.insert(1, "name", names)
    return table


def median_sides(
    customers: pd.DataFrame, labels: pd.Series, features: Sequence[str]
) -> pd.DataFrame:
    """Per segment (rows, by number) and feature: on which side of everyone's median most of
    the segment lies (``majority_sides``). A customer at the median is on neither side.

    >>> customers = pd.DataFrame({"Spend": [1.0, 2, 3, 4, 5, 900, 950]})
    >>> median_sides(customers, pd.Series([0, 0, 0, 1, 1, 1, 1]), ["Spend"])
       Spend
    0     -1
    1      1
    """
    values = customers[list(features)]
    medians = values.median()
    grouping = pd.Series(labels).to_numpy()
    above = values.gt(medians).groupby(grouping).mean()
    below = values.lt(medians).groupby(grouping).mean()
    return majority_sides(above, below)


def majority_sides(above: pd.DataFrame, below: pd.DataFrame) -> pd.DataFrame:
    """1 where more than half of a segment is above everyone's median (``above``: the share
    above, per segment and feature), -1 where more than half is below (``below``), else 0:
    the direction a name may give the feature. Shared by both engines.

    >>> majority_sides(pd.DataFrame({"x": [0.8, 0.5, 0.1]}), pd.DataFrame({"x": [0.1, 0.2, 0.6]}))
       x
    0  1
    1  0
    2 -1
    """
    return (above > 0.5).astype(int) - (below > 0.5).astype(int)


def telling_features(
    customers: pd.DataFrame, labels: pd.Series, features: Sequence[str]
) -> list[str]:
    """The features by how much they set the segments apart, most first: the share of each
    feature's variance that lies between the segments (eta squared, unit-free).

    >>> customers = pd.DataFrame({"a": [1.0, 1, 9, 9], "b": [1.0, 5, 2, 6], "c": [3.0] * 4})
    >>> telling_features(customers, pd.Series([0, 0, 1, 1]), ["b", "c", "a"])
    ['a', 'b', 'c']
    """
    values = customers[list(features)].astype("float64")
    spread = ((values - values.mean()) ** 2).sum()
    means = values.groupby(labels.to_numpy()).transform("mean")
    between = ((means - values.mean()) ** 2).sum()
    share = (between / spread.where(spread > 0)).fillna(0.0)
    return share.sort_values(ascending=False, kind="stable").index.tolist()


def customer_standing(table: pd.DataFrame, features: Sequence[str], customer: str) -> pd.DataFrame:
    """Where one customer stands: their value of each feature beside their segment's median
    and mean, and everyone's mean. ``table`` has ``customer``, ``segment`` and the features.

    The median is there because a few big customers pull a segment's mean up: most of
    a "big spend" segment may spend less than its mean, and this customer with them.

    >>> table = pd.DataFrame({"customer": ["a", "b", "c"], "segment": [0, 0, 1],
    ...                       "Age": [20.0, 30.0, 70.0]})
    >>> customer_standing(table, ["Age"], "a")
      feature  customer  segment median  segment mean  all customers' mean
    0     Age      20.0            25.0          25.0                 40.0
    """
    row = table[table["customer"] == customer].iloc[0]
    peers = table[table["segment"] == row["segment"]]
    return pd.DataFrame(
        {
            "feature": list(features),
            "customer": [float(row[f]) for f in features],
            "segment median": [float(peers[f].median()) for f in features],
            "segment mean": [float(peers[f].mean()) for f in features],
            "all customers' mean": [float(table[f].mean()) for f in features],
        }
    )


def segment_names(
    z_centroids: pd.DataFrame, feature_kinds: Mapping[str, str], sides: pd.DataFrame
) -> list[str]:
    """Plain-language, unique names from the most distinctive features of each centroid.

    ``z_centroids`` are centroids in standard deviations from the overall mean
    (in the space KMeans clustered in). A name uses the features at least
    ``NAME_THRESHOLD`` away, two at most; when two segments would share a
    name, the next most distinctive feature tells them apart. ``sides``
    (``majority_sides``, shaped as ``z_centroids``) vetoes a feature whose
    centroid is high while most of the segment is not above everyone's median
    (a few big customers pull the mean up), or low while most is not below it.

    >>> z = pd.DataFrame({"income": [-1.0, 1.0, 1.2], "spending": [0.1, 0.3, -0.2]})
    >>> kinds = {"income": "income", "spending": "spending"}
    >>> sides = pd.DataFrame({"income": [-1, 1, 1], "spending": [1, 1, -1]})
    >>> segment_names(z, kinds, sides)
    ['Low income', 'High income, high spending', 'High income, low spending']
    >>> segment_names(z, kinds, sides.assign(income=[-1, 0, 1]))
    ['Low income', 'Average customers', 'High income']
    """
    ranked = [_ranked(z_centroids.iloc[i], sides.iloc[i]) for i in range(len(z_centroids))]
    wanted = [max(1, int((order >= NAME_THRESHOLD).sum())) for order in ranked]
    lengths = [min(2, n) for n in wanted]
    for _ in range(z_centroids.shape[1]):
        names = [
            _name(z_centroids.iloc[i], ranked[i], lengths[i], feature_kinds)
            for i in range(len(ranked))
        ]
        clashes = {n for n in names if names.count(n) > 1}
        if not clashes:
            break
        lengths = [length + (names[i] in clashes) for i, length in enumerate(lengths)]
    unique: list[str] = []
    for name in names:
        unique.append(_unique(name, unique))
    return unique


def _ranked(z_row: pd.Series, side_row: pd.Series) -> pd.Series:
    """The features a name may use, by distance from the mean, most first: those whose
    centroid is on the side of the mean where most of the segment is, against the median."""
    agrees = ((z_row > 0) & (side_row > 0)) | ((z_row <= 0) & (side_row < 0))
    return z_row[agrees].abs().sort_values(ascending=False, kind="stable")


def _name(row: pd.Series, ranked: pd.Series, length: int, feature_kinds: Mapping[str, str]) -> str:
    if not len(ranked) or (ranked.iloc[0] < NAME_THRESHOLD and length <= 1):
        return "Average customers"
    words = [_word(feature, row[feature], feature_kinds) for feature in ranked.index[:length]]
    text = ", ".join(words)
    return text[0].upper() + text[1:]


def _word(feature: str, z_score: float, feature_kinds: Mapping[str, str]) -> str:
    low, high = FEATURE_WORDS.get(
        feature_kinds.get(feature, ""), (f"low {feature}", f"high {feature}")
    )
    kind = feature_kinds.get(feature, "")
    if abs(z_score) >= VERY_THRESHOLD:
        low, high = VERY_WORDS.get(kind, (f"very {low}", f"very {high}"))
    return high if z_score > 0 else low


def _unique(name: str, taken: list[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name} ({number})", number + 1
    return candidate
