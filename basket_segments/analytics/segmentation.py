"""Segment customers with KMeans, suggest K, and describe each segment in words.

scikit-learn is imported inside the functions that use it: it takes about a
second to import, and basket files, which have no customers to segment, never
need it. Where customers will be segmented, ``import_scikit_learn_in_background``
starts that import early, beside the file's reading and cleaning; a
``ScikitLearnProcess`` imports it, and runs KMeans, in a process of its own.

Segments are numbered by size (largest first, ties broken by centroid) so the
same data and parameters always give the same numbers, and the dashboard can
give each number a colour that never changes between views.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import sys
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from basket_segments.analytics.errors import DataError
from basket_segments.analytics.progress import Report, ignore
from basket_segments.analytics.scaling import (
    Scaling,
    fit_scaling,
    nearest_centre,
    skewed_columns,
)
from basket_segments.analytics.sklearn_import import import_scikit_learn
from basket_segments.analytics.stages import SUGGEST_K_RANGE, KSuggestion, Segments

#: Above this many customers, silhouette is computed on a fixed-seed sample.
SILHOUETTE_SAMPLE = 10_000
#: How many customers that sample holds: silhouette costs the square of it, and on
#: 50,000 customers a 2,000 sample is within 0.003 of a 10,000 one at a twelfth of the time.
SILHOUETTE_SAMPLE_SIZE = 2_000
#: Memory (MB) for each chunk of pairwise distances; scikit-learn's default is 1,024.
SILHOUETTE_MEMORY_MB = 64
#: How features may be transformed before KMeans (``feature_matrix``).
SCALINGS = ("auto", "standard", "none")
#: Words for low and high values of features with a known meaning.
FEATURE_WORDS = {
    "age": ("young", "older"),
    "income": ("low income", "high income"),
    "spending": ("low spending", "high spending"),
    "recency": ("recent", "lapsed"),
    "frequency": ("occasional", "frequent"),
    "monetary": ("low spend", "big spend"),
}
#: How many standard deviations from the overall mean make a centroid "high" or "low".
NAME_THRESHOLD = 0.5


@dataclass(frozen=True)
class Segmentation:
    """The outcome of ``segment_customers``; ``labels`` is indexed like the customers."""

    labels: pd.Series
    centroids: pd.DataFrame
    #: Centroids in standard deviations from everyone's mean (scaled the ``auto`` way,
    #: whatever KMeans used): what segments are named from.
    z_centroids: pd.DataFrame
    inertia: float
    silhouette: float | None
    features: list[str]
    scaling: str
    #: The scaling KMeans' input went through, fitted on these customers, and the centres
    #: in that space, row ``i`` segment ``i``'s: what places other customers (``assign``).
    scaler: Scaling | None = None
    centers: np.ndarray | None = None


#: The thread that imports scikit-learn ahead of segmenting.
IMPORT_THREAD = "import-sklearn"


def import_scikit_learn_in_background() -> threading.Thread | None:
    """Start importing the parts of scikit-learn segmenting uses, in a thread; that
    thread (or the one already importing), None when the import is done.

    The import is about a second of work; started while a file is read and
    cleaned (pyarrow's reading releases the interpreter lock for all its
    duration), most of it is done by the time KMeans runs. An ``import``
    meanwhile waits for this one to finish rather than starting again (Python's
    import lock).
    """
    if "sklearn.metrics" in sys.modules:
        return None
    started = [thread for thread in threading.enumerate() if thread.name == IMPORT_THREAD]
    if started:
        return started[0]
    thread = threading.Thread(target=_import_quietly, name=IMPORT_THREAD, daemon=True)
    thread.start()
    return thread


def _import_quietly() -> None:
    """The early import; when it fails (no memory to map a library), KMeans' own import
    fails again where the caller turns it into a sentence, so nothing is printed here."""
    with contextlib.suppress(ImportError, OSError, MemoryError):
        import_scikit_learn()


#: OpenMP runtimes (GNU, LLVM, Intel), by the start of their file names.
OPENMP_LIBRARIES = ("libgomp", "libomp", "libiomp")
#: Runs ``function(*args)`` somewhere and returns what it returns: ``run_here``, or a
#: ``ScikitLearnProcess``.
Run = Callable[..., Any]


def run_here(function: Callable[..., Any], *args: Any) -> Any:
    """Run ``function(*args)`` in this process: the dashboard's way, whose web process keeps
    scikit-learn loaded from one analysis to the next.

    >>> run_here(max, 2, 3)
    3
    """
    return function(*args)


class ScikitLearnProcess:
    """A process of its own that imports scikit-learn and runs KMeans, for one analysis.

    On the command line, scikit-learn's import (about a second of interpreter-lock
    time) slowed the reading and cleaning of the file it ran beside in a thread; a
    process imports it on the other core instead, and this one never imports it.
    KMeans then runs there while this process builds the baskets (``analyze``).
    What crosses between them is the feature matrix and the labels (12 MB and 4 MB
    for 500,000 customers). When the process cannot start or dies (out of memory),
    the work is done here instead.
    """

    def __init__(self) -> None:
        context = multiprocessing.get_context(start_method())
        self._pool = ProcessPoolExecutor(1, mp_context=context)
        with contextlib.suppress(OSError, BrokenProcessPool):
            self._pool.submit(import_scikit_learn)  # start the process and its import now

    def __call__(self, function: Callable[..., Any], *args: Any) -> Any:
        try:
            return self._pool.submit(function, *args).result()
        except (OSError, BrokenProcessPool):
            return function(*args)

    def close(self) -> None:
        """Let the process go; it finishes exiting on the other core."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def start_method() -> str:
    """How ``ScikitLearnProcess`` starts its process: forked on Linux while that is safe,
    else spawned.

    A forked process has numpy and pandas imported already; spawning a fresh interpreter
    cost about 0.9 s more CPU time, on a 2-core machine where the file's reading wants
    both cores. But a fork copies locks other threads hold at that instant, and an
    OpenMP runtime that has run (scikit-learn's KMeans) waits forever in the child for
    threads that were not copied: so fork only while no other Python thread runs and no
    OpenMP library is loaded (the command line, before reading the file). macOS' system
    libraries do not survive a fork; Windows has none.

    >>> start_method() in ("fork", "spawn")
    True
    """
    if sys.platform != "linux" or threading.active_count() > 1:
        return "spawn"
    with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
        openmp = any(name in line for line in maps for name in OPENMP_LIBRARIES)
    return "spawn" if openmp else "fork"


