"""KMeans segments: published figures on Mall_Customers, determinism, numbering, K choice."""

import os

import numpy as np
import pandas as pd
import pytest

from basket_segments.analytics.errors import DataError
from basket_segments.analytics.prepare import load_dataset
from basket_segments.analytics.profiles import profile_segments
from basket_segments.analytics.segmentation import (
    ScikitLearnProcess,
    feature_matrix,
    segment_customers,
    silhouette_per_customer,
    suggest_k,
)

INCOME, SPENDING = "Annual Income (k$)", "Spending Score (1-100)"


@pytest.fixture(scope="module")
def mall(shared_data):
    return load_dataset(shared_data / "Mall_Customers.csv")


def test_mall_reproduces_the_published_segments(mall):
    result = segment_customers(
        mall.customers, [INCOME, SPENDING], k=5, scale=False, n_init=10, random_state=0
    )
    assert result.labels.value_counts().tolist() == [81, 39, 35, 23, 22]
    assert round(result.silhouette, 4) == 0.5539


def test_segments_are_numbered_by_size_and_reproducible(mall):
    first = segment_customers(mall.customers, mall.features, k=4, random_state=3)
    second = segment_customers(mall.customers, mall.features, k=4, random_state=3)
    pd.testing.assert_series_equal(first.labels, second.labels)
    sizes = first.labels.value_counts().sort_index().tolist()
    assert sizes == sorted(sizes, reverse=True)


def test_scaling_changes_what_kmeans_sees():
    # x spans 0..1000, y separates two groups by 1: unscaled, x dominates.
    rng = np.random.default_rng(0)
    customers = pd.DataFrame({"x": rng.uniform(0, 1000, 200), "y": np.repeat([0.0, 1.0], 100)})
    scaled = segment_customers(customers, ["x", "y"], k=2, scale=True)
    groups = pd.crosstab(scaled.labels, customers["y"])
    assert (groups.to_numpy() == 0).sum() == 2  # each segment is one y group


def test_profiles_have_sizes_shares_and_distinct_names(mall):
    result = segment_customers(mall.customers, [INCOME, SPENDING], k=5, scale=False)
    profiles = profile_segments(mall.customers, result, mall.feature_kinds)
    assert profiles["size"].sum() == 200
    assert profiles["share"].sum() == pytest.approx(1.0)
    assert profiles["name"].is_unique
    names = set(profiles["name"])
    assert "High income, high spending" in names or "High spending, high income" in names
    expected_mean = mall.customers[INCOME][result.labels == 0].mean()
    assert profiles.loc[0, f"mean {INCOME}"] == pytest.approx(expected_mean)


def test_suggest_k_finds_the_planted_number_of_groups():
    rng = np.random.default_rng(1)
    centres = np.array([[0, 0], [10, 0], [0, 10], [10, 10]])
    points = np.concatenate([c + rng.normal(0, 0.5, (50, 2)) for c in centres])
    customers = pd.DataFrame(points, columns=["a", "b"])
    suggestion = suggest_k(customers, ["a", "b"], range(2, 8))
    assert suggestion.suggested_k == 4
    assert suggestion.scores["k"].tolist() == list(range(2, 8))
    assert suggestion.scores["inertia"].is_monotonic_decreasing


def test_silhouette_per_customer_averages_to_the_score(mall):
    result = segment_customers(mall.customers, [INCOME, SPENDING], k=5, scale=False)
    values = silhouette_per_customer(mall.customers, result)
    assert len(values) == 200
    assert values.mean() == pytest.approx(result.silhouette)


@pytest.mark.parametrize(
    ("k", "message"),
    [(1, "at least 2"), (300, "too few for 300 segments")],
)
def test_bad_k(mall, k, message):
    with pytest.raises(DataError, match=message):
        segment_customers(mall.customers, mall.features, k=k)


def test_unknown_feature_is_named(mall):
    with pytest.raises(DataError, match=r"Unknown feature.*Income"):
        segment_customers(mall.customers, ["Income"], k=3)


def test_identical_customers_are_explained_not_clustered():
    customers = pd.DataFrame({"a": [1.0] * 10, "b": [2.0] * 10})
    with pytest.raises(DataError, match="All 10 customers have the same a and b"):
        segment_customers(customers, ["a", "b"], k=2)


