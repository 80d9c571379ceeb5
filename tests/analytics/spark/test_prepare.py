"""Spark reads and cleans the real files as the local engine does: RFM, reports, refusals."""

import pandas as pd
import pytest

from basket_segments.analytics.errors import DataError
from basket_segments.analytics.prepare import load_dataset
from basket_segments.analytics.spark.prepare import prepare_table
from basket_segments.analytics.spark.reading import read_table
from tests import shapes

pytestmark = pytest.mark.spark


def both_engines(spark, path):
    """(Spark's prepared data, the local engine's) for one file."""
    return prepare_table(read_table(spark, str(path))), load_dataset(path)


def assert_same_customers(ours, theirs) -> None:
    customers = ours.customers.toPandas().set_index("customer").sort_index()
    expected = theirs.customers.sort_index()
    assert customers.index.tolist() == expected.index.tolist()
    pd.testing.assert_frame_equal(customers, expected, check_dtype=False, check_names=False)


def test_online_retail_rfm_and_cleaning_match(spark, shared_data):
    ours, theirs = both_engines(spark, shared_data / "online_retail_2010-12.csv")
    assert ours.shape == theirs.shape == "transactions"
    assert ours.roles == theirs.roles
    assert_same_customers(ours, theirs)
    assert len(ours.customers.columns) == 4  # customer, Recency, Frequency, Monetary
    assert ours.report["rows_read"] == theirs.report["rows_read"]
    assert ours.report["dropped"] == theirs.report["dropped"]
    assert ours.report["dropped"]["cancellation"] == 728
    assert ours.purchases.count() == len(theirs.purchases)


def test_day_first_dates_and_a_byte_order_mark(spark, shared_data):
    ours, theirs = both_engines(spark, shared_data / "Groceries_dataset.csv")
    assert ours.roles == {"customer": "Member_number", "product": "itemDescription", "date": "Date"}
    assert_same_customers(ours, theirs)  # Recency and Frequency (customer-days)
    assert ours.features == ["Recency", "Frequency"]


def test_combined_rows_keep_the_first_of_conflicting_values(spark, tmp_path):
    path = tmp_path / "combined.csv"
    path.write_text(
        "CustomerID,Age,Product\n1,30,tea\n1,31,jam\n2,,milk\n2,40,tea\n,50,tea\n3,x,jam\n"
    )
    ours, theirs = both_engines(spark, path)
    assert ours.shape == theirs.shape == "combined"
    assert_same_customers(ours, theirs)
    assert ours.report["notes"] == theirs.report["notes"]
    assert ours.report["dropped"] == theirs.report["dropped"]
    rows = ours.purchases.toPandas().sort_values(["customer", "product"], ignore_index=True)
    expected = theirs.purchases.sort_values(["customer", "product"], ignore_index=True)
    pd.testing.assert_frame_equal(rows, expected, check_dtype=False)


def test_a_missing_file_is_one_sentence(spark, tmp_path):
    with pytest.raises(DataError, match=r"^The file .*nowhere.csv does not exist\.$"):
        read_table(spark, str(tmp_path / "nowhere.csv"))


def test_a_file_without_a_customer_column_names_its_columns(spark, tmp_path):
    path = tmp_path / "no_customer.csv"
    path.write_text("Colour,Size\nred,1\nblue,2\n")
    with pytest.raises(DataError, match=r"No customer column found.*Colour, Size"):
        prepare_table(read_table(spark, str(path)))


@pytest.mark.parametrize(
    "name, text",
    [
        ("basket_file.csv", "bread,NONE,milk\nbread,milk\n n/a ,jam\nbread,?\n"),
        (
            "long_baskets.csv",
            "Transaction,Item\n1,Bread\n1,NONE\n2,Coffee\n2,none\n3,Coffee\n3,\n4,unknown\n",
        ),
        (
            "transactions.csv",
            "CustomerID,InvoiceNo,Description,Quantity,UnitPrice\n"
            "1,10,tea,1,2\n1,10,NULL,1,2\n2,11,jam,2,1\n2,11,N/A,1,1\n3,12,POSTAGE,1,5\n",
        ),
    ],
)
def test_placeholder_products_are_dropped_and_named_as_locally(spark, tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    ours, theirs = both_engines(spark, path)
    assert ours.shape == theirs.shape
    assert ours.report["dropped"] == theirs.report["dropped"]
    assert ours.report["dropped"]["placeholder_product"] > 0
    assert ours.report["placeholders"] == theirs.report["placeholders"]
    assert ours.report["rows_read"] == theirs.report["rows_read"]
    assert ours.counts["products"] == theirs.purchases["product"].nunique()


def test_code_columns_are_left_out_of_the_features_as_locally(spark, tmp_path):
    path = shapes.wholesale_table(tmp_path / "wholesale.csv", customer_column="Customer ID")
    ours, theirs = both_engines(spark, path)
    assert ours.features == theirs.features == shapes.SPEND
    assert_same_customers(ours, theirs)