#: KMeans restarts of a segmentation: scikit-learn's classic default, as the original
#: design ran it. With one restart, 64 of the large benchmark's 500,000 customers landed
#: in other segments than its; 10 cost 0.9 s of CPU there against 0.15 s.
RESTARTS = 10
#: What stored segmentations are keyed by beside the user's choice: raised whenever the same
#: choice would now give another partition, so a stored one is found anew, not shown as if
#: it were today's. 2: ``RESTARTS`` for every size (a14f62d); before, 3 restarts above
#: 20,000 customers and 1 above 200,000.
SEGMENTS_VERSION = 2


def scan_n_init(n_customers: int) -> int:
    """KMeans restarts for each K that Suggest K tries (and for Spark, where a restart is a
    dozen jobs): 10 on small data, 3 up to 200,000 customers, then 1.

    Suggest K fits 14 values of K; on large data the best of a few k-means++ starts
    rarely changes which K separates best. The K chosen is then fitted with
    ``RESTARTS``.

    >>> scan_n_init(200), scan_n_init(50_000), scan_n_init(500_000)
    (10, 3, 1)
    """
    if n_customers <= 20_000:
        return 10
    return 3 if n_customers <= 200_000 else 1


def scaling_mode(value: str | bool | None) -> str:
    """One of ``SCALINGS``, from a choice; True (the old switch) is ``auto``, False ``none``.

    >>> scaling_mode(True), scaling_mode(False), scaling_mode("Standard")
    ('auto', 'none', 'standard')
    """
    if value is True or value is None:
        return "auto"
    if value is False:
        return "none"
    mode = str(value).strip().lower()
    if mode not in SCALINGS:
        raise DataError(f"Scaling is one of {', '.join(SCALINGS)}, not '{value}'.")
    return mode


def feature_matrix(
    customers: pd.DataFrame, features: list[str], scale: str | bool = "auto"
) -> np.ndarray:
    """The numbers KMeans sees: the chosen columns, transformed as ``scale`` says.

    ``standard`` standardises each feature (scikit-learn's ``StandardScaler``);
    ``auto``, the default, first takes the logarithm (``log1p``) of heavily
    skewed non-negative features (skewness above ``LOG_SKEW``), such as spend
    and purchase counts, since otherwise a few big customers become segments
    of their own and everyone else shares the rest; ``none`` keeps the values.

    >>> customers = pd.DataFrame({"spend": [1.0, 2, 3, 2, 1, 1000], "age": [20.0, 30, 40, 50, 60,
    ...                                                                      70]})
    >>> bool(feature_matrix(customers, ["spend", "age"], "auto")[:, 0].max() < 2.5)
    True
    >>> round(float(feature_matrix(customers, ["spend", "age"], "standard")[:, 0].max()), 2)
    2.24
    """
    return scaled(feature_values(customers, features), scaling_mode(scale))


