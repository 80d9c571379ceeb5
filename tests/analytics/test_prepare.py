"""Shapes, cleaning reports and RFM on the real transaction files, checked independently."""

import pandas as pd
import pytest

from basket_segments.analytics.cleaning import describe_report
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.prepare import load_dataset


@pytest.fixture(scope="module")
def retail(shared_data):
    return load_dataset(shared_data / "online_retail_2010-12.csv")


@pytest.fixture(scope="module")
def retail_raw(shared_data):
    return pd.read_csv(shared_data / "online_retail_2010-12.csv", dtype={"CustomerID": "str"})


def test_retail_report_counts_each_reason(retail):
    dropped = retail.report["dropped"]
    assert dropped["missing_customer"] == 15_631
    assert dropped["cancellation"] == 728
    assert dropped["non_positive_quantity"] == 798
    assert dropped["non_positive_price"] == 273
    sentences = describe_report(retail.report)
    assert "Dropped 15,631 rows without a customer." in sentences
    assert "Dropped 728 cancellations." in sentences


def _clean_rows(raw: pd.DataFrame) -> pd.DataFrame:
    """The issue's definition of a clean row, written independently of the package."""
    return raw[
        raw["CustomerID"].notna()
        & ~raw["InvoiceNo"].astype(str).str.startswith("C")
        & (raw["Quantity"] > 0)
        & (raw["UnitPrice"] > 0)
    ]


def test_retail_rfm_matches_an_independent_computation(retail, retail_raw):
    clean = _clean_rows(retail_raw)
    dates = pd.to_datetime(clean["InvoiceDate"])
    reference = dates.max().normalize() + pd.Timedelta(days=1)
    by_customer = clean.assign(day=dates.dt.normalize(), spend=clean.Quantity * clean.UnitPrice)
    expected = by_customer.groupby("CustomerID").agg(
        last=("day", "max"), Frequency=("InvoiceNo", "nunique"), Monetary=("spend", "sum")
    )
    expected["Recency"] = (reference - expected["last"]).dt.days
    got = retail.customers.sort_index()
    assert list(got.index) == list(expected.index)
    assert got["Recency"].tolist() == expected["Recency"].tolist()
    assert got["Frequency"].tolist() == expected["Frequency"].tolist()
    assert got["Monetary"].to_numpy() == pytest.approx(expected["Monetary"].round(2).to_numpy())


def test_retail_charges_stay_out_of_baskets(retail, retail_raw):
    products = set(retail.purchases["product"])
    assert "POSTAGE" not in products
    assert "Manual" not in products
    assert retail.report["dropped"]["non_product_code"] > 0
    assert "WHITE HANGING HEART T-LIGHT HOLDER" in products


def test_groceries_frequency_counts_distinct_days(shared_data):
    data = load_dataset(shared_data / "Groceries_dataset.csv")
    raw = pd.read_csv(shared_data / "Groceries_dataset.csv", encoding="utf-8-sig", dtype=str)
    expected = raw.groupby("Member_number")["Date"].nunique()
    assert data.customers["Frequency"].sort_index().tolist() == expected.sort_index().tolist()
    assert data.purchases["basket"].nunique() == 14_963
    assert "duplicate" in " ".join(data.report["notes"])


def test_combined_format_separates_customers_and_reports_conflicts():
    text = (
        "CustomerID,Age,Annual Income,Spending Score,Product\n"
        "1,30,40,50,bread\n1,30,40,50,milk\n2,41,70,20,milk\n2,42,70,20,tea\n,50,50,50,jam\n"
    )
    data = load_dataset(text.encode())
    assert data.shape == "combined"
    assert data.customers.loc["2", "Age"] == 41
    assert len(data.customers) == 2
    assert len(data.purchases) == 4
    assert data.report["dropped"]["missing_customer"] == 1
    assert any("conflicting values in Age" in note for note in data.report["notes"])


def test_customer_with_non_numeric_feature_is_dropped_and_counted():
    text = "CustomerID,Age,Income\n1,30,40\n2,forty,50\n3,25,60\n4,33,41\n"
    data = load_dataset(text.encode())
    assert list(data.customers.index) == ["1", "3", "4"]
    assert data.report["dropped"]["missing_feature"] == 1


def test_long_baskets_without_customers():
    data = load_dataset(b"Transaction,Item\n1,bread\n1,milk\n2,milk\n")
    assert data.shape == "baskets"
    assert data.purchases["basket"].nunique() == 2


def test_transactions_without_usable_rows():
    text = "InvoiceNo,CustomerID,Description,Quantity\nC1,5,tea,-1\n"
    with pytest.raises(DataError, match="No usable purchase rows"):
        load_dataset(text.encode())
