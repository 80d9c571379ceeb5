"""Read users' files (CSV and other delimited text, Excel, Parquet, basket lists).

Files arrive as a path or as raw bytes (an upload). We look at the bytes, not
the file name, to tell the format, because users rename files; and every
failure becomes a ``DataError`` that names the problem.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from basket_segments.analytics.budget import (
    CELL_BYTES,
    check_expansion,
    parquet_expansion,
    workbook_expansion,
)
from basket_segments.analytics.columns import detect_roles
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.sniffing import (
    SNIFF_BYTES,
    decode_with_encoding,
    refuse_foreign,
    utf8_head,
)
from basket_segments.analytics.table_checks import (
    MAX_CELL_CHARS,
    check_header,
    finish_table,
    parser_message,
)
from basket_segments.analytics.whole_numbers import as_whole_numbers, candidate_columns

#: Delimiters we accept in text files, in order of preference when ambiguous.
DELIMITERS = ",;\t|"
#: First bytes of an Excel workbook (a zip archive) and of a Parquet file.
EXCEL_SIGNATURE, PARQUET_SIGNATURE = b"PK\x03\x04", b"PAR1"
#: Files at least this large are read through a memory map (``_read_mapped_utf8``).
MAP_MIN_BYTES = 16 * 1024 * 1024
#: Bytes searched at a time in a mapped file.
SEARCH_BLOCK = 16 * 1024 * 1024
#: Refuse to unpack an Excel file that expands beyond this (zip bombs).
MAX_EXCEL_UNPACKED_BYTES = 500 * 1024 * 1024
Source = str | os.PathLike | bytes
#: A file's bytes: read whole, or a memory map pyarrow holds (``_read_mapped_utf8``).
Bytes = bytes | memoryview | pa.Buffer


@dataclass(frozen=True)
class RawTable:
    """A file's content before any interpretation.

    ``frame`` holds a table with a header, or, for a basket file (one basket
    per line, no header), the columns ``basket`` and ``product`` in long form.
    """

    frame: pd.DataFrame
    is_basket_file: bool
    file_format: str


def read_source(
    source: Source,
    filename: str | None = None,
    max_cells: int | None = None,
    max_bytes: int | None = None,
) -> RawTable:
    """Read a path or uploaded bytes into a ``RawTable``.

    ``max_cells`` caps the values a Parquet file may unpack to: a few hundred
    kilobytes of repeated values can declare tens of millions of rows. The
    dashboard sets it from its upload limit. ``max_bytes`` caps what the table's
    values take once read (``analytics.budget``), checked before a Parquet file or
    a workbook is expanded, and on a text file's size: the dashboard's
    ``MAX_TABLE_MB``, the command line's ``--max-table-mb``.

    >>> raw = read_source(b"CustomerID,Age\\n1,30\\n2,41\\n")
    >>> raw.frame.shape, raw.file_format
    ((2, 2), 'csv')
    """
    if not isinstance(source, bytes | bytearray):
        path = Path(source)
        size = path.stat().st_size if path.is_file() else 0
        check_expansion("file", filename or path.name, size, max_bytes)
        quick = _read_mapped_utf8(path, filename)
        if quick is not None:
            return _within(quick, size, filename or path.name, max_bytes)
    data, name = _read_bytes(source, filename)
    if not data or data.isspace():  # not `data.strip()`: a copy of the whole file
        raise DataError(f"The file {name} is empty.")
    if data.startswith(EXCEL_SIGNATURE):
        return RawTable(_read_excel(data, name, max_bytes), False, "xlsx")
    if data.startswith(PARQUET_SIGNATURE):
        return RawTable(_read_parquet(data, name, max_cells, max_bytes), False, "parquet")
    check_expansion("file", name, len(data), max_bytes)
    refuse_foreign(data, name)
    return _within(_read_text(data, name), len(data), name, max_bytes)


def _within(raw: RawTable, size: int, name: str, max_bytes: int | None) -> RawTable:
    """A text file read, refused when its cells as well as its text pass ``max_bytes`` (a
    file of one-character cells takes 4.5 times its size once read)."""
    check_expansion("file", name, size + CELL_BYTES * raw.frame.size, max_bytes)
    return raw


def peek_columns(source: Source) -> list[str]:
    """The column names on the first line of a delimited text file, read from its first
    64 KB only, or of a Parquet file, from its footer, so a caller can tell what is coming
    before the whole file is read; empty for other formats and for anything unreadable
    (``read_source`` says what is wrong).

    >>> peek_columns(b"CustomerID;Age\\n1;30\\n"), peek_columns(b"PAR1...")
    (['CustomerID', 'Age'], [])
    """
    try:
        if isinstance(source, bytes | bytearray):
            head_bytes = bytes(source[: SNIFF_BYTES + 1])
        else:
            with Path(source).open("rb") as file:
                head_bytes = file.read(SNIFF_BYTES + 1)
    except OSError:
        return []
    if head_bytes.startswith(PARQUET_SIGNATURE):
        return _parquet_columns(source)
    head = _text_head(head_bytes)
    if head is None:
        return []
    rows = _layout(head)[1]
    return [] if not rows or _is_basket_file(rows) else [column.strip() for column in rows[0]]


def _parquet_columns(source: Source) -> list[str]:
    """A Parquet file's column names, from its footer; empty when it is damaged."""
    import pyarrow.parquet as pq  # here: 15 ms that reading a CSV file never needs

    try:
        readable = pa.BufferReader(source) if isinstance(source, bytes | bytearray) else source
        return list(pq.read_schema(readable).names)
    except Exception:  # pyarrow raises several types; read_source says which
        return []


