"""Reading files as users have them: encodings, delimiters, formats, and broken ones."""

import io

import pandas as pd
import pytest

from basket_segments.analytics.errors import DataError
from basket_segments.analytics.loading import read_source
from basket_segments.analytics.prepare import load_dataset

TABLE = "CustomerID,Age,Annual Income (k$),Product\n1,30,40,bread\n1,30,40,milk\n2,41,70,milk\n"


@pytest.mark.parametrize(
    ("filename", "shape", "n_customers"),
    [
        ("Mall_Customers.csv", "customers", 200),
        ("Groceries_dataset.csv", "transactions", 3898),
        ("online_retail_2010-12.csv", "transactions", 885),
        ("groceries.csv", "baskets", 0),
    ],
)
def test_real_files_load_in_their_shape(shared_data, filename, shape, n_customers):
    data = load_dataset(shared_data / filename)
    assert data.shape == shape
    assert len(data.customers) == n_customers


def test_mall_ids_stay_text_and_gender_is_not_a_feature(shared_data):
    data = load_dataset(shared_data / "Mall_Customers.csv")
    assert data.customers.index[0] == "0001"
    assert data.features == ["Age", "Annual Income (k$)", "Spending Score (1-100)"]
    assert data.feature_kinds == {
        "Age": "age",
        "Annual Income (k$)": "income",
        "Spending Score (1-100)": "spending",
    }


def test_groceries_dataset_bom_is_not_part_of_the_first_column(shared_data):
    data = load_dataset(shared_data / "Groceries_dataset.csv")
    assert data.roles["customer"] == "Member_number"


def test_basket_file_keeps_every_basket_and_strips_items(shared_data):
    data = load_dataset(shared_data / "groceries.csv")
    assert data.purchases["basket"].nunique() == 9835
    assert data.purchases["product"].nunique() == 169
    assert "cream cheese" in set(data.purchases["product"])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1", "utf-16"])
def test_text_encodings(encoding):
    text = TABLE.replace("bread", "crème brûlée")
    data = load_dataset(text.encode(encoding), "upload.csv")
    assert "crème brûlée" in set(data.purchases["product"])


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_delimiters_are_sniffed(delimiter):
    data = load_dataset(TABLE.replace(",", delimiter).encode(), "upload.csv")
    assert data.shape == "combined"
    assert data.features == ["Age", "Annual Income (k$)"]


def test_excel_and_parquet_read_like_csv(tmp_path):
    frame = pd.read_csv(io.StringIO(TABLE), dtype=str)
    frame.to_excel(tmp_path / "data.xlsx", index=False)
    frame.to_parquet(tmp_path / "data.parquet")
    from_csv = load_dataset(TABLE.encode())
    for path in (tmp_path / "data.xlsx", tmp_path / "data.parquet"):
        data = load_dataset(path)
        pd.testing.assert_frame_equal(data.customers, from_csv.customers)
        assert data.purchases["product"].tolist() == from_csv.purchases["product"].tolist()


def test_format_is_told_by_content_not_name(tmp_path):
    frame = pd.read_csv(io.StringIO(TABLE), dtype=str)
    frame.to_parquet(tmp_path / "renamed.csv")
    assert read_source(tmp_path / "renamed.csv").file_format == "parquet"


def test_explicit_mapping_overrides_detection():
    text = "who,years,thing\na,30,tea\nb,40,jam\n"
    with pytest.raises(DataError, match="No customer column"):
        load_dataset(text.encode())
    data = load_dataset(text.encode(), mapping={"customer": "who", "product": "thing"})
    assert data.shape == "combined"
    assert data.features == ["years"]


