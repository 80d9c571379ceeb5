"""How typical a customer is of its segment, against a brute-force count."""

import numpy as np
import pandas as pd
import pytest

from basket_segments.analytics.prepare import load_dataset
from basket_segments.analytics.profiles import customer_standing
from basket_segments.analytics.segmentation import feature_matrix, segment_customers
from basket_segments.analytics.typicality import Apart, typicality


def _table(customers: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    table = customers.reset_index(names="customer")
    table.insert(1, "segment", labels.to_numpy())
    return table


def _naive_farther_than(matrix: np.ndarray, labels: np.ndarray, position: int) -> float:
    """The share of the segment's other customers nearer its centre, one by one."""
    members = [i for i in range(len(labels)) if labels[i] == labels[position]]
    centre = sum(matrix[i] for i in members) / len(members)
    own = float(np.sqrt(((matrix[position] - centre) ** 2).sum()))
    nearer = [i for i in members if float(np.sqrt(((matrix[i] - centre) ** 2).sum())) < own]
    return len(nearer) / (len(members) - 1)


@pytest.mark.parametrize("scale", ["auto", "none"])
def test_farther_than_counts_the_segment_in_the_space_kmeans_clustered_in(shared_data, scale):
    mall = load_dataset(shared_data / "Mall_Customers.csv")
    found = segment_customers(mall.customers, mall.features, k=4, scale=scale)
    table = _table(mall.customers, found.labels)
    matrix = feature_matrix(mall.customers, mall.features, scale)
    labels = found.labels.to_numpy()
    for position in range(0, 200, 7):
        customer = table["customer"].iat[position]
        measured = typicality(table, mall.features, found.scaling, customer)
        assert measured.farther_than == pytest.approx(_naive_farther_than(matrix, labels, position))
        assert measured.segment_size == int((labels == labels[position]).sum())


def test_a_big_spend_segments_small_spender_is_atypical_and_told_on_what():
    """Customer 13313 (issue 21): in a "big spend" segment while spending far less than most
    of it; the distance says atypical, and Monetary is what sets them apart."""
    rng = np.random.default_rng(0)
    spend = np.concatenate([rng.normal(800, 60, 40), [307.0]])
    customers = pd.DataFrame(
        {"Recency": rng.normal(20, 1, 41), "Monetary": spend},
        index=[f"c{i}" for i in range(40)] + ["13313"],
    )
    table = _table(customers, pd.Series(0, index=customers.index))
    measured = typicality(table, ["Recency", "Monetary"], "standard", "13313")
    assert measured.farther_than == 1.0 and measured.atypical
    median = float(np.median(spend))
    assert measured.apart == (Apart("Monetary", 307.0, median),)


def test_the_customer_nearest_the_centre_is_typical():
    customers = pd.DataFrame({"x": [1.0, 2, 3, 4, 6, 50, 51]}, index=list("abcdefg"))
    table = _table(customers, pd.Series([0, 0, 0, 0, 0, 1, 1], index=customers.index))
    assert typicality(table, ["x"], "standard", "c").farther_than == 0.0
    assert not typicality(table, ["x"], "standard", "c").atypical
    assert typicality(table, ["x"], "standard", "a").farther_than == pytest.approx(0.75)


def test_a_segment_of_one_is_typical_of_itself():
    customers = pd.DataFrame({"x": [1.0, 2, 3, 90]}, index=list("abcd"))
    table = _table(customers, pd.Series([0, 0, 0, 1], index=customers.index))
    measured = typicality(table, ["x"], "auto", "d")
    assert (measured.farther_than, measured.segment_size, measured.apart) == (0.0, 1, ())


def test_an_unknown_customer_is_refused_by_name():
    table = pd.DataFrame({"customer": ["a", "b"], "segment": [0, 0], "x": [1.0, 2.0]})
    with pytest.raises(ValueError, match="customer: 'z'"):
        typicality(table, ["x"], "auto", "z")


def test_standing_shows_the_segment_median_beside_its_mean():
    table = pd.DataFrame(
        {"customer": list("abcd"), "segment": [0, 0, 0, 1], "Spend": [1.0, 2.0, 30.0, 5.0]}
    )
    standing = customer_standing(table, ["Spend"], "a")
    assert standing.columns.tolist() == [
        "feature",
        "customer",
        "segment median",
        "segment mean",
        "all customers' mean",
    ]
    assert standing.iloc[0].tolist() == ["Spend", 1.0, 2.0, 11.0, 9.5]