def feature_values(customers: pd.DataFrame, features: list[str]) -> np.ndarray:
    """The chosen columns as a new float array, refused when a feature is unknown or a
    value is missing."""
    missing = [f for f in features if f not in customers.columns]
    if not features:
        raise DataError("Choose at least one feature to segment customers on.")
    if missing:
        raise DataError(
            f"Unknown feature(s) {', '.join(missing)}; the features are "
            f"{', '.join(customers.columns)}."
        )
    values = np.array(customers[features].to_numpy(dtype="float64"), copy=True)
    if not np.isfinite(values).all():
        raise DataError("Some feature values are missing or not numbers.")
    return values


def scaled(values: np.ndarray, mode: str) -> np.ndarray:
    """``values`` (changed in place) transformed as ``mode`` (one of ``SCALINGS``) says."""
    return fit_scaling(values, mode)[1]


def transformations(customers: pd.DataFrame, features: list[str], scale: str) -> dict[str, str]:
    """What each feature goes through before KMeans, in words, as summaries and pages say it.

    >>> customers = pd.DataFrame({"spend": [1.0, 2, 3, 2, 1, 1000], "age": [20.0, 30, 40, 50,
    ...                                                                      60, 70]})
    >>> transformations(customers, ["spend", "age"], "auto")
    {'spend': 'log1p, then standardised', 'age': 'standardised'}
    """
    mode = scaling_mode(scale)
    if mode == "none":
        return dict.fromkeys(features, "as is")
    values = customers[features].to_numpy(dtype="float64")
    logged = set(skewed_columns(values)) if mode == "auto" else set()
    return {
        feature: "log1p, then standardised" if i in logged else "standardised"
        for i, feature in enumerate(features)
    }


def segment_customers(
    customers: pd.DataFrame,
    features: list[str],
    k: int,
    scale: str | bool = "auto",
    random_state: int = 0,
    n_init: int | None = None,
    run: Run = run_here,
) -> Segmentation:
    """Cluster customers into ``k`` segments, numbered 0.. by decreasing size.

    ``run`` runs the scikit-learn part (``cluster``): here, or in a
    ``ScikitLearnProcess``.

    >>> customers = pd.DataFrame({"x": [1.0, 1.1, 5.0, 5.2, 5.1]}, index=list("abcde"))
    >>> segment_customers(customers, ["x"], k=2).labels.tolist()
    [1, 1, 0, 0, 0]
    """
    values = feature_values(customers, features)
    check_k(k, len(customers))
    mode = scaling_mode(scale)
    n_init = n_init or RESTARTS
    found = run(cluster, values, mode, k, n_init, random_state, list(features))
    return Segmentation(
        labels=pd.Series(found.labels, index=customers.index, name="segment"),
        centroids=customers[features].groupby(found.labels).mean(),
        z_centroids=pd.DataFrame(found.z_centroids, columns=list(features)),
        inertia=found.inertia,
        silhouette=found.silhouette,
        features=list(features),
        scaling=mode,
        scaler=found.scaler,
        centers=found.centers,
    )


@dataclass(frozen=True)
class Clusters:
    """What ``cluster`` sends back: small, since it may cross from another process.

    ``centers``: KMeans' centres in the scaled space, row ``i`` segment ``i``'s.
    """

    labels: np.ndarray
    z_centroids: np.ndarray
    inertia: float
    silhouette: float | None
    scaler: Scaling | None = None
    centers: np.ndarray | None = None


def cluster(
    values: np.ndarray, mode: str, k: int, n_init: int, random_state: int, features: list[str]
) -> Clusters:
    """KMeans on ``values`` scaled as ``mode`` says, labels numbered by size; all the
    scikit-learn work of ``segment_customers``, so that it can run in another process."""
    import_scikit_learn()
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning

    # order="K": the copy keeps the columns' layout, so sums match feature_matrix's bit for bit
    standing = None if mode == "auto" else scaled(values.copy(order="K"), "auto")
    scaler, matrix = fit_scaling(values, mode)
    with warnings.catch_warnings():
        # Fewer distinct customers than k: KMeans warns and we explain below.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit(matrix)
    distinct = len(np.unique(model.labels_))
    if distinct < k:
        raise DataError(_too_alike_message(matrix, distinct, features, k))
    order = size_order(np.bincount(model.labels_, minlength=k), model.cluster_centers_)
    labels = order[model.labels_]
    z_centroids = pd.DataFrame(matrix if standing is None else standing).groupby(labels).mean()
    silhouette = mean_silhouette(matrix, labels, random_state)
    centers = np.empty_like(model.cluster_centers_)
    centers[order] = model.cluster_centers_
    inertia = float(model.inertia_)
    return Clusters(labels, z_centroids.to_numpy(), inertia, silhouette, scaler, centers)