def _text_head(head_bytes: bytes) -> str | None:
    """A file's first bytes as UTF-8 text, or None for a workbook, Parquet or other text
    encodings (which ``read_source`` reads the ordinary way)."""
    if head_bytes.startswith((EXCEL_SIGNATURE, PARQUET_SIGNATURE)):
        return None
    return utf8_head(head_bytes)


def _read_mapped_utf8(path: Path, filename: str | None) -> RawTable | None:
    """A large UTF-8 table file read by pyarrow from the operating system's own copy of
    it (a memory map), or None to read it the ordinary way (small files, other formats,
    other encodings, any doubt): reading 135 MB into memory first costs a second copy.

    pyarrow maps the file itself and its buffers keep the map alive, so the map is
    unmapped when pyarrow's last reader lets go, whenever that is: no Python buffer
    is released while pyarrow may still hold it (``memoryview.release`` raised
    ``BufferError`` at random when a reader thread let go late).
    """
    try:
        if path.stat().st_size < MAP_MIN_BYTES:
            return None
        with pa.memory_map(str(path), "r") as mapped:
            data = mapped.read_buffer()
    except (OSError, ValueError, pa.ArrowException):
        return None  # the ordinary way says what is wrong
    try:
        head_bytes = data[: SNIFF_BYTES + 1].to_pybytes()  # + 1: a cut character waits
        if not head_bytes.strip():
            return None
        refuse_foreign(head_bytes, "")
        head = _text_head(head_bytes)
        if head is None:
            return None
        return _read_utf8_quickly(data, head, f"'{filename or path.name}'")
    except DataError:
        return None  # said again, with the file's name, the ordinary way


def _read_bytes(source: Source, filename: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray):
        return bytes(source), f"'{filename}'" if filename else "uploaded"
    path = Path(source)
    name = f"'{filename or path.name}'"
    try:
        return path.read_bytes(), name
    except FileNotFoundError as error:
        raise DataError(f"The file {path} does not exist.") from error
    except IsADirectoryError as error:
        raise DataError(f"{path} is a folder, not a data file.") from error
    except OSError as error:
        raise DataError(f"The file {path} cannot be read: {error.strerror}.") from error


def _read_excel(data: bytes, name: str, max_bytes: int | None) -> pd.DataFrame:
    _check_workbook(data, name, max_bytes)
    try:
        # No header: pandas would rename a repeated column name ("Age.1") without a word.
        cells = pd.read_excel(
            io.BytesIO(data), header=None, dtype=str, keep_default_na=False, engine="openpyxl"
        )
    except Exception as error:  # openpyxl raises many types for broken files
        raise DataError(
            f"The Excel file {name} cannot be read; open it in Excel, save it again "
            "and upload the new file."
        ) from error
    if cells.empty:
        raise DataError(f"The first sheet of the Excel file {name} is empty.")
    header = [str(value).strip() or f"Unnamed: {i}" for i, value in enumerate(cells.iloc[0])]
    frame = cells.iloc[1:].set_axis(header, axis=1).reset_index(drop=True)
    if frame.empty:
        raise DataError(f"The file {name} has a header but no rows.")
    return finish_table(frame, name)


def _check_workbook(data: bytes, name: str, max_bytes: int | None) -> None:
    """Refuse damaged zips, zip bombs, zips that are not workbooks, and workbooks whose
    cells point at more text than ``max_bytes``, before unpacking."""
    damaged = f"The file {name} looks like Excel but is damaged or truncated."
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except Exception as error:  # zipfile raises many types for crafted archives
        raise DataError(damaged) from error
    unpacked = sum(info.file_size for info in entries)
    if unpacked > MAX_EXCEL_UNPACKED_BYTES:
        raise DataError(
            f"The Excel file {name} would unpack to {unpacked / 2**20:,.0f} MB, "
            "more than we accept; save it as CSV instead."
        )
    names = {info.filename for info in entries}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise DataError(
            f"The file {name} is a zip archive, not an Excel workbook; "
            "unzip it and upload the table inside."
        )
    if max_bytes is None:
        return
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expansion = workbook_expansion(archive)
    except Exception as error:  # broken XML, a bad member: openpyxl would fail the same
        raise DataError(damaged) from error
    check_expansion("Excel file", name, expansion, max_bytes)


