"""Segment customers with ``pyspark.ml`` KMeans, as the local engine does with scikit-learn.

Same features, same scaling (``log1p`` of heavily skewed non-negative features,
then standardisation with the population standard deviation, as
``StandardScaler``), the best of ``scan_n_init`` restarts by inertia, the
same numbering by size, the same names. Spark's KMeans starts from k-means||
rather than k-means++, so on data without clear clusters the two engines can
settle in different local optima; on well separated data they agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from basket_segments.analytics.errors import DataError
from basket_segments.analytics.segmentation import (
    SILHOUETTE_SAMPLE,
    SILHOUETTE_SAMPLE_SIZE,
    check_k,
    mean_silhouette,
    scaling_mode,
    scan_n_init,
    size_order,
)
from basket_segments.analytics.spark.profiles import profile_spark
from basket_segments.analytics.spark.scaling import Scaling, fit_scaling, z_columns
from basket_segments.analytics.spark.values import col
from basket_segments.analytics.stages import SUGGEST_K_RANGE, KSuggestion, Segments

if TYPE_CHECKING:
    from pyspark.ml.clustering import KMeansModel
    from pyspark.sql import Column, DataFrame

#: Lloyd iterations at most (scikit-learn's default); Spark stops earlier once converged.
MAX_ITER = 300
#: Centres moving less than this count as converged.
TOL = 1e-6
#: KMeans runs submitted to Spark at once.
RESTART_THREADS = 4


def points(customers: DataFrame, features: list[str], scale: str) -> tuple[DataFrame, Scaling]:
    """``customer``, ``features`` (the vector KMeans sees, transformed as ``scale`` says) and
    ``z0..`` (``auto`` scaling, which segment names are measured in), cached; and the
    scaling of the vector."""
    from pyspark.ml.functions import array_to_vector
    from pyspark.sql import functions as F

    mode = scaling_mode(scale)
    naming = fit_scaling(customers, features)
    z = [c.alias(f"z{i}") for i, c in enumerate(z_columns(features, naming))]
    with_z = customers.select("customer", *[col(f) for f in features], *z)
    fitted = naming if mode != "standard" else fit_scaling(customers, features, log_skewed=False)
    if mode == "auto":
        seen = [F.col(f"z{i}") for i in range(len(features))]
    else:
        seen = kmeans_input(features, mode, fitted)
    vector = array_to_vector(F.array(*[c.cast("double") for c in seen])).alias("features")
    return with_z.select("*", vector).cache(), fitted


def kmeans_input(features: list[str], mode: str, fitted: Scaling) -> list[Column]:
    """The features as KMeans sees them, scaled as ``mode`` says with ``fitted``: what
    restarts and K suggestions cluster (``points``)."""
    return [col(f) for f in features] if mode == "none" else z_columns(features, fitted)


@dataclass(frozen=True)
class SparkFit:
    """Segments and what places other customers in them: the model, the rank by size of
    each of its labels (``order``), and the scaling of its input (``mode``, ``scaling``)."""

    segments: Segments
    model: KMeansModel
    order: np.ndarray
    mode: str
    scaling: Scaling


def best_kmeans(points: DataFrame, k: int, random_state: int, n_init: int) -> KMeansModel:
    """The lowest-inertia model of ``n_init`` runs with consecutive seeds (the first on ties).

    Runs go to Spark from a few threads at once: on small data each run is
    mostly the latency of a dozen tiny jobs, which overlap (10 runs on 200
    customers: 20 s one after another, 9-11 s this way on 2 cores).
    """
    from pyspark.ml.clustering import KMeans

    def fit(run: int) -> KMeansModel:
        estimator = KMeans(
            k=k, seed=random_state + run, maxIter=MAX_ITER, tol=TOL, featuresCol="features"
        )
        return estimator.fit(points)

    with ThreadPoolExecutor(max_workers=min(n_init, RESTART_THREADS)) as pool:
        models = list(pool.map(fit, range(n_init)))
    return min(models, key=lambda model: model.summary.trainingCost)


def segment_spark(
    customers: DataFrame,
    features: list[str],
    k: int,
    scale: str = "auto",
    random_state: int = 0,
    kinds: Mapping[str, str] | None = None,
    n_init: int | None = None,
) -> Segments:
    """Cluster customers into ``k`` segments numbered 0.. by decreasing size, with profiles;
    the labels (``customer``, ``segment``) stay in Spark."""
    return fit_spark(customers, features, k, scale, random_state, kinds, n_init).segments


def fit_spark(
    customers: DataFrame,
    features: list[str],
    k: int,
    scale: str = "auto",
    random_state: int = 0,
    kinds: Mapping[str, str] | None = None,
    n_init: int | None = None,
) -> SparkFit:
    """``segment_spark``'s segments, with the model and scaling that found them."""
    _check_features(customers, features)
    prepared, fitted = points(customers, features, scale)
    n = prepared.count()
    check_k(k, n)
    model = best_kmeans(prepared, k, random_state, n_init or scan_n_init(n))
    sizes = np.array(model.summary.clusterSizes)
    if len(sizes) < k or sizes.min() == 0:
        raise DataError(
            f"Only {int((sizes > 0).sum()):,} groups of customers differ in "
            f"{', '.join(features)}, too few for {k} segments; choose fewer segments or "
            "other features."
        )
    order = size_order(sizes, np.array(model.clusterCenters()))
    labelled = labelled_by(model, prepared, order)
    profiles = profile_spark(labelled, features, kinds or {})
    mode = scaling_mode(scale)
    segments = Segments(
        labels=labelled.select("customer", "segment"),
        profiles=profiles,
        inertia=float(model.summary.trainingCost),
        silhouette=silhouette_spark(labelled, n, random_state),
        features=list(features),
        scaling=mode,
        transformations=described(features, mode, fitted),
    )
    return SparkFit(segments, model, order, mode, fitted)


