"""Scale customer features as KMeans sees them, and place customers by nearest centre.

A ``Scaling`` is fitted once, on the customers KMeans clusters (``fit_scaling``),
and kept: customers of another period then go through the same transformation
(``Scaling.apply``) and into the nearest of the same centres (``nearest_centre``),
so their segments mean what the fitted ones mean. scikit-learn is imported inside
``fit_scaling`` (about a second of import; see ``segmentation``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from basket_segments.analytics.sklearn_import import import_scikit_learn

#: Skewness above which a non-negative feature is log-transformed before standardising.
LOG_SKEW = 2.0


@dataclass(frozen=True)
class Scaling:
    """A scaling fitted on some customers (``fit_scaling``), to apply to others as it is.

    ``logged``: the columns that go through ``log1p`` first; ``mean`` and ``scale``: what
    scikit-learn's ``StandardScaler`` learned (None for ``none``).

    >>> scaling, matrix = fit_scaling(np.array([[1.0], [3.0]]), "standard")
    >>> scaling.apply(np.array([[2.0], [5.0]])).ravel().tolist()
    [0.0, 3.0]
    """

    mode: str
    logged: tuple[int, ...] = ()
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None

    def apply(self, values: np.ndarray) -> np.ndarray:
        """``values`` (not changed) scaled as the customers this was fitted on were: the
        same operations as ``StandardScaler.transform``, so the same numbers to the bit."""
        values = np.array(values, dtype="float64", copy=True)
        for column in self.logged:
            values[:, column] = np.log1p(values[:, column])
        if self.mean is None or self.scale is None:
            return values
        values -= self.mean
        values /= self.scale
        return values


def fit_scaling(values: np.ndarray, mode: str) -> tuple[Scaling, np.ndarray]:
    """The scaling ``mode`` fits on ``values``, and ``values`` (changed in place) scaled.

    ``auto`` decides here, on these customers, which columns are logged: customers
    placed later with the returned ``Scaling`` go through the same transformation.
    """
    import_scikit_learn()  # here, not at the top: scikit-learn takes ~1 s to import
    from sklearn.preprocessing import StandardScaler

    if mode == "none":
        return Scaling(mode), values
    logged = tuple(skewed_columns(values)) if mode == "auto" else ()
    for column in logged:
        values[:, column] = np.log1p(values[:, column])
    scaler = StandardScaler()
    matrix = scaler.fit_transform(values)
    return Scaling(mode, logged, scaler.mean_, scaler.scale_), matrix


def skewed_columns(values: np.ndarray) -> list[int]:
    """Columns of non-negative values whose skewness exceeds ``LOG_SKEW``."""
    frame = pd.DataFrame(values)
    skew = frame.skew().fillna(0.0)
    return [i for i in range(values.shape[1]) if frame[i].min() >= 0 and skew[i] > LOG_SKEW]


def nearest_centre(matrix: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Row by row, the number of the nearest centre (the first of equally near ones).

    One centre at a time: a customers x centres x features array would take gigabytes.

    >>> nearest_centre(np.array([[0.0], [2.9], [3.1]]), np.array([[0.0], [6.0]])).tolist()
    [0, 0, 1]
    """
    best = np.zeros(len(matrix), dtype=int)
    shortest = np.full(len(matrix), np.inf)
    for number, centre in enumerate(centers):
        distance = ((matrix - centre) ** 2).sum(axis=1)
        closer = distance < shortest
        best[closer], shortest[closer] = number, distance[closer]
    return best
