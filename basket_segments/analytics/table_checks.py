"""Checks every table passes once read, whatever its format, and parser errors in words.

A repeated column name would be renamed by pandas ("Age.1") and analysed as a
second feature; a cell of millions of characters is nearly always a quote left
open that swallowed the rest of the file. Both are refused with a sentence
that says where the problem is.
"""

from __future__ import annotations

import re
from functools import partial

import numpy as np
import pandas as pd

from basket_segments.analytics.errors import DataError
from basket_segments.analytics.machine import side_threads

#: How messages name each delimiter.
DELIMITER_NAMES = {",": "a comma", ";": "a semicolon", "\t": "a tab", "|": "a pipe (|)"}
#: Longest cell we accept: what a spreadsheet cell holds. A longer one is almost always
#: a quote left open that swallowed the rest of the file, and would flood every page.
MAX_CELL_CHARS = 32_767
#: Most columns we read: each costs time at every step, and no analysis needs more.
MAX_COLUMNS = 1_000
#: Tables of at least this many rows have their text columns finished two at a time.
PARALLEL_ROWS = 1_000_000
#: Longest column name we accept; names appear in messages and dropdowns.
MAX_NAME_CHARS = 1_000


def parser_message(error: str, name: str, delimiter: str = ",") -> str:
    """The pandas parser's complaint as a sentence that says where and what to do.

    >>> parser_message("C error: Expected 4 fields in line 14, saw 5", "'a.csv'").split(";")[0]
    "Line 14 of 'a.csv' has 5 values but the header names 4 columns"
    """
    if found := re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", error):
        expected, line, seen = found.groups()
        return (
            f"Line {line} of {name} has {seen} values but the header names {expected} columns; "
            f"put quotes around values that contain {DELIMITER_NAMES[delimiter]}."
        )
    if found := re.search(r"EOF inside string starting at row (\d+)", error):
        return (
            f'A quote (") opened in line {int(found[1]) + 1} of {name} is never closed; '
            "close it or remove it."
        )
    return f"The file {name} is not a well-formed table; check its delimiters and quotes."


def check_header(header: list[str], name: str) -> None:
    """Refuse too many columns, and names that repeat (pandas would rename them) or
    are absurdly long."""
    names = [str(column).strip() for column in header]
    if len(names) > MAX_COLUMNS:
        raise DataError(
            f"The file {name} has {len(names):,} columns, more than the {MAX_COLUMNS:,} we read; "
            "keep the customer, product and feature columns."
        )
    long = next((column for column in names if len(column) > MAX_NAME_CHARS), None)
    if long is not None:
        raise DataError(
            f"A column name in {name} is longer than {MAX_NAME_CHARS:,} characters; "
            "the first row should hold short column names."
        )
    repeated = sorted({column for column in names if names.count(column) > 1})
    if len(repeated) == 1:
        raise DataError(
            f"The column name {repeated[0]} appears more than once in {name}; rename one of them."
        )
    if repeated:
        raise DataError(
            f"The column names {', '.join(repeated)} appear more than once in {name}; "
            "rename the repeats."
        )


