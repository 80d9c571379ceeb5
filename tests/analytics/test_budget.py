"""What a table takes once read, measured before it is read (``analytics.budget``)."""

import io
import json
import resource
import subprocess
import sys
import zipfile

import pandas as pd
import pytest

from basket_segments.analytics.budget import (
    CELL_BYTES,
    in_words,
    parquet_expansion,
    workbook_expansion,
)
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.loading import read_source
from basket_segments.analytics.local import LocalEngine
from basket_segments.analytics.stages import StoredTable
from tests.conftest import REPO
from tests.hostile.files import (
    DICTIONARY_BOMB_ROWS,
    LONG_VALUE,
    SHARED_STRING_BOMB_ROWS,
    dictionary_bomb,
    shared_string_bomb,
    xlsx,
)

NAMES = ["bread", "whole milk", "Crème fraîche", "🍕 slice"]


def shop(rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "CustomerID": [str(i % 7) for i in range(rows)],
            "Product": [NAMES[i % len(NAMES)] for i in range(rows)],
        }
    )


def text_bytes(frame: pd.DataFrame) -> int:
    """What the measure must find, counted from the values themselves."""
    return sum(len(value.encode()) for column in frame for value in frame[column])


def test_a_parquet_files_values_are_counted_through_its_dictionaries(tmp_path):
    frame = shop(1_000)
    path = tmp_path / "shop.parquet"
    frame.to_parquet(path, index=False)  # pandas writes dictionary-encoded text
    expected = text_bytes(frame) + CELL_BYTES * frame.size
    assert parquet_expansion(path) == expected


def test_the_dictionary_bomb_is_counted_without_being_decoded():
    data = dictionary_bomb()
    assert len(data) < 50_000
    expected = DICTIONARY_BOMB_ROWS * (len(LONG_VALUE) + sum(len(str(i % 50)) for i in range(3)))
    import pyarrow as pa

    size = parquet_expansion(pa.BufferReader(data))
    assert size >= DICTIONARY_BOMB_ROWS * len(LONG_VALUE) > 3 * 10**9
    assert size <= expected + CELL_BYTES * DICTIONARY_BOMB_ROWS * 4 + 10**6
    # Counting stops once past a limit: it is refused then anyway.
    assert parquet_expansion(pa.BufferReader(data), limit=10**6) > 10**6


def test_a_workbook_of_inline_text_counts_the_sheet_that_holds_it():
    frame = shop(500)
    book = zipfile.ZipFile(io.BytesIO(xlsx(frame.itertuples(index=False), frame.columns)))
    sheet_xml = book.getinfo("xl/worksheets/sheet1.xml").file_size
    assert "xl/sharedStrings.xml" not in book.namelist()  # openpyxl writes text inline
    assert workbook_expansion(book) == sheet_xml > text_bytes(frame) + CELL_BYTES * frame.size


def test_the_shared_string_bomb_is_counted_from_its_pointers():
    data = shared_string_bomb()
    assert len(data) < 1_100_000
    size = workbook_expansion(zipfile.ZipFile(io.BytesIO(data)))
    assert size >= SHARED_STRING_BOMB_ROWS * len(LONG_VALUE) > 3 * 10**9


@pytest.mark.parametrize(
    ("name", "make"), [("long.parquet", dictionary_bomb), ("long.xlsx", shared_string_bomb)]
)
def test_the_bombs_are_refused_with_their_figures(name, make):
    with pytest.raises(DataError) as refused:
        read_source(make(), name, max_bytes=200 * 2**20)
    assert str(refused.value) == (
        f"The {'Parquet' if name.endswith('parquet') else 'Excel'} file '{name}' expands to 3 GB "
        "of values once read; the limit is 200 MB. Upload an extract of it, or analyse it "
        "with the command line."
    )


MEMORY_CHECK = """
import json, resource, sys
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.loading import read_source
from tests.hostile.files import dictionary_bomb, shared_string_bomb
files = {"long.parquet": dictionary_bomb(), "long.xlsx": shared_string_bomb()}
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
refused = []
for name, data in files.items():
    try:
        read_source(data, name, max_bytes=200 * 2**20)
    except DataError as error:
        refused.append(str(error))
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"refused": refused, "grown_kb": grown}))
"""


def test_the_bombs_are_refused_before_memory_is_spent():
    """Before: 7 GB for the Parquet file and 6.3 GB for the workbook, then killed."""
    run = subprocess.run(
        [sys.executable, "-c", MEMORY_CHECK], cwd=REPO, capture_output=True, text=True, check=True
    )
    found = json.loads(run.stdout)
    assert len(found["refused"]) == 2
    assert found["grown_kb"] < 100 * 1024, found  # KB: less than 100 MB over the imports


def test_a_text_file_counts_its_cells_as_well_as_its_bytes():
    header = "CustomerID,Age," + ",".join(f"f{i}" for i in range(8)) + "\n"
    data = (header + "1,1,1,1,1,1,1,1,1,1\n" * 20_000).encode()
    cells = 20_000 * 10
    assert len(read_source(data, "ones.csv", max_bytes=len(data) + CELL_BYTES * cells).frame)
    with pytest.raises(DataError, match=r"'ones.csv' expands to 1.9 MB of values"):
        read_source(data, "ones.csv", max_bytes=len(data) + CELL_BYTES * cells - 1)


def test_a_stored_table_is_measured_again_when_opened(tmp_path):
    """A limit lowered since the upload applies to the datasets stored before."""
    path = tmp_path / "raw.parquet"
    shop(10_000).to_parquet(path, index=False)
    size = parquet_expansion(path)
    assert len(LocalEngine().read(StoredTable(path, "csv", max_bytes=size)).frame) == 10_000
    lowered = StoredTable(path, "csv", max_bytes=size - 1, name="Shop")
    with pytest.raises(DataError, match=f"The dataset Shop expands to {in_words(size)}"):
        LocalEngine().read(lowered)


def limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))


def test_the_command_line_fits_its_default_limit_to_the_memory_there_is(tmp_path):
    """Under ``ulimit -v 2097152`` the default limit is a quarter of it."""
    path = tmp_path / "long.parquet"
    path.write_bytes(dictionary_bomb())
    run = subprocess.run(
        [sys.executable, "-m", "basket_segments.cli", "analyze", str(path), "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=limit_address_space,
        timeout=300,
    )
    assert run.returncode == 2
    assert "expands to 3 GB of values once read; the limit is 512 MB." in run.stderr
    assert "Traceback" not in run.stderr