def test_numbers_with_currency_and_thousands_separators():
    text = 'id,income\n1,"$1,200"\n2,"£950"\n3,"1,050.5"\n'
    data = load_dataset(text.encode())
    assert data.customers["income"].tolist() == [1200.0, 950.0, 1050.5]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"   \n\n", "is empty"),
        (bytes(range(256)) * 20, "binary data"),
        (b"\x89PNG\r\n\x1a\n" + bytes(500), "binary data"),
        (b"CustomerID,Age\n", "header but no rows"),
        (b"colour,size\nred,3\nblue,4\n", "No customer column"),
        (b"CustomerID,Genre\n1,Male\n2,Female\n", "no numeric columns"),
        (b"PK\x03\x04broken", "damaged or truncated"),
        (b"PAR1broken", "damaged or truncated"),
        (b"id,id,Age\n1,2,3\n", "more than once"),
        (b"CustomerID,Age\n,30\n,40\n", "empty in every row"),
    ],
)
def test_bad_input_gets_one_clear_error(content, message):
    with pytest.raises(DataError, match=message):
        load_dataset(content, "upload.csv")


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_dataset(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="is a folder"):
        load_dataset(tmp_path)


def test_zip_bomb_excel_is_refused_before_unpacking(tmp_path, monkeypatch):
    monkeypatch.setattr("basket_segments.analytics.loading.MAX_EXCEL_UNPACKED_BYTES", 1000)
    frame = pd.DataFrame({"CustomerID": range(500), "Age": range(500)})
    frame.to_excel(tmp_path / "big.xlsx", index=False)
    with pytest.raises(DataError, match="would unpack"):
        load_dataset(tmp_path / "big.xlsx")


def test_peek_columns_reads_names_from_text_heads_and_parquet_footers(tmp_path):
    """What is coming, before the whole file is read: the header of delimited text, the
    schema of Parquet (bytes or a path); nothing for workbooks and damaged files."""
    from basket_segments.analytics.loading import peek_columns

    table = pd.read_csv(io.StringIO(TABLE))
    parquet = tmp_path / "table.parquet"
    table.to_parquet(parquet)
    names = ["CustomerID", "Age", "Annual Income (k$)", "Product"]
    assert peek_columns(TABLE.encode()) == names
    assert peek_columns(parquet) == peek_columns(parquet.read_bytes()) == names
    assert peek_columns(parquet.read_bytes()[:40]) == []  # truncated: read_source explains
    excel = io.BytesIO()
    table.to_excel(excel, index=False)
    assert peek_columns(excel.getvalue()) == []


SPACED = [
    b"CustomerID, Age, Product\n1, 30, bread\n2,  , milk\n3, 41 ,tea\n",
    b"CustomerID,Age,Product\n1,30, \n2, ,milk\n 3 ,41,tea\n",
    b"CustomerID;Age;Product\n1; 30; bread\n2;\t;milk\n",
]


@pytest.mark.parametrize("content", SPACED, ids=["after commas", "blank cells", "semicolons"])
def test_spaces_after_delimiters_without_quotes_read_fast_as_pandas_reads_them(content):
    """Without quotes the spaces pandas skips after a delimiter are stripped later all the
    same, so pyarrow reads the file (the search for them took 0.25 s of a 141 MB load)."""
    from basket_segments.analytics import loading

    text = content.decode()
    delimiter = ";" if ";" in text.splitlines()[0] else ","
    header = text.splitlines()[0].split(delimiter)  # as csv reads it, spaces and all
    fast = loading._read_plain_csv(content, delimiter, [header])
    assert fast is not None
    careful = loading._csv_table(loading._read_csv_carefully(text, delimiter, "f"), "f").frame
    pd.testing.assert_frame_equal(read_source(content).frame, careful)


def test_a_space_before_a_quote_is_read_by_pandas():
    """pandas skips the space and reads the quoted value whole; pyarrow would not."""
    from basket_segments.analytics import loading

    content = b'CustomerID,Product\n1, "bread, white"\n2,milk\n'
    assert loading._read_plain_csv(content, ",", [["CustomerID", "Product"]]) is None
    assert read_source(content).frame["Product"].tolist() == ["bread, white", "milk"]