def test_skewed_rfm_features_do_not_make_one_customer_segments(shared_data):
    retail = load_dataset(shared_data / "online_retail_2010-12.csv")
    scaled = segment_customers(retail.customers, retail.features, k=5, scale=True)
    assert scaled.labels.value_counts().min() >= 20
    raw = segment_customers(retail.customers, retail.features, k=5, scale=False)
    assert raw.labels.value_counts().min() < 5  # what the log transform avoids


def test_two_far_outliers_make_segments_the_silhouette_sample_keeps():
    """Above 10,000 customers the silhouette is sampled; a random sample of 2,000 missed both
    one-customer segments, left one label and raised "Number of labels is 1"."""
    rng = np.random.default_rng(1)
    x = np.concatenate([[1e6, -1e6], rng.normal(size=10_001)])
    customers = pd.DataFrame({"x": x}, index=[f"c{i}" for i in range(len(x))])
    found = segment_customers(customers, ["x"], k=3, scale=False)
    assert sorted(found.labels.value_counts()) == [1, 1, 10_001]
    assert -1 <= found.silhouette <= 1
    per_customer = silhouette_per_customer(customers, found)
    assert found.labels[per_customer.index].nunique() == 3


IMPORT_CHECK = """
import sys, threading
from basket_segments.analytics.local import LocalEngine
from basket_segments.analytics.stages import StageClock
LocalEngine().load(sys.stdin.buffer.read(), StageClock())
for thread in threading.enumerate():
    if thread.name == "import-sklearn":
        thread.join()
print("sklearn.cluster" in sys.modules, "sklearn.metrics" in sys.modules)
"""


@pytest.mark.parametrize(
    ("content", "imported"),
    [
        (b"CustomerID,Age,Product\n1,30,bread\n2,41,milk\n", "True True"),
        (b"bread,milk\nmilk\ntea,jam,bread\n", "False False"),  # baskets: nothing to segment
    ],
)
def test_scikit_learn_is_imported_while_a_customer_file_loads(content, imported):
    """Loading customers starts importing scikit-learn in a thread; a basket file never
    imports it (a fresh interpreter: this one has it already)."""
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-c", IMPORT_CHECK], input=content, capture_output=True, check=True
    )
    assert run.stdout.decode().strip() == imported