def _read_parquet(
    data: bytes, name: str, max_cells: int | None, max_bytes: int | None
) -> pd.DataFrame:
    import pyarrow.parquet as pq  # (see _parquet_columns)

    damaged = f"The Parquet file {name} is damaged or truncated; export it again."
    try:
        metadata = pq.read_metadata(pa.BufferReader(data))
    except Exception as error:  # pyarrow raises several types for broken files
        raise DataError(damaged) from error
    rows, columns = metadata.num_rows, metadata.num_columns
    if max_cells is not None and rows * columns > max_cells:
        raise DataError(
            f"The Parquet file {name} unpacks to {rows:,} rows of {columns:,} columns, more "
            f"than the {max_cells:,} values an upload may hold; upload an extract, or analyse "
            "it with the command line."
        )
    if max_bytes is not None:
        try:
            expansion = parquet_expansion(pa.BufferReader(data), max_bytes)
        except Exception as error:
            raise DataError(damaged) from error
        check_expansion("Parquet file", name, expansion, max_bytes)
    try:
        frame = pd.read_parquet(pa.BufferReader(data))  # zero-copy, faster than BytesIO
    except Exception as error:
        raise DataError(damaged) from error
    return finish_table(frame, name)


def _read_text(data: bytes, name: str) -> RawTable:
    head = utf8_head(data)
    if head is not None:  # UTF-8 bytes go to pyarrow as they are, undecoded
        quick = _read_utf8_quickly(data, head, name)
        if quick is not None:
            return quick
    text, encoding = decode_with_encoding(data, name)
    delimiter, sample_rows = _layout(text[:SNIFF_BYTES])
    if _is_basket_file(sample_rows):
        return RawTable(parse_basket_lines(text, delimiter, name), True, "baskets")
    check_header(sample_rows[0] if sample_rows else [], name)
    frame = None
    if encoding != "utf-8-sig":  # (UTF-8 that pyarrow could read was read above)
        frame = _read_plain_csv(text.encode("utf-8"), delimiter, sample_rows)
    if frame is None:
        frame = _read_csv_carefully(text, delimiter, name)
    return _csv_table(frame, name)


def _read_utf8_quickly(data: Bytes, head: str, name: str) -> RawTable | None:
    """A UTF-8 table read by pyarrow straight from its bytes, or None when it needs the
    careful way (a basket file, pandas' leniency, bytes that are not UTF-8 after all)."""
    delimiter, sample_rows = _layout(head)
    if _is_basket_file(sample_rows):
        return None
    check_header(sample_rows[0] if sample_rows else [], name)
    if bytes(data[:3]) == codecs.BOM_UTF8:
        data = data[3:]
    frame = _read_plain_csv(data, delimiter, sample_rows)
    return None if frame is None else _csv_table(frame, name)


def _layout(head: str) -> tuple[str, list[list[str]]]:
    """The delimiter, and the first rows (up to 200, blank lines left out) of ``head``."""
    delimiter = sniff_delimiter(head)
    # newline="": a file with old Mac line endings (\r alone) is read, not refused by csv.
    sample_rows = list(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter))[:200]
    return delimiter, [row for row in sample_rows if row]


def _csv_table(frame: pd.DataFrame, name: str) -> RawTable:
    if frame.empty:
        raise DataError(f"The file {name} has a header but no rows.")
    return RawTable(finish_table(frame, name), False, "csv")


