"""Spark KMeans: the local engine's partition of Mall_Customers, numbering, profiles, K choice."""

import json

import numpy as np
import pandas as pd
import pytest

from basket_segments.analytics.errors import DataError
from basket_segments.analytics.prepare import load_dataset
from basket_segments.analytics.profiles import profile_segments
from basket_segments.analytics.segmentation import segment_customers
from basket_segments.analytics.spark.profiles import profile_spark
from basket_segments.analytics.spark.segments import points, segment_spark, suggest_k_spark
from basket_segments.cli.commands import main
from tests.analytics.test_profiles import FEATURES, outlier_customers, segmentation_of

pytestmark = pytest.mark.spark


def test_mall_segments_match_the_local_engine(spark, shared_data, tmp_path):
    path = str(shared_data / "Mall_Customers.csv")
    out = tmp_path / "spark"
    spark_run = ["--engine", "spark", "--spark-master", "local[2]"]
    assert main(["analyze", path, "--k", "5", *spark_run, "--out", str(out)]) == 0
    ours = pd.read_csv(out / "segments.csv", dtype={"customer": str}).set_index("customer")
    local = load_dataset(path)
    theirs = segment_customers(local.customers, local.features, 5)
    labels = ours["segment"].reindex(theirs.labels.index)
    # Up to relabelling the partitions are one: each segment meets exactly one of the other's.
    contingency = pd.crosstab(labels, theirs.labels).to_numpy()
    assert ((contingency > 0).sum(axis=0) == 1).all()
    assert ((contingency > 0).sum(axis=1) == 1).all()
    # Both number segments by size, then centroid, so even the numbers agree.
    assert labels.tolist() == theirs.labels.tolist()
    expected = profile_segments(local.customers, theirs, local.feature_kinds)
    profiles = pd.read_csv(out / "profiles.csv")
    pd.testing.assert_frame_equal(profiles, expected, check_dtype=False, rtol=1e-9)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["engine"] == "spark"
    assert summary["inertia"] == pytest.approx(theirs.inertia, rel=1e-9)
    assert summary["silhouette"] == pytest.approx(theirs.silhouette, rel=1e-9)
    assert list(ours.columns) == ["segment", "segment_name", *local.features]


def test_spark_suggests_the_local_engines_k(spark):
    rows = [(str(i), x) for i, x in enumerate([1.0, 1.1, 1.2, 5.0, 5.2, 5.1, 9.0, 9.1])]
    customers = spark.createDataFrame(rows, "customer string, x double")
    suggestion = suggest_k_spark(customers, ["x"], range(2, 5), n_init=2)
    assert suggestion.suggested_k == 3
    assert suggestion.scores["k"].tolist() == [2, 3, 4]
    assert np.isfinite(suggestion.scores["silhouette"]).all()


def test_too_few_different_customers_are_explained(spark):
    rows = [(str(i), 1.0 if i < 4 else 2.0) for i in range(8)]
    customers = spark.createDataFrame(rows, "customer string, x double")
    with pytest.raises(DataError, match="Only 2 groups of customers differ in x"):
        segment_spark(customers, ["x"], k=3, n_init=1)


def test_spark_names_agree_with_the_median_as_the_local_engine_does(spark):
    """A few outliers pull a segment's mean spend up while most of it spends below everyone's
    median: neither engine calls it "big spend" (issue 21)."""
    customers, labels = outlier_customers()
    frame = customers.reset_index(names="customer")
    segments = spark.createDataFrame(
        frame.assign(segment=labels.to_numpy())[["customer", "segment"]]
    )
    prepared, _ = points(spark.createDataFrame(frame), FEATURES, "auto")
    ours = profile_spark(prepared.join(segments, "customer"), FEATURES, {"Spend": "monetary"})
    expected = profile_segments(
        customers, segmentation_of(customers, labels), {"Spend": "monetary"}
    )
    pd.testing.assert_frame_equal(ours, expected, check_dtype=False, rtol=1e-9)
    assert ours["name"].tolist() == ["High Visits", "Low Visits"]
