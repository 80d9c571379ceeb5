"""Segment names: from centroids, checked against everyone's median (issue 21)."""

import numpy as np
import pandas as pd

from basket_segments.analytics.profiles import median_sides, profile_segments, segment_names
from basket_segments.analytics.segmentation import Segmentation, feature_matrix

FEATURES = ["Visits", "Spend"]


def outlier_customers() -> tuple[pd.DataFrame, pd.Series]:
    """Segment 1 visits rarely and most of it spends less than everyone's median (107.5),
    but three of its ten spend a million: its mean spend is high, its typical spend low."""
    spend = [100.0 + i for i in range(20)] + [90.0 + i for i in range(7)] + [1e6] * 3
    visits = [5.0 + i % 5 for i in range(20)] + [1.0 + i % 2 for i in range(10)]
    customers = pd.DataFrame({"Visits": visits, "Spend": spend}, index=[f"c{i}" for i in range(30)])
    return customers, pd.Series([0] * 20 + [1] * 10, index=customers.index, name="segment")


def segmentation_of(customers: pd.DataFrame, labels: pd.Series) -> Segmentation:
    """The segmentation KMeans would return for ``labels``, without running KMeans."""
    z = pd.DataFrame(feature_matrix(customers, FEATURES, "auto"), columns=FEATURES)
    return Segmentation(
        labels=labels,
        centroids=customers.groupby(labels).mean(),
        z_centroids=z.groupby(labels.to_numpy()).mean(),
        inertia=0.0,
        silhouette=None,
        features=FEATURES,
        scaling="auto",
    )


def test_a_mean_pulled_up_by_a_few_outliers_does_not_make_a_segment_high():
    customers, labels = outlier_customers()
    found = segmentation_of(customers, labels)
    assert found.z_centroids.loc[1, "Spend"] > 0.5  # the centroid alone would say "high"
    assert (customers["Spend"][labels == 1] < customers["Spend"].median()).mean() > 0.5
    names = profile_segments(customers, found, {"Spend": "monetary"})["name"].tolist()
    assert names == ["High Visits", "Low Visits"]  # was ["High Visits", "Low Visits, big spend"]


def test_the_same_segments_without_the_median_check_were_named_big_spend():
    """What the names said before: the centroid's z-scores alone (every side agrees)."""
    customers, labels = outlier_customers()
    z = segmentation_of(customers, labels).z_centroids
    agreeing = pd.DataFrame(np.sign(z.to_numpy()).astype(int), columns=FEATURES)
    names = segment_names(z, {"Spend": "monetary"}, agreeing)
    assert names[1] == "Low Visits, big spend"


def test_a_vetoed_feature_leaves_room_for_the_next_or_average_customers():
    z = pd.DataFrame({"a": [1.2, -1.2, 0.0], "b": [0.6, -0.2, 0.1]})
    sides = pd.DataFrame({"a": [0, -1, 0], "b": [1, -1, 1]})
    assert segment_names(z, {}, sides) == ["High b", "Low a", "Average customers"]
    vetoed = pd.DataFrame({"a": [0, 0, 0], "b": [0, 0, 0]})
    assert segment_names(z, {}, vetoed) == [
        "Average customers",
        "Average customers (2)",
        "Average customers (3)",
    ]


def test_a_segment_is_on_a_side_of_the_median_only_when_more_than_half_of_it_is():
    customers = pd.DataFrame({"x": [1.0, 2, 2, 2, 3, 3, 9]})  # everyone's median: 2
    labels = pd.Series([0, 0, 0, 1, 1, 2, 2])
    # segment 0: one below, two at the median; 1: one at, one above; 2: both above
    assert median_sides(customers, labels, ["x"])["x"].tolist() == [0, 0, 1]
    assert median_sides(customers, labels, ["x"]).index.tolist() == [0, 1, 2]
