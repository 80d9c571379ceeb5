"""KMeans segments: published figures on Mall_Customers, determinism, numbering, K choice."""

import numpy as np
import pandas as pd
import pytest

from basket_segments.analytics.errors import DataError
from basket_segments.analytics.prepare import load_dataset
from basket_segments.analytics.profiles import profile_segments
from basket_segments.analytics.segmentation import (
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