def assign(customers: pd.DataFrame, segmentation: Segmentation) -> pd.Series:
    """Each customer's segment: the nearest of ``segmentation``'s centres, once scaled the
    way the customers it was fitted on were (what ``KMeans.predict`` does).

    Customers of another period are placed in the same segments this way, instead of
    being clustered afresh, whose numbers would mean nothing from one period to the next.

    >>> fitted = segment_customers(pd.DataFrame({"x": [1.0, 1.1, 5.0, 5.2, 5.1]}), ["x"], k=2)
    >>> assign(pd.DataFrame({"x": [0.0, 4.0, 9.0]}, index=list("abc")), fitted).tolist()
    [1, 0, 0]
    """
    if segmentation.scaler is None or segmentation.centers is None:
        raise ValueError("segmentation has no fitted scaling and centres to assign with")
    matrix = segmentation.scaler.apply(feature_values(customers, segmentation.features))
    if not np.isfinite(matrix).all():
        raise DataError(
            "Some customers have negative values where the reference period had none, so "
            "they cannot be scaled the same way; choose --scale standard or other features."
        )
    labels = nearest_centre(matrix, segmentation.centers)
    return pd.Series(labels, index=customers.index, name="segment")


def check_k(k: int, n_customers: int) -> None:
    """Refuse a K that is not a whole number of at least 2, or not below the number of
    customers; shared by both engines so both refuse with the same sentence."""
    if not isinstance(k, int | np.integer) or k < 2:
        raise DataError(f"The number of segments must be a whole number of at least 2, not {k}.")
    if n_customers <= k:  # a segment per customer is no segmentation (and has no silhouette)
        raise DataError(
            f"{_there_are(n_customers)}, too few for {k} segments (there must be more "
            "customers than segments); choose fewer segments or add customers."
        )


def _there_are(n_customers: int) -> str:
    """The start of a sentence counting customers, in good English.

    >>> _there_are(1), _there_are(2_000)
    ('There is only 1 customer', 'There are 2,000 customers')
    """
    if n_customers == 1:
        return "There is only 1 customer"
    return f"There are {n_customers:,} customers" if n_customers else "There are no customers"


def _too_alike_message(matrix: np.ndarray, groups: int, features: list[str], k: int) -> str:
    """Why KMeans found fewer than ``k`` segments: too few different customers."""
    named = features[0] if len(features) == 1 else f"{', '.join(features[:-1])} and {features[-1]}"
    points = len(np.unique(matrix, axis=0))
    if points == 1:
        return (
            f"All {len(matrix):,} customers have the same {named}, so they cannot be split "
            "into segments; choose other features."
        )
    return (
        f"Only {min(points, groups):,} groups of customers differ in {named}, too few for "
        f"{k} segments; choose fewer segments or other features."
    )


