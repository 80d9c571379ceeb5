"""Read users' files (CSV and other delimited text, Excel, Parquet, basket lists).

Files arrive as a path or as raw bytes (an upload). We look at the bytes, not
the file name, to tell the format, because users rename files; and every
failure becomes a ``DataError`` that names the problem.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from analytics.columns import detect_roles
from analytics.errors import DataError

#: Delimiters we accept in text files, in order of preference when ambiguous.
DELIMITERS = ",;\t|"
#: How much of a text file we inspect to sniff its delimiter and shape.
SNIFF_BYTES = 64 * 1024
#: Refuse to unpack an Excel file that expands beyond this (zip bombs).
MAX_EXCEL_UNPACKED_BYTES = 500 * 1024 * 1024

Source = str | os.PathLike | bytes


@dataclass(frozen=True)
class RawTable:
    """A file's content before any interpretation.

    ``frame`` holds a table with a header, or, for a basket file (one basket
    per line, no header), the columns ``basket`` and ``product`` in long form.
    """

    frame: pd.DataFrame
    is_basket_file: bool
    file_format: str


def read_source(source: Source, filename: str | None = None) -> RawTable:
    """Read a path or uploaded bytes into a ``RawTable``.

    >>> raw = read_source(b"CustomerID,Age\\n1,30\\n2,41\\n")
    >>> raw.frame.shape, raw.file_format
    ((2, 2), 'csv')
    """
    data, name = _read_bytes(source, filename)
    if not data.strip():
        raise DataError(f"The file {name} is empty.")
    if data.startswith(b"PK\x03\x04"):
        return RawTable(_read_excel(data, name), False, "xlsx")
    if data.startswith(b"PAR1"):
        return RawTable(_read_parquet(data, name), False, "parquet")
    return _read_text(data, name)


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


def _read_excel(data: bytes, name: str) -> pd.DataFrame:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as error:
        raise DataError(f"The file {name} looks like Excel but is damaged or truncated.") from error
    if unpacked > MAX_EXCEL_UNPACKED_BYTES:
        raise DataError(
            f"The Excel file {name} would unpack to {unpacked / 2**20:,.0f} MB, "
            "more than we accept; save it as CSV instead."
        )
    try:
        frame = pd.read_excel(io.BytesIO(data), dtype=str, engine="openpyxl")
    except Exception as error:  # openpyxl raises many types for broken files
        raise DataError(f"The Excel file {name} cannot be read ({error}).") from error
    return _strip_frame(frame)


def _read_parquet(data: bytes, name: str) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(pa.BufferReader(data))  # zero-copy, faster than BytesIO
    except Exception as error:  # pyarrow raises several types for broken files
        raise DataError(f"The Parquet file {name} is damaged or truncated ({error}).") from error
    return _strip_frame(frame)


def decode_text(data: bytes, name: str = "uploaded") -> str:
    """Decode text as UTF-8 (with or without BOM), UTF-16 (with BOM) or Latin-1.

    >>> decode_text("Müller".encode("latin-1"))
    'Müller'
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise DataError(f"The file {name} claims UTF-16 but cannot be decoded.") from error
    if b"\x00" in data[:SNIFF_BYTES] or _looks_binary(data[:SNIFF_BYTES]):
        raise DataError(
            f"The file {name} is not a CSV, Excel or Parquet file (it contains binary data)."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _looks_binary(head: bytes) -> bool:
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 13))
    return controls > len(head) * 0.01


def _read_text(data: bytes, name: str) -> RawTable:
    text = decode_text(data, name)
    head = text[:SNIFF_BYTES]
    delimiter = sniff_delimiter(head)
    sample_rows = list(csv.reader(io.StringIO(head), delimiter=delimiter))[:200]
    sample_rows = [row for row in sample_rows if row]
    if _is_basket_file(sample_rows):
        return RawTable(parse_basket_lines(text, delimiter), True, "baskets")
    _check_header(sample_rows[0] if sample_rows else [])
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
        )
    except (pd.errors.ParserError, csv.Error) as error:
        raise DataError(f"The file {name} is not a well-formed table: {error}.") from error
    except pd.errors.EmptyDataError as error:
        raise DataError(f"The file {name} has no columns.") from error
    if frame.empty:
        raise DataError(f"The file {name} has a header but no rows.")
    return RawTable(_strip_frame(frame), False, "csv")


def _check_header(header: list[str]) -> None:
    names = [name.strip() for name in header]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise DataError(f"The column name(s) {', '.join(repeated)} appear more than once.")


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


def parse_basket_lines(text: str, delimiter: str = ",") -> pd.DataFrame:
    """Turn 'one basket per line' text into long form (basket number, product).

    >>> parse_basket_lines("bread,milk\\nmilk\\n").to_dict("list")
    {'basket': [0, 0, 1], 'product': ['bread', 'milk', 'milk']}
    """
    baskets: list[int] = []
    products: list[str] = []
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter)):
        for item in row:
            item = item.strip()
            if item:
                baskets.append(number)
                products.append(item)
    return pd.DataFrame({"basket": baskets, "product": products})


def _strip_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Strip whitespace from column names and text values; keep everything else."""
    frame = frame.rename(columns=lambda c: str(c).strip())
    duplicated = frame.columns[frame.columns.duplicated()].tolist()
    if duplicated:
        raise DataError(f"The column name(s) {', '.join(duplicated)} appear more than once.")
    text_columns = [
        c
        for c in frame.columns
        if pd.api.types.is_string_dtype(frame[c]) or frame[c].dtype == object
    ]
    stripped = {c: frame[c].astype("str").str.strip() for c in text_columns}
    return frame.assign(**stripped) if stripped else frame
