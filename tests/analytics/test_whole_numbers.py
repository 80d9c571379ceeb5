"""Columns of whole numbers written plainly are read as numbers, and nothing after can tell.

The text path (every column read as text, turned into numbers later) is the reference:
the same files are prepared with the typed read switched off, and every part of the
prepared data must be equal, in files whose first rows look plain but whose later rows
are not (a leading zero, a plus sign, hexadecimal, a space, a decimal point).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from basket_segments.analytics import loading
from basket_segments.analytics.loading import read_source
from basket_segments.analytics.prepare import prepare
from basket_segments.analytics.whole_numbers import PLAIN_WHOLE, as_whole_numbers

#: More rows than the reader's sample (200), so a late value is unseen when it chooses.
ROWS = 600


def _combined(late: str | None = None, column: str = "Region") -> bytes:
    """Customers with an age, a score, a Region code and a ZIP, and their purchases; a
    customer of the last rows only (after the reader's sample) has ``late`` in ``column``."""
    rng = np.random.default_rng(5)
    customers = rng.integers(1, 120, ROWS)
    frame = pd.DataFrame(
        {
            "CustomerID": customers,
            "Age": 18 + customers % 50,
            "Score": customers * 7 % 100 - 20,  # negative values too
            "Region": 1 + customers % 3,
            "ZIP": 10_000 + customers * 37,
            "Product": rng.choice(["tea", "jam", "bread", "milk", "eggs"], ROWS),
        }
    ).astype(str)
    if late is not None:
        frame.loc[ROWS - 3 :, "CustomerID"] = "999"
        frame.loc[ROWS - 3 :, column] = late
    return frame.to_csv(index=False).encode()


def _prepared_both_ways(content: bytes, monkeypatch, mapping=None):
    typed = prepare(read_source(content), mapping)
    with monkeypatch.context() as patched:
        patched.setattr(loading, "candidate_columns", lambda rows: [])
        as_text = prepare(read_source(content), mapping)
    return typed, as_text


def _assert_same(typed, as_text) -> None:
    assert typed.shape == as_text.shape and typed.roles == as_text.roles
    pd.testing.assert_frame_equal(typed.customers, as_text.customers)
    pd.testing.assert_frame_equal(typed.purchases, as_text.purchases)
    pd.testing.assert_frame_equal(typed.categories, as_text.categories)
    assert typed.report == as_text.report and typed.feature_kinds == as_text.feature_kinds


def test_plain_whole_numbers_are_read_as_numbers_and_the_purchase_columns_as_text():
    frame = read_source(_combined()).frame
    assert frame.dtypes.astype(str).to_dict() == {
        "CustomerID": "str",  # a purchase column: text, though its values are numbers
        "Age": "int64",
        "Score": "int64",
        "Region": "int64",
        "ZIP": "int64",
        "Product": "str",
    }


@pytest.mark.parametrize(
    ("late", "column"),
    [
        (None, "Region"),
        ("007", "Region"),  # a leading zero: a category's value must stay "007"
        ("+2", "Region"),
        ("0x1e", "Region"),  # pyarrow reads hexadecimal as a number
        ("0xFFFFFFFFF", "ZIP"),  # as many characters as its number has digits
        ("-0", "Score"),
        (" 3", "Region"),
        ("2.0", "Region"),
        ("", "Age"),
        ("1234567890123456", "ZIP"),  # beyond the digits a float holds exactly
    ],
)
def test_a_late_value_that_is_not_plain_keeps_the_column_text(late, column, monkeypatch):
    content = _combined(late, column)
    frame = read_source(content).frame
    expected = "int64" if late is None else "str"
    assert str(frame[column].dtype) == expected
    _assert_same(*_prepared_both_ways(content, monkeypatch))


def test_the_categories_keep_the_text_of_the_file():
    late_zero = prepare(read_source(_combined("007", "Region")))
    assert late_zero.categories.loc["999", "Region"] == "007"
    plain = prepare(read_source(_combined()))
    assert set(plain.categories["Region"]) == {"1", "2", "3"}


@pytest.mark.parametrize(
    "mapping",
    [
        {"customer": "ZIP"},  # a number column made the customer column
        {"customer": "Age"},
    ],
)
def test_a_number_column_the_user_makes_a_role_is_its_text(mapping, monkeypatch):
    typed, as_text = _prepared_both_ways(_combined(), monkeypatch, mapping)
    _assert_same(typed, as_text)
    assert typed.customers.index.dtype == as_text.customers.index.dtype


def test_a_date_written_as_a_number_is_read_as_a_date_when_made_the_date():
    content = b"Customer,Day,Product\n" + b"".join(
        f"c{n % 4},2024013{n % 2},tea\n".encode() for n in range(ROWS)
    )
    assert str(read_source(content).frame["Day"].dtype) == "int64"
    data = prepare(read_source(content), {"date": "Day"})
    assert sorted(data.purchases["date"].dt.day.unique()) == [30, 31]


def test_a_table_of_numbers_only_segments_as_text_did(monkeypatch):
    """A file without a customer column (numbered customers), every column numbers."""
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(
        rng.integers(0, 5_000, (ROWS, 4)), columns=["Channel", "Fresh", "Milk", "Frozen"]
    )
    frame["Channel"] = 1 + frame["Channel"] % 2
    content = frame.to_csv(index=False).encode()
    assert set(read_source(content).frame.dtypes.astype(str)) == {"int64"}
    _assert_same(*_prepared_both_ways(content, monkeypatch))


def test_conflicting_numbers_are_noted_and_the_first_kept_as_from_text(monkeypatch):
    content = _combined("40", "Age").replace(b"999,40,", b"999,41,", 1)  # 41, then 40
    typed, as_text = _prepared_both_ways(content, monkeypatch)
    _assert_same(typed, as_text)
    assert typed.customers.loc["999", "Age"] == 41
    assert any("conflicting values in Age" in note for note in typed.report["notes"])


written_numbers = st.one_of(
    st.integers(-(10**16), 10**16).map(str),  # plain, a few past the 15 digits kept
    st.text(alphabet="0123456789-+ .x", min_size=1, max_size=6),  # mostly not plain
)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(written_numbers, min_size=1, max_size=12), split=st.integers(0, 12))
def test_a_column_is_numbers_exactly_when_every_value_is_plain(values, split):
    text = pa.chunked_array([values[:split], values[split:]], pa.large_string())
    numbers = as_whole_numbers(text)
    every_one_plain = all(PLAIN_WHOLE.fullmatch(value) for value in values)
    assert (numbers is not None) == every_one_plain
    if numbers is not None:
        assert [str(number) for number in numbers.to_pylist()] == values
