"""How typical one customer is of its segment.

A segment's name describes the segment as a whole (its centre), not each of its
customers: a customer on the segment's edge may be below its average on the very
feature the name calls "big". To say so, the customer's distance to the segment's
centre is measured where KMeans measured it (the features scaled as the
segmentation scaled them) and compared with the distances of the segment's other
customers. Only the stored table (customer, segment, features) and the scaling are
needed, so it is the same for every engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from basket_segments.analytics.segmentation import feature_matrix

#: Farther from the centre than this share of the segment's other customers: atypical.
ATYPICAL_SHARE = 0.8
#: Standard deviations from the segment's median that make a feature worth naming.
APART_THRESHOLD = 1.0
#: Features named as setting an atypical customer apart, at most.
MAX_APART = 2


@dataclass(frozen=True)
class Apart:
    """A feature on which a customer is far from its segment's median."""

    feature: str
    value: float
    segment_median: float


@dataclass(frozen=True)
class Typicality:
    """Where a customer lies in its segment.

    ``farther_than`` is the share of the segment's other customers nearer its
    centre than this one (0: none, the most typical; 1: all, the least);
    ``apart`` are the features on which the customer is farthest from the
    segment's median, most first.
    """

    farther_than: float
    segment_size: int
    apart: tuple[Apart, ...]

    @property
    def atypical(self) -> bool:
        """Farther from the centre than most of the segment (``ATYPICAL_SHARE``)."""
        return self.farther_than >= ATYPICAL_SHARE


def typicality(
    table: pd.DataFrame, features: Sequence[str], scaling: str, customer: str
) -> Typicality:
    """How typical ``customer`` is of its segment; ``table`` has ``customer``, ``segment``
    and the features, one row per customer, and ``scaling`` is the segmentation's.

    >>> table = pd.DataFrame({"customer": list("abcdef"), "segment": [0, 0, 0, 0, 0, 1],
    ...                       "Spend": [10.0, 11, 12, 13, 30, 90]})
    >>> typicality(table, ["Spend"], "standard", "d").farther_than
    0.0
    >>> far = typicality(table, ["Spend"], "standard", "e")
    >>> far.farther_than, far.atypical, far.apart
    (1.0, True, (Apart(feature='Spend', value=30.0, segment_median=12.0),))
    """
    features = list(features)
    position = _position(table, customer)
    labels = table["segment"].to_numpy()
    peers = labels == labels[position]
    distances = centre_distances(feature_matrix(table, features, scaling)[peers])
    own = distances[int(np.flatnonzero(peers).searchsorted(position))]
    others = len(distances) - 1
    farther_than = float((distances < own).sum() / others) if others else 0.0
    apart = _apart(table, features, peers, position)
    return Typicality(farther_than, int(peers.sum()), apart)


def centre_distances(points: np.ndarray) -> np.ndarray:
    """Each point's distance to the points' mean (their centre, as KMeans' centroid is).

    >>> centre_distances(np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 3.0], [1.0, -3.0]])).tolist()
    [1.0, 1.0, 3.0, 3.0]
    """
    return np.linalg.norm(points - points.mean(axis=0), axis=1)


def _position(table: pd.DataFrame, customer: str) -> int:
    found = np.flatnonzero(table["customer"].to_numpy() == customer)
    if not len(found):
        raise ValueError(f"customer: '{customer}' is not in the table")
    return int(found[0])


def _apart(
    table: pd.DataFrame, features: list[str], peers: np.ndarray, position: int
) -> tuple[Apart, ...]:
    """The features on which the customer is farthest from the segment's median, in standard
    deviations of everyone (after the log of skewed features, as names measure them): those
    at least ``APART_THRESHOLD`` away, else the farthest one, at most ``MAX_APART``."""
    z = feature_matrix(table, features, "auto")
    gaps = np.abs(z[position] - np.median(z[peers], axis=0))
    order = [i for i in np.argsort(-gaps, kind="stable") if gaps[i] > 0]
    chosen = [i for i in order if gaps[i] >= APART_THRESHOLD][:MAX_APART] or order[:1]
    values = table[features].to_numpy(dtype="float64")
    medians = np.median(values[peers], axis=0)
    return tuple(Apart(features[i], float(values[position, i]), float(medians[i])) for i in chosen)