def _read_plain_csv(
    data: Bytes, delimiter: str, sample_rows: list[list[str]]
) -> pd.DataFrame | None:
    """The table read by pyarrow's multi-threaded reader, or None when the file
    needs pandas' leniency (a space after a delimiter, which pandas skips before a
    quote, looked for only in a file with quotes; rows of the wrong length, which
    pandas pads or names in its message; an odd number of quotes, which pyarrow reads
    as one value running to the end of the file and pandas names as a quote never
    closed).

    ``data`` is UTF-8; ``sample_rows`` its first rows, the header first. Every column is
    text, but for the columns of whole numbers written plainly (``whole_numbers``).
    Without a quote in it no value spans lines, and the reader can split the file into
    blocks without looking for quoted line breaks (3x faster).
    """
    from pyarrow import csv as pa_csv

    header = sample_rows[0]

    quotes = _count(data, b'"')
    if quotes % 2:
        return None  # a quote left open, which pyarrow would read to the end of the file
    if quotes and _contains(data, f"{delimiter} ".encode()):
        return None  # without quotes, the spaces pandas skips are stripped later all the same
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(data if isinstance(data, pa.Buffer) else pa.py_buffer(data)),
            # Blocks of a 32nd of the file (at least pyarrow's 1 MB): enough to keep both
            # cores busy, and few enough that per-block steps after it stay cheap.
            read_options=pa_csv.ReadOptions(block_size=max(1 << 20, len(data) // 32)),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=quotes > 0),
            convert_options=pa_csv.ConvertOptions(
                # large_string: what pandas' text columns hold. With pa.string() every pandas
                # text operation casts first (to_pandas and strip took 10x longer).
                column_types=dict.fromkeys(header, pa.large_string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if table.column_names != header or any(t != pa.large_string() for t in table.schema.types):
        return None
    for name in candidate_columns(sample_rows):
        numbers = as_whole_numbers(table.column(name))
        if numbers is not None:
            table = table.set_column(header.index(name), name, numbers)
    return table.to_pandas(split_blocks=True)


def _blocks(data: Bytes, overlap: int = 0) -> Iterator[bytes]:
    """``data`` as bytes, a mapped file's in 16 MB blocks (each starting ``overlap`` bytes
    before the last one ended), so no copy of a whole file is made to search it."""
    if isinstance(data, bytes):
        yield data
        return
    for start in range(0, len(data), SEARCH_BLOCK):
        yield bytes(data[max(0, start - overlap) : start + SEARCH_BLOCK])


def _count(data: Bytes, byte: bytes) -> int:
    """How often ``byte`` occurs in ``data``: a mapped file is compared in place, a block
    at a time, where copying it into bytes to count them took twice as long (0.13 against
    0.05 s for 135 MB).

    >>> _count(memoryview(b'a"b"' * 3), b'"'), _count(b'a"b"', b'"')
    (6, 2)
    """
    if isinstance(data, bytes):
        return data.count(byte)
    view = np.frombuffer(data, dtype=np.uint8)
    (code,) = byte
    return sum(
        int(np.count_nonzero(view[start : start + SEARCH_BLOCK] == code))
        for start in range(0, len(view), SEARCH_BLOCK)
    )


def _contains(data: Bytes, pattern: bytes) -> bool:
    """Whether ``pattern`` occurs in ``data``, also across two blocks.

    >>> _contains(memoryview(b"a, b"), b", "), _contains(b"a,b", b", ")
    (True, False)
    """
    return any(pattern in block for block in _blocks(data, len(pattern) - 1))


def _read_csv_carefully(text: str, delimiter: str, name: str) -> pd.DataFrame:
    """pandas' reader, which pads short rows and says where a row is malformed."""
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
        )
    except (pd.errors.ParserError, csv.Error) as error:
        raise DataError(parser_message(str(error), name, delimiter)) from error
    except pd.errors.EmptyDataError as error:
        raise DataError(f"The file {name} has no columns.") from error


def sniff_delimiter(head: str) -> str:
    """Guess the delimiter of delimited text; a comma when nothing else fits.

    >>> sniff_delimiter("a;b;c\\n1;2;3\\n")
    ';'
    """
    try:
        return csv.Sniffer().sniff(head, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first_line = head.splitlines()[0] if head else ""
        counts = {d: first_line.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _is_basket_file(rows: list[list[str]]) -> bool:
    """One basket per line has no recognisable header and rows of varying length."""
    if len(rows) < 2 or detect_roles(rows[0]):
        return False
    return len({len(row) for row in rows}) > 1


def parse_basket_lines(text: str, delimiter: str = ",", name: str = "uploaded") -> pd.DataFrame:
    """Turn 'one basket per line' text into long form (basket number, product).

    >>> parse_basket_lines("bread,milk\\nmilk\\n").to_dict("list")
    {'basket': [0, 0, 1], 'product': ['bread', 'milk', 'milk']}
    """
    baskets: list[int] = []
    products: list[str] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, row in enumerate(reader):
            for item in row:
                item = item.strip()
                if len(item) > MAX_CELL_CHARS:
                    raise _long_value(reader.line_num, name)
                if item:
                    baskets.append(number)
                    products.append(item)
    except csv.Error as error:  # csv's own limit on a field's length (131,072)
        raise _long_value(reader.line_num, name) from error
    return pd.DataFrame({"basket": baskets, "product": products})


def _long_value(line: int, name: str) -> DataError:
    return DataError(
        f"Line {line:,} of {name} holds a value longer than {MAX_CELL_CHARS:,} characters, "
        "more than a spreadsheet cell can hold; check its quotes."
    )