def size_order(sizes: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Map KMeans' arbitrary labels to ranks by size (descending), then by centroid.

    ``sizes[c]`` is the number of customers with label ``c``. Both engines number
    segments this way, so the same partition gets the same numbers and colours.

    >>> size_order(np.array([2, 5, 2]), np.array([[1.0], [0.0], [-1.0]])).tolist()
    [2, 0, 1]
    """
    keys = sorted(range(len(centers)), key=lambda c: (-sizes[c], tuple(centers[c])))
    order = np.empty(len(centers), dtype=int)
    order[keys] = np.arange(len(centers))
    return order


def stratified_sample(labels: np.ndarray, size: int, random_state: int = 0) -> np.ndarray:
    """Sorted positions of about ``size`` items in which every label keeps its share and
    has at least one item: a plain random sample can miss a small segment altogether
    (two outliers in a segment of their own), leaving one label where two are needed.

    >>> labels = np.array([0] * 9_998 + [1, 1])
    >>> picked = stratified_sample(labels, 100)
    >>> len(picked), sorted(set(labels[picked]))
    (100, [np.int64(0), np.int64(1)])
    """
    if len(labels) <= size:
        return np.arange(len(labels))
    rng = np.random.default_rng(random_state)
    _, group, counts = np.unique(labels, return_inverse=True, return_counts=True)
    quotas = np.maximum(1, counts * size // len(labels))
    picked = [
        rng.choice(np.flatnonzero(group == g), quota, replace=False)
        for g, quota in enumerate(quotas)
    ]
    return np.sort(np.concatenate(picked))


def silhouette_defined(labels: np.ndarray) -> bool:
    """Whether a silhouette exists: at least 2 segments, and fewer than the customers.

    >>> silhouette_defined(np.array([0, 0, 1])), silhouette_defined(np.array([0, 1]))
    (True, False)
    >>> silhouette_defined(np.array([0, 0])), silhouette_defined(np.array([], dtype=int))
    (False, False)
    """
    distinct = len(np.unique(labels))
    return 2 <= distinct < len(labels)


def mean_silhouette(matrix: np.ndarray, labels: np.ndarray, random_state: int) -> float | None:
    """Mean silhouette, on a stratified sample above ``SILHOUETTE_SAMPLE`` customers;
    None if undefined."""
    import_scikit_learn()
    from sklearn import config_context
    from sklearn.metrics import silhouette_score

    if not silhouette_defined(labels):
        return None
    if len(labels) > SILHOUETTE_SAMPLE:
        picked = stratified_sample(labels, SILHOUETTE_SAMPLE_SIZE, random_state)
        matrix, labels = matrix[picked], labels[picked]
    with config_context(working_memory=SILHOUETTE_MEMORY_MB):
        return float(silhouette_score(matrix, labels))


def silhouette_per_customer(
    customers: pd.DataFrame, segmentation: Segmentation | Segments, random_state: int = 0
) -> pd.Series:
    """Each customer's silhouette value (a fixed-seed sample above 10,000 customers)."""
    import_scikit_learn()
    from sklearn import config_context
    from sklearn.metrics import silhouette_samples

    matrix = feature_matrix(customers, segmentation.features, segmentation.scaling)
    labels = segmentation.labels.to_numpy()
    index = np.arange(len(labels))
    if len(labels) > SILHOUETTE_SAMPLE:
        index = stratified_sample(labels, SILHOUETTE_SAMPLE_SIZE, random_state)
    if not silhouette_defined(labels[index]):
        return pd.Series(dtype="float64", name="silhouette")
    with config_context(working_memory=SILHOUETTE_MEMORY_MB):
        values = silhouette_samples(matrix[index], labels[index])
    return pd.Series(values, index=customers.index[index], name="silhouette")


def suggest_k(
    customers: pd.DataFrame,
    features: list[str],
    k_values: range = SUGGEST_K_RANGE,
    scale: str | bool = "auto",
    random_state: int = 0,
    n_init: int | None = None,
    report: Report | None = None,
    run: Run = run_here,
) -> KSuggestion:
    """Try each K and suggest the one whose segments are best separated (silhouette).

    >>> customers = pd.DataFrame({"x": [1.0, 1.1, 1.2, 5.0, 5.2, 5.1, 9.0, 9.1]})
    >>> suggest_k(customers, ["x"], range(2, 5)).suggested_k
    3
    """
    usable = [k for k in k_values if 2 <= k < len(customers)]
    if not usable:
        raise DataError(f"{_there_are(len(customers))}, too few to compare numbers of segments.")
    n_init = n_init or scan_n_init(len(customers))
    rows = []
    for done, k in enumerate(usable):
        (report or ignore)(done / len(usable), f"Trying K = {k}")
        result = segment_customers(customers, features, k, scale, random_state, n_init, run)
        rows.append({"k": k, "inertia": result.inertia, "silhouette": result.silhouette})
    return KSuggestion.from_scores(pd.DataFrame(rows))


def project_2d(
    customers: pd.DataFrame, features: list[str], scale: str | bool = "auto"
) -> pd.DataFrame:
    """A 2-D view of all chosen features (principal components), for the scatter plot.

    >>> customers = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 4, 6, 8], "c": [1.0, 0, 1, 0]})
    >>> project_2d(customers, ["a", "b", "c"]).columns.tolist()
    ['PCA 1', 'PCA 2']
    """
    import_scikit_learn()
    from sklearn.decomposition import PCA

    matrix = feature_matrix(customers, features, scale)
    components = min(2, matrix.shape[1], len(matrix))
    projected = PCA(n_components=components, random_state=0).fit_transform(matrix)
    if components < 2:
        projected = np.column_stack([projected, np.zeros(len(matrix))])
    return pd.DataFrame(projected, index=customers.index, columns=["PCA 1", "PCA 2"])