def described(features: list[str], mode: str, fitted: Scaling) -> dict[str, str]:
    """What each feature went through, in the local engine's words (``transformations``)."""
    if mode == "none":
        return dict.fromkeys(features, "as is")
    return {
        feature: "log1p, then standardised" if logged else "standardised"
        for feature, logged in zip(features, fitted.log, strict=True)
    }


def _check_features(customers: DataFrame, features: list[str]) -> None:
    if not features:
        raise DataError("Choose at least one feature to segment customers on.")
    available = customers.columns[1:]
    missing = [name for name in features if name not in available]
    if missing:
        raise DataError(
            f"Unknown feature(s) {', '.join(missing)}; the features are {', '.join(available)}."
        )


def labelled_by(model: KMeansModel, prepared: DataFrame, order: np.ndarray) -> DataFrame:
    """The points with ``segment``: KMeans' label mapped to its rank by size."""
    from pyspark.sql import functions as F

    ranks = F.array(*[F.lit(int(rank)) for rank in order])
    labelled = model.transform(prepared)
    segment = F.element_at(ranks, F.col("prediction") + 1).alias("segment")
    return labelled.select("*", segment).drop("prediction").cache()


def silhouette_spark(labelled: DataFrame, n: int, random_state: int) -> float | None:
    """Mean silhouette (Euclidean, as the local engine), computed on the driver from all
    points up to ``SILHOUETTE_SAMPLE`` customers, else from a fixed-seed sample of
    about ``SILHOUETTE_SAMPLE_SIZE``; Spark's own evaluator uses squared distances."""
    from pyspark.ml.functions import vector_to_array

    sample = labelled
    if n > SILHOUETTE_SAMPLE:
        fraction = min(1.0, 1.2 * SILHOUETTE_SAMPLE_SIZE / n)
        sample = labelled.sample(fraction=fraction, seed=random_state)
        sample = sample.limit(SILHOUETTE_SAMPLE_SIZE)
    rows = sample.select(vector_to_array("features").alias("x"), "segment").toPandas()
    if rows.empty:
        return None
    return mean_silhouette(np.stack(rows["x"].to_numpy()), rows["segment"].to_numpy(), random_state)


def suggest_k_spark(
    customers: DataFrame,
    features: list[str],
    k_values: range = SUGGEST_K_RANGE,
    scale: str = "auto",
    random_state: int = 0,
    n_init: int | None = None,
) -> KSuggestion:
    """Inertia and silhouette for each K tried, and the K with the best silhouette."""
    prepared, _ = points(customers, features, scale)
    n = prepared.count()
    usable = [k for k in k_values if 2 <= k < n]
    if not usable:
        raise DataError(f"There are {n:,} customers, too few to compare numbers of segments.")
    rows = []
    for k in usable:
        model = best_kmeans(prepared, k, random_state, n_init or scan_n_init(n))
        labelled = model.transform(prepared).withColumnRenamed("prediction", "segment")
        silhouette = silhouette_spark(labelled, n, random_state)
        rows.append({"k": k, "inertia": model.summary.trainingCost, "silhouette": silhouette})
    return KSuggestion.from_scores(pd.DataFrame(rows))