def _spread_customers(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    values = {"Age": rng.integers(18, 80, n), "Spend": rng.lognormal(3, 1.5, n)}
    return pd.DataFrame(values, index=[f"c{i}" for i in range(n)]).astype("float64")


@pytest.mark.parametrize("scale", ["auto", "standard", "none"])
def test_a_scikit_learn_process_segments_exactly_as_this_process(scale):
    """The command line's KMeans runs in a process of its own; what comes back is what
    running it here gives, to the last bit, and the work really ran elsewhere."""
    import os

    customers = _spread_customers()
    process = ScikitLearnProcess()
    try:
        assert process(os.getpid) != os.getpid()
        there = segment_customers(customers, ["Age", "Spend"], k=4, scale=scale, run=process)
    finally:
        process.close()
    here = segment_customers(customers, ["Age", "Spend"], k=4, scale=scale)
    pd.testing.assert_series_equal(there.labels, here.labels)
    pd.testing.assert_frame_equal(there.z_centroids, here.z_centroids, check_exact=True)
    assert (there.inertia, there.silhouette) == (here.inertia, here.silhouette)
    assert list(here.z_centroids.columns) == ["Age", "Spend"]


def test_segment_names_come_from_auto_scaled_centroids_whatever_kmeans_used():
    """Names compare centroids in standard deviations after the log of skewed features, as
    before KMeans' scaling became a choice: a segment's name does not depend on it."""
    customers = _spread_customers()
    found = segment_customers(customers, ["Age", "Spend"], k=3, scale="none")
    expected = pd.DataFrame(feature_matrix(customers, ["Age", "Spend"], "auto"))
    expected = expected.groupby(found.labels.to_numpy()).mean()
    np.testing.assert_array_equal(found.z_centroids.to_numpy(), expected.to_numpy())


def test_an_error_in_the_scikit_learn_process_reaches_the_caller():
    customers = pd.DataFrame({"a": [1.0] * 10, "b": [2.0] * 10})
    process = ScikitLearnProcess()
    try:
        with pytest.raises(DataError, match="All 10 customers have the same a and b"):
            segment_customers(customers, ["a", "b"], k=2, run=process)
    finally:
        process.close()


def test_kmeans_runs_here_when_the_scikit_learn_process_died():
    """Killed (the out-of-memory killer, a user's kill): the analysis goes on here."""
    import os
    import signal

    customers = _spread_customers()
    process = ScikitLearnProcess()
    try:
        os.kill(process(os.getpid), signal.SIGKILL)
        found = segment_customers(customers, ["Age", "Spend"], k=3, run=process)
    finally:
        process.close()
    expected = segment_customers(customers, ["Age", "Spend"], k=3)
    pd.testing.assert_series_equal(found.labels, expected.labels)


START_CHECK = """
import threading
from basket_segments.analytics.segmentation import start_method
alone = start_method()
stop = threading.Event()
threading.Thread(target=stop.wait).start()
with_thread = start_method()
stop.set()
import sklearn.cluster
print(alone, with_thread, start_method())
"""


def test_the_process_is_forked_only_while_that_is_safe():
    """A fresh interpreter: forked while it is alone; spawned once another thread runs, or
    once OpenMP is loaded (a forked KMeans waited forever for OpenMP's threads)."""
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", START_CHECK], capture_output=True, check=True)
    alone = "fork" if sys.platform == "linux" else "spawn"
    assert run.stdout.decode().split() == [alone, "spawn", "spawn"]


PROCESS_CHECK = """
import multiprocessing, sys
from basket_segments.analytics.local import LocalEngine
from basket_segments.analytics.stages import AnalysisOptions, StageClock
engine = LocalEngine(scikit_learn_process=True)
data = engine.load(sys.stdin.buffer.read(), StageClock())
started = len(multiprocessing.active_children())
if data.shape != "baskets":
    engine.segment(data, data.features, 2, AnalysisOptions())
print(started, "sklearn" in sys.modules)
"""


def _table_bytes(kind: str) -> bytes:
    import io

    table = pd.DataFrame({"CustomerID": ["1", "2", "3"], "Age": [30, 41, 60]})
    table["Product"] = ["bread", "milk", "tea"]
    buffer = io.BytesIO()
    table.to_parquet(buffer) if kind == "parquet" else table.to_excel(buffer, index=False)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "printed"),
    [
        (b"CustomerID,Age,Product\n1,30,bread\n2,41,milk\n3,60,tea\n", "1 False"),
        (_table_bytes("parquet"), "1 False"),  # its columns are in its footer
        (b"bread,milk\nmilk\ntea,jam,bread\n", "0 False"),  # baskets: nothing to segment
        # A workbook shows its customers only once read: a thread, as in the dashboard.
        (_table_bytes("excel"), "0 True"),
    ],
)
def test_the_command_lines_engine_never_imports_scikit_learn_itself(content, printed):
    """With ``scikit_learn_process`` a file whose first bytes name customers starts the
    process before it is read, and segments there; this process never imports
    scikit-learn (a fresh interpreter)."""
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-c", PROCESS_CHECK], input=content, capture_output=True, check=True
    )
    assert run.stdout.decode().strip() == printed


@pytest.mark.skipif(not hasattr(__import__("os"), "sched_setaffinity"), reason="Linux only")
def test_on_one_cpu_the_command_line_segments_and_mines_in_its_own_process():
    """Pinned to one CPU, a process beside this one only takes turns with it (its start and
    the features and labels it pickles are pure cost): no scikit-learn process, and the
    rules are mined here (the same CSV started the process above)."""
    import subprocess
    import sys

    pinned = "import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})\n"
    csv = b"CustomerID,Age,Product\n1,30,bread\n2,41,milk\n3,60,tea\n"
    run = subprocess.run(
        [sys.executable, "-c", pinned + PROCESS_CHECK], input=csv, capture_output=True, check=True
    )
    assert run.stdout.decode().strip() == "0 True"


def test_rules_are_mined_in_worker_processes_only_with_cpus_to_spare(monkeypatch):
    from basket_segments.analytics import rules

    big = rules.PARALLEL_MIN_ENTRIES
    monkeypatch.setattr(rules, "usable_cpus", lambda: 1)
    assert rules._job_count(None, 6, big) == 1
    monkeypatch.setattr(rules, "usable_cpus", lambda: 2)
    assert rules._job_count(None, 6, big) == 2
    assert rules._job_count(None, 6, big - 1) == 1
    assert rules._job_count(3, 6, big) == 3  # the user's --jobs stands


