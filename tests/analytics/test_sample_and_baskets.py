"""The generated sample and basket building."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from basket_segments.analytics.baskets import build_baskets, split_baskets
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.local import LocalEngine
from basket_segments.analytics.migration import LAPSED, NEW, migration_matrix
from basket_segments.analytics.over_time import segments_over_time, split_by_period
from basket_segments.analytics.periods import PeriodRule
from basket_segments.analytics.pipeline import analyze
from basket_segments.analytics.prepare import load_dataset
from basket_segments.analytics.sample import SAMPLE_COLUMNS, generate_sample
from basket_segments.analytics.stages import AnalysisOptions


def test_sample_is_deterministic_and_in_the_combined_format():
    first, second = generate_sample(300, seed=5), generate_sample(300, seed=5)
    pd.testing.assert_frame_equal(first, second)
    assert list(first.columns) == SAMPLE_COLUMNS
    assert not first.duplicated(["CustomerID", "Date", "Product"]).any()
    assert not generate_sample(300, seed=6).equals(first)


def test_sample_purchases_span_a_year_with_prices():
    sample = generate_sample(500, seed=3)
    dates = pd.to_datetime(sample["Date"], format="%Y-%m-%d")
    assert (dates.max() - dates.min()).days >= 350
    assert dates.dt.year.nunique() == 1
    assert dates.dt.month.value_counts().min() > len(sample) / 24  # every month is shopped in
    assert (sample["Price"] > 0).all()
    prices = sample.groupby("Product")["Price"].nunique()
    assert (prices == 1).all()  # a price list, not a price per row
    trips = sample.groupby("CustomerID")["Date"].nunique()
    assert trips.median() >= 3 and trips.max() > 10


def test_the_sample_over_time_has_moves_new_customers_and_no_purchase(tmp_path):
    """Over time on the sample, as the page does by default (all features, K = 5, split
    at mid-year): customers move between segments, some are new, some stop buying."""
    path = tmp_path / "sample.csv"
    generate_sample(1500, seed=7).to_csv(path, index=False)
    data = load_dataset(path)
    assert {"Recency", "Frequency", "Monetary"} <= set(data.features)
    cut = split_by_period(data, PeriodRule())
    assert len(cut.periods) == 2 and cut.periods.edges[1] == pd.Timestamp("2025-07-01")
    found = segments_over_time(cut, data.features, 5, data.feature_kinds)
    matrix = migration_matrix(found.migration)
    both = matrix.drop(index=NEW, columns=LAPSED).to_numpy()
    moved, stayed = both.sum() - np.trace(both), np.trace(both)
    seen = matrix.to_numpy().sum()
    assert stayed > moved > 0.05 * seen
    assert matrix.loc[NEW].sum() > 0.05 * seen and matrix[LAPSED].sum() > 0.05 * seen
    assert len(set(found.names.values())) == 5


def test_sample_has_natural_groups_with_their_own_rules(tmp_path):
    path = tmp_path / "sample.csv"
    generate_sample(2000).to_csv(path, index=False)
    assert load_dataset(path).shape == "combined"
    result = analyze(LocalEngine(), path, AnalysisOptions(k=None))
    assert result.summary["k"] >= 4
    assert result.summary["silhouette"] > 0.3  # recency, frequency and spend blur them a bit
    personas = AnalysisOptions(k=None, features=["Age", "Annual Income", "Spending Score"])
    assert analyze(LocalEngine(), path, personas).summary["silhouette"] > 0.35
    per_segment = result.rules[result.rules["segment"] >= 0].groupby("segment").size()
    assert len(per_segment) == result.summary["k"]
    assert (result.rules["lift_vs_all"] > 1.5).any()


def test_large_catalogues_get_numbered_variants():
    sample = generate_sample(200, n_products=150, seed=2)
    assert sample["Product"].nunique() > 80
    assert sample["Product"].str.match(r".* \d+$").any()


def test_baskets_by_invoice_and_by_customer():
    purchases = pd.DataFrame(
        {
            "customer": ["a", "a", "a", "b"],
            "basket": ["1", "1", "2", "3"],
            "product": ["tea", "jam", "tea", "tea"],
        }
    )
    by_customer = build_baskets(purchases)
    assert len(by_customer) == 2
    assert list(by_customer.customers) == ["a", "b"]
    by_invoice = build_baskets(purchases, by="invoice")
    assert len(by_invoice) == 3
    assert np.array_equal(by_invoice.sizes, [2, 1, 1])
    assert list(by_invoice.customers) == ["a", "a", "b"]


def test_invoice_baskets_need_an_invoice_column():
    purchases = pd.DataFrame({"customer": ["a"], "basket": [pd.NA], "product": ["tea"]})
    with pytest.raises(DataError, match="no invoice or date column"):
        build_baskets(purchases, by="invoice")
    with pytest.raises(DataError, match="one customer or one invoice"):
        build_baskets(purchases, by="week")


@settings(max_examples=100, deadline=None)
@given(
    baskets=st.lists(
        st.tuples(st.lists(st.integers(0, 9), max_size=5), st.integers(-1, 3)), max_size=40
    )
)
def test_each_group_gets_its_own_baskets_in_order(baskets):
    """``split_baskets`` against taking each group's baskets one by one (-1: no group)."""
    sizes = [len(codes) for codes, _ in baskets]
    codes = np.array([code for basket, _ in baskets for code in basket], dtype=np.int32)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    groups = np.array([group for _, group in baskets], dtype=np.int64)
    split = split_baskets(codes, offsets, groups, 4)
    for group, (group_codes, group_offsets) in enumerate(split):
        own = [basket for basket, of in baskets if of == group]
        assert group_codes.tolist() == [code for basket in own for code in basket]
        assert group_offsets.tolist() == np.cumsum([0, *map(len, own)]).tolist()
        assert group_codes.dtype == codes.dtype
