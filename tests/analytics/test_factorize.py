"""The fast coding helpers give exactly what pandas' slower ways give, on random columns
read in several blocks (as pyarrow's CSV reader hands them over)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from basket_segments.analytics.factorize import (
    duplicate_rows,
    factorize,
    factorize_runs,
    factorize_sorted,
    first_rows,
    subset,
)
from basket_segments.analytics.prepare import _first_values
from basket_segments.analytics.table_checks import _stripped, finish_table

VALUES = st.sampled_from(
    ["a", "b", "c", "", " a", "b ", "Ä", "10", "9", "Z", "日本", "ß", "\U0001f600"]
)
COLUMN = st.lists(st.one_of(VALUES, st.none()), min_size=0, max_size=40)


def in_blocks(values: list[str | None], block: int = 7) -> pd.Series:
    """Text as pandas holds it after pyarrow's reader: large_string in several chunks."""
    chunks = [values[i : i + block] for i in range(0, len(values), block)] or [[]]
    arrays = pa.chunked_array([pa.array(c, pa.large_string()) for c in chunks], pa.large_string())
    return pd.Series(arrays, dtype="str")


@settings(max_examples=200, deadline=None)
@given(COLUMN)
def test_factorize_matches_pandas(values):
    series = in_blocks(values)
    codes, uniques = factorize(series)
    expected_codes, expected_uniques = pd.factorize(series)
    assert codes.tolist() == list(expected_codes)
    assert uniques.tolist() == list(expected_uniques)
    for coder in (factorize_runs, factorize):
        codes, uniques = coder(series)
        expected_codes, expected_uniques = pd.factorize(series)
        assert codes.tolist() == list(expected_codes)
        assert uniques.tolist() == list(expected_uniques)
    for runs in (False, True):
        codes, uniques = factorize_sorted(series, runs=runs)
        expected_codes, expected_uniques = pd.factorize(series, sort=True)
        assert codes.tolist() == list(expected_codes)
        assert uniques.tolist() == list(expected_uniques)


@settings(max_examples=200, deadline=None)
@given(COLUMN)
def test_first_rows_are_where_drop_duplicates_keeps(values):
    """(Runs of equal values come from sorting the column: ``factorize_runs``' own case.)"""
    series = in_blocks(values)
    codes, _ = factorize(series)
    kept = series[series.notna()].drop_duplicates()
    assert first_rows(codes).tolist() == kept.index.tolist()


@settings(max_examples=200, deadline=None)
@given(COLUMN, st.lists(st.booleans(), min_size=40, max_size=40))
def test_subset_codes_as_if_coded_alone(values, mask):
    series = in_blocks(values)
    rows = np.array(mask[: len(values)], dtype=bool)
    codes, uniques = subset(*factorize(series), rows)
    expected_codes, expected_uniques = pd.factorize(series[rows])
    assert codes.tolist() == list(expected_codes)
    assert uniques.tolist() == list(expected_uniques)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(VALUES, st.one_of(VALUES, st.none()), VALUES), max_size=40))
def test_duplicate_rows_counts_what_pandas_counts(rows):
    frame = pd.DataFrame(rows, columns=["customer", "product", "date"], dtype="str")
    columns = [in_blocks([None if pd.isna(v) else v for v in frame[c]]) for c in frame.columns]
    assert duplicate_rows(columns) == int(frame.duplicated().sum())
    # The same with the first column's codes given, as loading gives its customer codes.
    known = {0: factorize(columns[0])[0]}
    assert duplicate_rows(columns, known) == int(frame.duplicated().sum())


def test_duplicate_rows_beyond_63_bits_of_codes():
    """Many columns of many values overflow the mixed-radix key; the hash still counts."""
    rng = np.random.default_rng(0)
    columns = [pd.Series(rng.integers(0, 5000, 3000).astype(str)) for _ in range(6)]
    columns = [pd.concat([c, c.iloc[:40]], ignore_index=True) for c in columns]
    frame = pd.DataFrame({i: c for i, c in enumerate(columns)})
    assert duplicate_rows(columns) == int(frame.duplicated().sum()) >= 40


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.one_of(st.sampled_from([1.0, 2.0, 3.5]), st.just(np.nan))),
        min_size=1,
        max_size=30,
    )
)
def test_first_values_match_pandas_groupby(rows):
    codes = pd.factorize(pd.Series([c for c, _ in rows]))[0]
    values = pd.DataFrame({"Age": [v for _, v in rows], "Income": [v * 2 for _, v in rows]})
    first, conflicts = _first_values(values, codes, first_rows(codes))
    grouped = values.groupby(codes, sort=False)
    low, high = grouped.min(), grouped.max()
    pd.testing.assert_frame_equal(first, grouped.first(), check_index_type=False)
    assert (conflicts.to_numpy() == ((low != high) & low.notna()).to_numpy()).all()


def test_first_values_without_missing_values_take_the_fast_path_correctly():
    codes = np.array([0, 1, 0, 2, 1, 0])
    values = pd.DataFrame({"Age": [30.0, 41, 30, 50, 42, 30], "Score": [1.0, 2, 3, 4, 2, 1]})
    first, conflicts = _first_values(values, codes, first_rows(codes))
    assert first.to_dict("list") == {"Age": [30.0, 41.0, 50.0], "Score": [1.0, 2.0, 4.0]}
    assert conflicts.to_dict("list") == {"Age": [False, True, False], "Score": [True, False, False]}


@settings(max_examples=200, deadline=None)
@given(st.lists(VALUES, max_size=40))
def test_stripping_block_by_block_equals_pandas_strip(values):
    series = in_blocks(values)
    assert _stripped(series).tolist() == series.str.strip().tolist()


def test_a_clean_column_is_kept_as_read():
    """Nothing to strip: the very same text, no second copy."""
    series = in_blocks(["a", "b", "c"] * 10)
    assert _stripped(series) is series
    frame = finish_table(pd.DataFrame({"Product": series, "Name": in_blocks([" x"] * 30)}), "f")
    assert frame["Name"].tolist() == ["x"] * 30


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.sampled_from(["30", "30.0", "41", " 41", "1,000", "7"])),
        min_size=1,
        max_size=30,
    )
)
def test_first_values_by_distinct_text_match_the_numeric_way(rows):
    """Customers' attributes judged on distinct texts: the same numbers and the same
    conflicts as parsing every row (a number written two ways is no conflict)."""
    from basket_segments.analytics.cleaning import to_number
    from basket_segments.analytics.prepare import _first_by_value

    codes = pd.factorize(pd.Series([c for c, _ in rows]))[0]
    column = in_blocks([text for _, text in rows])
    first, conflicts = _first_by_value(column, codes, first_rows(codes))
    expected_first, expected_conflicts = _first_values(
        pd.DataFrame({"Age": to_number(column)}), codes, first_rows(codes)
    )
    assert first.tolist() == expected_first["Age"].tolist()
    assert conflicts.tolist() == expected_conflicts["Age"].tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(VALUES, st.integers(1, 9)), max_size=30))
def test_factorize_runs_on_columns_of_runs(runs):
    """Customers' rows together, as exports list them: the run-by-run coding is exact."""
    series = in_blocks([value for value, length in runs for _ in range(length)])
    codes, uniques = factorize_runs(series)
    expected_codes, expected_uniques = pd.factorize(series)
    assert codes.tolist() == list(expected_codes)
    assert uniques.tolist() == list(expected_uniques)