@pytest.mark.parametrize(
    ("labels", "defined"),
    [([0, 0, 0], False), ([0, 1, 2], False), ([0, 1], False), ([0, 0, 1], True)],
    ids=["one segment", "a segment per customer", "two customers", "defined"],
)
def test_silhouettes_only_where_they_exist(labels, defined):
    """1 label, n labels and n < 3: no silhouette, never sklearn's ValueError."""
    from types import SimpleNamespace

    from basket_segments.analytics.segmentation import mean_silhouette, silhouette_per_customer

    customers = pd.DataFrame(
        {"x": [1.0, 2.0, 9.0][: len(labels)]}, index=list("abc")[: len(labels)]
    )
    found = SimpleNamespace(
        labels=pd.Series(labels, index=customers.index), features=["x"], scaling="none"
    )
    per_customer = silhouette_per_customer(customers, found)
    mean = mean_silhouette(customers.to_numpy(), np.array(labels), 0)
    assert (len(per_customer) == len(labels)) is defined
    assert (mean is not None) is defined


def test_a_segment_per_customer_is_refused_with_a_sentence():
    customers = pd.DataFrame({"Age": [20.0, 60.0]}, index=["a", "b"])
    with pytest.raises(DataError, match=r"There are 2 customers, too few for 2 segments \(there"):
        segment_customers(customers, ["Age"], 2)


@pytest.mark.parametrize(
    ("silhouettes", "expected", "why"),
    [
        ([0.60, 0.40, 0.30], 2, "separates the customers best (silhouette 0.60"),
        ([0.41, 0.40, 0.30], 3, "about as well as K = 2 (silhouette 0.40 against 0.41)"),
        ([0.30, 0.35, 0.50], 4, "separates the customers best (silhouette 0.50"),
        ([None, None, None], 2, "No K could be rated"),
    ],
    ids=["two clear halves", "two by a hair", "four", "none rated"],
)
def test_the_suggested_k_and_its_reason(silhouettes, expected, why):
    from basket_segments.analytics.stages import KSuggestion

    scores = pd.DataFrame({"k": [2, 3, 4], "inertia": [9.0, 6.0, 5.0], "silhouette": silhouettes})
    found = KSuggestion.from_scores(scores.astype({"silhouette": "float64"}))
    assert found.suggested_k == expected
    assert why in found.reason and found.reason.endswith(".")


def test_openmp_threads_wait_asleep():
    """On a busy machine spinning OpenMP threads made Suggest K 6x slower (885 customers)
    and 20x (20,000): waiting threads sleep. (The thread count stays scikit-learn's: it
    changes the last bits of the inertia, which matches scikit-learn's exactly.)"""
    import subprocess
    import sys

    policy = subprocess.run(
        [sys.executable, "-c", "import basket_segments, os; print(os.environ['OMP_WAIT_POLICY'])"],
        capture_output=True,
        text=True,
        check=True,
        env={key: value for key, value in os.environ.items() if key != "OMP_WAIT_POLICY"},
    )
    assert policy.stdout.strip() == "PASSIVE"


def _restarts_asked(monkeypatch, call) -> list[int]:
    """The ``n_init`` each KMeans fit of ``call`` was given (the fits run for real)."""
    from basket_segments.analytics import segmentation

    asked = []

    def counting(function, *args):
        asked.append(args[3])  # cluster(values, mode, k, n_init, ...)
        return function(*args)

    monkeypatch.setattr(segmentation, "SILHOUETTE_SAMPLE", 10)  # keep the fits cheap
    call(counting)
    return asked


def test_a_segmentation_restarts_kmeans_ten_times_at_any_size(monkeypatch):
    """As the original design: with one restart on 500,000 customers, 64 of them landed in
    other segments than its 10 restarts put them in."""
    from basket_segments.analytics import segmentation

    monkeypatch.setattr(segmentation, "scan_n_init", lambda n: 1)  # as for a large file
    customers = pd.DataFrame({"x": np.arange(300.0), "y": np.arange(300.0) % 7})
    asked = _restarts_asked(
        monkeypatch, lambda run: segment_customers(customers, ["x", "y"], 3, run=run)
    )
    assert asked == [segmentation.RESTARTS] == [10]


def test_suggest_k_scans_with_fewer_restarts_on_large_data(monkeypatch):
    from basket_segments.analytics import segmentation

    monkeypatch.setattr(segmentation, "scan_n_init", lambda n: 1)
    customers = pd.DataFrame({"x": np.arange(300.0), "y": np.arange(300.0) % 7})
    asked = _restarts_asked(
        monkeypatch,
        lambda run: segmentation.suggest_k(customers, ["x", "y"], range(2, 5), run=run),
    )
    assert asked == [1, 1, 1]
