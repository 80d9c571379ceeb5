"""Columns of whole numbers written plainly, read as numbers instead of as text.

A combined file repeats each customer's age, income and score on every purchase
line: on five million lines, reading those columns as text and then as numbers
(stripping, joining read blocks, coding every distinct text) took about 0.9 s of
a one-core run, where the numbers themselves take 0.25 s.

Only a column whose every value is the plain way of writing its number (``30``,
``-7``, ``0``; not ``030``, ``+7``, ``30.0`` or `` 30``) is read as numbers:
written back, each number is then exactly the text in the file, so nothing later
can tell the two apart (a category's values, a column the user makes the customer
column). Any other column stays text, as read. The purchase columns (customer,
product, date, quantity...) are never turned into numbers here.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from basket_segments.analytics.columns import detect_roles
from basket_segments.analytics.table_checks import text_bytes

#: A whole number written plainly: no sign but a minus, no leading zero, at most 15
#: digits (every such number is exact as a float, as the text path makes it).
PLAIN_WHOLE = re.compile(r"-?(?:0|[1-9][0-9]{0,14})")
#: Powers of ten from 10 to 10**15: a number's digits are 1 + how many it reaches.
_POWERS = 10 ** np.arange(1, 16, dtype=np.int64)


def candidate_columns(sample_rows: list[list[str]]) -> list[str]:
    """The columns of a table's first rows (the header first) that are not purchase
    columns and hold only plainly written whole numbers there.

    >>> candidate_columns([["CustomerID", "Age", "Score", "Code"],
    ...                    ["1", "30", "7", "007"], ["2", "-4", "x", "1"]])
    ['Age']
    """
    header, rows = sample_rows[0], sample_rows[1:]
    if not rows or any(len(row) != len(header) for row in rows):
        return []
    roles = set(detect_roles(header).values())
    return [
        name
        for position, name in enumerate(header)
        if name not in roles and all(PLAIN_WHOLE.fullmatch(row[position]) for row in rows)
    ]


def as_whole_numbers(text: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """``text`` as 64-bit integers when every value is a whole number written plainly,
    else None.

    >>> as_whole_numbers(pa.chunked_array([["30", "-4"], ["0"]], pa.large_string())).to_pylist()
    [30, -4, 0]
    >>> [as_whole_numbers(pa.chunked_array([[value]], pa.large_string()))
    ...  for value in ["030", "-0", "0x1e", " 3", "3.0"]]
    [None, None, None, None, None]
    """
    if not pa.types.is_large_string(text.type) or text.null_count:
        return None
    try:
        numbers = pc.cast(text, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if not _digits_and_minus_only(text):  # pyarrow also reads hexadecimal (0x1e)
        return None
    # Left: digits with an optional minus, each at least as long as its number written
    # plainly (a leading zero, "-0"); equal lengths in total mean every one is plain.
    values = numbers.to_numpy()
    low, high = (int(values.min()), int(values.max())) if len(values) else (0, 0)
    if low <= -(10**15) or high >= 10**15:
        return None
    written = sum(map(text_bytes, text.chunks))
    return numbers if _plain_length(values, low, high) == written else None


def _plain_length(values: np.ndarray, low: int, high: int) -> int:
    """How many characters ``values`` take written plainly, all together: one digit each,
    one more for each power of ten a value reaches (only the powers up to the widest
    value are compared: ages and scores take one or two passes), and the minus signs.

    >>> values = np.array([0, 7, -10, 999, 1000])
    >>> _plain_length(values, -10, 1000) == len("07-109991000")
    True
    """
    magnitudes = np.abs(values) if low < 0 else values
    widest = max(-low, high)
    reached = [power for power in _POWERS.tolist() if power <= widest]
    total = len(values) + sum(int(np.count_nonzero(magnitudes >= power)) for power in reached)
    return total + (int(np.count_nonzero(values < 0)) if low < 0 else 0)


def _digits_and_minus_only(text: pa.ChunkedArray) -> bool:
    """Whether no byte of the values is above "9" (what the cast to integers accepted
    is then digits and minus signs only)."""
    for chunk in text.chunks:
        data = _value_bytes(chunk)
        if len(data) and data.max() > ord("9"):
            return False
    return True


def _value_bytes(chunk: pa.Array) -> np.ndarray:
    """The bytes of a large_string array's values, in place."""
    if not len(chunk):
        return np.empty(0, dtype=np.uint8)
    offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64)
    start, end = offsets[chunk.offset], offsets[chunk.offset + len(chunk)]
    if end == start:  # (an array of empty values may have no data buffer)
        return np.empty(0, dtype=np.uint8)
    return np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[start:end]