def finish_table(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Strip column names and text values; refuse repeated names and giant cells."""
    frame = frame.rename(columns=lambda c: str(c).strip())
    check_header(list(frame.columns), name)
    values = [frame.iloc[:, position] for position in range(frame.shape[1])]
    finish = partial(_finished_column, name=name)
    if len(frame) < PARALLEL_ROWS:
        finished = list(map(finish, values))
    else:  # pyarrow strips without the interpreter lock: two columns at a time
        with side_threads(2) as pool:
            finished = list(pool.map(finish, values))
    # Only text columns change, set by position (never `assign(**columns)`: a column may
    # be "self"). The others keep their own blocks: a new frame made from all of them would
    # copy the number columns into one block (0.2 s for three of five million rows).
    frame = frame.copy(deep=False)
    for position, (before, after) in enumerate(zip(values, finished, strict=True)):
        if after is not before:
            frame.isetitem(position, after)
    return frame


def _finished_column(values: pd.Series, name: str) -> pd.Series:
    if pd.api.types.is_string_dtype(values) or values.dtype == object:
        values = _stripped(values.astype("str"))
        _check_cell_lengths(values, name)
        values = _one_chunk(values)
    return values


def _one_chunk(values: pd.Series) -> pd.Series:
    """The text column in one pyarrow chunk, as a file's read blocks leave it in many.

    Every later selection of rows (the customers' first rows, the kept rows) is a
    ``take``, and pyarrow takes from many chunks 50 times slower than from one: 0.6 s
    against 0.01 s for 500,000 of 5 million rows in 33 chunks. Joining them once costs a
    copy of the column (0.014 s there).

    >>> chunked = pd.Series(pd.arrays.ArrowStringArray(
    ...     __import__("pyarrow").chunked_array([["a"], ["b"]], "large_string")))
    >>> _one_chunk(chunked).array.__arrow_array__().num_chunks
    1
    """
    import pyarrow as pa

    text = arrow_text(values)
    if not isinstance(text, pa.ChunkedArray) or text.num_chunks < 2:
        return values
    return pd.Series(
        pa.chunked_array([text.combine_chunks()], text.type),
        index=values.index,
        name=values.name,
        dtype=values.dtype,
    )


def _stripped(values: pd.Series) -> pd.Series:
    """Text without surrounding whitespace, stripped one read block at a time.

    A block that had nothing to strip is kept as it was read, so a clean file
    (most are) allocates no second copy of its text: on five million rows that
    copy cost more than the stripping, since fresh memory is slow to touch.

    >>> _stripped(pd.Series([" a ", "b"], dtype="str")).tolist()
    ['a', 'b']
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    text = arrow_text(values)
    if not isinstance(text, pa.ChunkedArray) or not pa.types.is_large_string(text.type):
        return values.str.strip()
    blocks, changed = [], False
    for block in text.chunks:
        trimmed = pc.utf8_trim_whitespace(block)
        if text_bytes(trimmed) == text_bytes(block):  # trimming only ever removes
            blocks.append(block)
        else:
            blocks.append(trimmed)
            changed = True
    if not changed:
        return values
    return pd.Series(
        pa.chunked_array(blocks, text.type),
        index=values.index,
        name=values.name,
        dtype=values.dtype,
    )


def text_bytes(block) -> int:
    """Bytes of text in a large_string array, read off its offsets (no allocation)."""
    if not len(block):
        return 0
    offsets = np.frombuffer(block.buffers()[1], dtype=np.int64)
    return int(offsets[block.offset + len(block)] - offsets[block.offset])


def _check_cell_lengths(values: pd.Series, name: str) -> None:
    if _longest(values) <= MAX_CELL_CHARS:
        return
    lengths = values.str.len().fillna(0).to_numpy()
    if len(lengths) and lengths.max() > MAX_CELL_CHARS:
        row = int(np.argmax(lengths))
        raise DataError(
            f"Row {row + 1:,} of column '{values.name}' holds {int(lengths[row]):,} characters, "
            f"more than the {MAX_CELL_CHARS:,} a spreadsheet cell can hold; check the quotes "
            f"in {name}."
        )


def _longest(values: pd.Series) -> int:
    """Characters in the longest value, counted by pyarrow (pandas' ``str.len`` makes a
    Series of every length first: most of a second on five million rows)."""
    import pyarrow.compute as pc

    text = arrow_text(values)
    if text is None:
        return MAX_CELL_CHARS + 1  # let pandas count
    # Bytes first: a value has no more characters than bytes, and bytes are free to count.
    if _most_bytes(text) <= MAX_CELL_CHARS:
        return 0
    return pc.max(pc.utf8_length(text)).as_py() or 0


def _most_bytes(text) -> int:
    """Bytes in the longest value, from each block's offsets (no array of lengths)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(text, pa.ChunkedArray) or not pa.types.is_large_string(text.type):
        return pc.max(pc.binary_length(text)).as_py() or 0
    most = 0
    for block in text.chunks:
        if len(block):
            offsets = np.frombuffer(block.buffers()[1], dtype=np.int64)
            used = offsets[block.offset : block.offset + len(block) + 1]
            most = max(most, int(np.diff(used).max()))
    return most


def arrow_text(values: pd.Series):
    """A text column as pyarrow data without copying (each of a file's read blocks stays a
    chunk), or None when it is not text pyarrow holds."""
    import pyarrow as pa

    try:
        if hasattr(values.array, "__arrow_array__"):
            data = values.array.__arrow_array__()
        else:
            data = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    return data if pa.types.is_string(data.type) or pa.types.is_large_string(data.type) else None
