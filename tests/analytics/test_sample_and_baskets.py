"""The generated sample and basket building."""

import numpy as np
import pandas as pd
import pytest

from basket_segments.analytics.baskets import build_baskets
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.local import LocalEngine
from basket_segments.analytics.pipeline import analyze
from basket_segments.analytics.prepare import load_dataset
from basket_segments.analytics.sample import SAMPLE_COLUMNS, generate_sample
from basket_segments.analytics.stages import AnalysisOptions


def test_sample_is_deterministic_and_in_the_combined_format():
    first, second = generate_sample(300, seed=5), generate_sample(300, seed=5)
    pd.testing.assert_frame_equal(first, second)
    assert list(first.columns) == SAMPLE_COLUMNS
    assert not first.duplicated(["CustomerID", "Product"]).any()
    assert not generate_sample(300, seed=6).equals(first)


def test_sample_has_natural_groups_with_their_own_rules(tmp_path):
    path = tmp_path / "sample.csv"
    generate_sample(2000).to_csv(path, index=False)
    assert load_dataset(path).shape == "combined"
    result = analyze(LocalEngine(), path, AnalysisOptions(k=None))
    assert result.summary["k"] >= 4
    assert result.summary["silhouette"] > 0.35
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
