"""What a table will take once read, measured before it is read.

A few hundred kilobytes of Parquet or Excel can stand for gigabytes of text:
Parquet stores a repeated value once in a dictionary, and a workbook stores a
repeated text once in its shared strings, each cell pointing at it. Reading
such a file expands every pointer. Here each format's expansion is counted
from what it stores (Parquet's footer and dictionaries, without decoding them;
a workbook's shared strings and the cells that point at them, streamed), so a
caller can refuse it with the file's figures before any memory is spent.

The measure is the table's *values*: the bytes of its text, plus 8 bytes a
cell (what pandas and Arrow spend per value besides the text).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from typing import IO
from xml.etree import ElementTree

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from basket_segments.analytics.errors import DataError

#: Bytes counted per cell besides its text.
CELL_BYTES = 8
#: A worksheet cell that points at a shared string: ``<c r="A1" t="s"><v>12</v></c>``.
SHARED_CELL = re.compile(
    rb"<(?:\w+:)?c\b[^>]*?\bt=\"s\"[^>]*>\s*<(?:\w+:)?v>\s*(\d+)\s*</(?:\w+:)?v>"
)
#: Bytes of a worksheet read at a time, and kept from one read to the next (a cell
#: split between two reads is found whole in the next).
SHEET_BLOCK, SHEET_OVERLAP = 1 << 20, 512


def in_words(size: float) -> str:
    """A size as people say it (binary units, as the settings in MB).

    >>> in_words(3.2 * 2**30), in_words(500 * 2**20), in_words(4_096), in_words(12)
    ('3.2 GB', '500 MB', '4 KB', '12 bytes')
    """
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}".replace(".0 ", " ")
    return f"{size:,.0f} bytes"


def check_expansion(kind: str, name: str, size: int, limit: int | None) -> None:
    """Refuse a file whose values take more than ``limit`` bytes, in one sentence."""
    if limit is not None and size > limit:
        raise DataError(
            f"The {kind} {name} expands to {in_words(size)} of values once read; the limit is "
            f"{in_words(limit)}. Upload an extract of it, or analyse it with the command line."
        )


def parquet_expansion(source: pa.NativeFile | str, limit: int | None = None) -> int:
    """The values a Parquet file holds, read from its footer and, for text columns, from
    their dictionaries (each value counted as often as rows point at it, none decoded).

    Counting stops once past ``limit``: the file is refused then anyway.
    """
    import pyarrow.parquet as pq  # here: 15 ms that reading a CSV file never needs

    parquet = pq.ParquetFile(source)
    metadata = parquet.metadata
    stored = sum(
        metadata.row_group(group).column(column).total_uncompressed_size
        for group in range(metadata.num_row_groups)
        for column in range(metadata.num_columns)
    )
    size = max(stored, CELL_BYTES * metadata.num_rows * metadata.num_columns)
    text = [field.name for field in parquet.schema_arrow if _is_text(field.type)]
    if not text or (limit is not None and size > limit):
        return size
    if isinstance(source, pa.NativeFile):
        source.seek(0)
    as_stored = pq.ParquetFile(source, read_dictionary=text)
    for group in range(metadata.num_row_groups):
        table = as_stored.read_row_group(group, columns=text)
        size += sum(_text_bytes(chunk) for column in table.columns for chunk in column.chunks)
        if limit is not None and size > limit:
            break
    return size


def _is_text(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    checks = (pa.types.is_string, pa.types.is_large_string, pa.types.is_binary)
    return any(check(kind) for check in (*checks, pa.types.is_large_binary))


def _text_bytes(chunk: pa.Array) -> int:
    """The bytes of text ``chunk`` stands for, decoded or not."""
    if isinstance(chunk, pa.DictionaryArray):
        lengths = pc.binary_length(chunk.dictionary)
        counted = pc.sum(pc.take(lengths, chunk.indices)).as_py()
    else:
        counted = pc.sum(pc.binary_length(chunk)).as_py()
    return int(counted or 0)


def workbook_expansion(archive: zipfile.ZipFile) -> int:
    """The values a workbook's sheets hold: their own XML (inline text, numbers) and, for
    each cell that points at a shared string, that string's length."""
    names = archive.namelist()
    sheets = [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")]
    shared = "xl/sharedStrings.xml"
    lengths = np.zeros(0, dtype=np.int64)
    if shared in names:
        with archive.open(shared) as handle:
            lengths = np.fromiter(_shared_string_lengths(handle), dtype=np.int64)
    size = 0
    for sheet in sheets:
        size += archive.getinfo(sheet).file_size
        with archive.open(sheet) as handle:
            references = np.fromiter(_shared_references(handle), dtype=np.int64)
        known = references[references < len(lengths)]
        size += int(lengths[known].sum()) + CELL_BYTES * len(references)
    return size


def _shared_string_lengths(handle: IO[bytes]) -> Iterator[int]:
    """The length of each shared string, in order, streamed (one at a time in memory)."""
    for _event, element in ElementTree.iterparse(handle, events=("end",)):
        if element.tag.rsplit("}", 1)[-1] == "si":
            yield len("".join(element.itertext()).encode())
            element.clear()


def _shared_references(handle: IO[bytes]) -> Iterator[int]:
    """The shared-string index of every cell that has one, streamed from the sheet's XML."""
    kept = b""
    for block in _blocks(handle):
        buffer = kept + block
        end = 0
        for match in SHARED_CELL.finditer(buffer):
            end = match.end()
            yield int(match.group(1))
        kept = buffer[max(end, len(buffer) - SHEET_OVERLAP) :]


def _blocks(handle: IO[bytes]) -> Iterable[bytes]:
    while block := handle.read(SHEET_BLOCK):
        yield block
