"""Large files on disk are read through a memory map; whatever the content, the result,
or the error, is the same as reading the file's bytes."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from basket_segments.analytics import loading
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.loading import read_source

COMBINED = "CustomerID,Age,Product\n1,30,bread\n1,30,milk\n2,41,milk\n"


def excel_bytes() -> bytes:
    buffer = io.BytesIO()
    pd.DataFrame({"CustomerID": ["1", "2"], "Age": [30, 41]}).to_excel(buffer, index=False)
    return buffer.getvalue()


CONTENTS = {
    "utf-8": COMBINED.encode(),
    "utf-8 with BOM": b"\xef\xbb\xbf" + COMBINED.encode(),
    "cp1252 after a UTF-8 head": (COMBINED + "3,52,café\n").encode("cp1252"),
    "quoted values": b'CustomerID,Age,Product\n1,30,"bread, white"\n2,41,milk\n',
    "space after a comma": b"CustomerID, Age, Product\n1, 30, bread\n2, 41, milk\n",
    "semicolons": COMBINED.replace(",", ";").encode(),
    "a quote never closed": b'CustomerID,Age,Product\n1,30,"bread\n2,41,milk\n',
    "basket lines": b"bread,milk\nmilk\ntea,jam,bread\n",
    "header only": b"CustomerID,Age,Product\n",
    "whitespace only": b" \n\n \n",
    "repeated column": b"CustomerID,Age,Age\n1,30,31\n",
    "binary": bytes(range(256)) * 4,
    "excel": excel_bytes(),
}


def outcome(source) -> tuple[str, object]:
    try:
        raw = read_source(source, filename="data.csv")
    except DataError as error:
        return "error", str(error)
    return raw.file_format, raw.frame


@pytest.mark.parametrize("kind", sorted(CONTENTS))
def test_a_mapped_file_reads_as_its_bytes_do(kind, tmp_path, monkeypatch):
    path = tmp_path / "data.csv"
    path.write_bytes(CONTENTS[kind])
    expected_kind, expected = outcome(CONTENTS[kind])
    monkeypatch.setattr(loading, "MAP_MIN_BYTES", 0)  # every file is "large"
    calls = []
    real = loading._read_mapped_utf8
    monkeypatch.setattr(
        loading, "_read_mapped_utf8", lambda *args: calls.append(args) or real(*args)
    )
    found_kind, found = outcome(path)
    assert calls, "the memory-mapped reader was not tried"
    assert found_kind == expected_kind
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(found, expected)
    else:
        assert found == expected


def test_a_pattern_split_between_search_blocks_is_found(monkeypatch):
    monkeypatch.setattr(loading, "SEARCH_BLOCK", 4)
    data = memoryview(b"abc, de")  # ", " spans the first two blocks
    assert loading._contains(data, b", ")
    assert loading._count(memoryview(b'"ab""cd"e"'), b'"') == 5


@pytest.mark.parametrize("parallel_rows", [0, 10**9])
def test_columns_finished_two_at_a_time_as_one_by_one(parallel_rows, monkeypatch):
    """Large tables strip their columns in two threads: the same table, the same error."""
    from basket_segments.analytics import table_checks

    monkeypatch.setattr(table_checks, "PARALLEL_ROWS", parallel_rows)
    frame = pd.DataFrame({" a ": [" x", "y "], "b": ["1", " 2"], "c": ["p", "q"]}, dtype="str")
    finished = table_checks.finish_table(frame, "'f.csv'")
    assert finished.to_dict("list") == {"a": ["x", "y"], "b": ["1", "2"], "c": ["p", "q"]}
    frame["b"] = ["1", "z" * (table_checks.MAX_CELL_CHARS + 1)]
    frame["c"] = ["1", "z" * (table_checks.MAX_CELL_CHARS + 5)]
    with pytest.raises(DataError, match="Row 2 of column 'b'"):
        table_checks.finish_table(frame, "'f.csv'")
