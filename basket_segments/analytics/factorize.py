"""Integer codes for text columns, and what they make cheap: first rows, duplicate rows.

Loading five million purchase rows spends most of its time asking questions of
text columns: one value per customer, exact duplicate rows. Asked of integer
codes they take milliseconds. pyarrow's dictionary encoding codes pandas'
arrow-backed text about three times faster than ``pd.factorize``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from basket_segments.analytics.table_checks import arrow_text


def factorize(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes in order of first appearance (-1 for missing) and the distinct values,
    as ``pd.factorize`` gives them.

    >>> codes, uniques = factorize(pd.Series(["b", "a", None, "b"], dtype="str"))
    >>> codes.tolist(), uniques.tolist()
    ([0, 1, -1, 0], ['b', 'a'])
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    text = arrow_text(values)
    if text is None or not isinstance(text, pa.ChunkedArray) or len(text) == 0:
        codes, uniques = pd.factorize(values)
        return np.asarray(codes, dtype=np.int64), pd.Index(uniques)
    # One dictionary for all chunks: the encoder's hash table lives across them.
    encoded = pc.dictionary_encode(text)
    indices = pa.chunked_array([chunk.indices for chunk in encoded.chunks])
    codes = pc.fill_null(indices, -1).to_numpy().astype(np.int64, copy=False)
    uniques = pd.Index(encoded.chunk(0).dictionary.to_pandas(), dtype=values.dtype)
    return codes, uniques


def factorize_runs(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``factorize`` for a column whose equal values mostly sit together, as a customer's
    purchases do in most exports: only the first row of each run is encoded (a tenth of
    the rows, typically), and its code repeated over the run.

    >>> codes, uniques = factorize_runs(pd.Series(["b", "b", "a", "a", "b"], dtype="str"))
    >>> codes.tolist(), uniques.tolist()
    ([0, 0, 1, 1, 0], ['b', 'a'])
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    text = arrow_text(values)
    if not isinstance(text, pa.ChunkedArray) or len(text) < 2 or text.null_count:
        return factorize(values)
    changed = pc.not_equal(text[1:], text[:-1]).to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(np.concatenate([[True], changed]))
    if len(starts) > len(text) // 4:  # hardly any runs: encode every row
        return factorize(values)
    encoded = pc.dictionary_encode(text.take(pa.array(starts)))
    run_codes = pa.chunked_array([chunk.indices for chunk in encoded.chunks]).to_numpy()
    codes = np.repeat(run_codes.astype(np.int64), np.diff(np.append(starts, len(text))))
    return codes, pd.Index(encoded.chunk(0).dictionary.to_pandas(), dtype=values.dtype)


def factorize_sorted(values: pd.Series, runs: bool = False) -> tuple[np.ndarray, pd.Index]:
    """``factorize`` with the distinct values in sorted order, as
    ``pd.factorize(values, sort=True)`` gives them: sorting the few distinct values
    and renumbering is faster than sorting while coding. ``runs``: code with
    ``factorize_runs`` (equal values mostly sit together).

    >>> codes, uniques = factorize_sorted(pd.Series(["b", "a", None, "b"], dtype="str"))
    >>> codes.tolist(), uniques.tolist()
    ([1, 0, -1, 1], ['a', 'b'])
    """
    codes, uniques = factorize_runs(values) if runs else factorize(values)
    order = _sort_order(uniques)
    rank = np.empty(len(order) + 1, dtype=np.int64)
    rank[order] = np.arange(len(order))
    rank[-1] = -1  # code -1 (missing) stays -1
    return rank[codes], uniques[order]


def _sort_order(uniques: pd.Index) -> np.ndarray:
    """The positions of ``uniques`` in sorted order. Text pyarrow holds is sorted by
    pyarrow (UTF-8 bytes sort as their characters do): 500,000 customer ids in file
    order took numpy 1.5 s as Python strings, pyarrow 0.4 s.

    >>> _sort_order(pd.Index(pd.Series(["b", "é", "a", "Z"], dtype="str"))).tolist()
    [3, 2, 0, 1]
    """
    import pyarrow.compute as pc

    text = arrow_text(pd.Series(uniques, copy=False))
    if text is None or text.null_count:
        return np.argsort(uniques.to_numpy(), kind="stable")
    return pc.array_sort_indices(text).to_numpy().astype(np.int64, copy=False)


def by_row(flags: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Each row's flag from its value's (``flags[code]``), False for a missing value
    (code -1): a question asked once per distinct value, answered for every row.

    >>> by_row(np.array([True, False]), np.array([0, 1, -1, 0])).tolist()
    [True, False, False, True]
    """
    return np.append(np.asarray(flags, dtype=bool), False)[codes]


def first_rows(codes: np.ndarray) -> np.ndarray:
    """Position of the first row of each code, for codes numbered in order of first
    appearance (as ``factorize`` numbers them); missing (-1) rows are left out.

    A code appears first where it exceeds every code before it: one pass, no sort.

    >>> first_rows(np.array([0, 1, 0, -1, 2, 1])).tolist()
    [0, 1, 4]
    """
    if not len(codes):
        return np.zeros(0, dtype=np.int64)
    highest = np.maximum.accumulate(codes)
    first = np.empty(len(codes), dtype=bool)
    first[0] = codes[0] >= 0
    np.greater(codes[1:], highest[:-1], out=first[1:])
    return np.flatnonzero(first)


def subset(codes: np.ndarray, uniques: pd.Index, rows: np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """The codes and distinct values of the ``rows`` kept (a boolean mask), renumbered
    from 0 in order of first appearance, as if the kept rows had been coded alone.

    >>> codes, uniques = subset(np.array([0, 1, 2, 1]), pd.Index(["a", "", "c"]),
    ...                         np.array([True, False, True, False]))
    >>> codes.tolist(), uniques.tolist()
    ([0, 1], ['a', 'c'])
    """
    kept = codes[rows]
    present = kept >= 0
    first = np.full(len(uniques), len(kept))  # each code's first kept row
    np.minimum.at(first, kept[present], np.flatnonzero(present))
    order = np.argsort(first, kind="stable")[: int((first < len(kept)).sum())]
    renumbered = np.full(len(uniques) + 1, -1)  # the last entry: -1 stays -1
    renumbered[order] = np.arange(len(order))
    return renumbered[kept], uniques[order]


def duplicate_rows(columns: Sequence[pd.Series], known: dict[int, np.ndarray] | None = None) -> int:
    """How many rows repeat an earlier row exactly (in every column given).

    ``known`` gives codes already made for some columns, by position.

    Each column is coded, and the codes are combined into one integer per row
    (mixed radix while it fits in 63 bits; beyond, a 64-bit hash of the codes, where two
    different rows share a key with a chance of about rows² / 2^65).

    >>> duplicate_rows([pd.Series(["a", "a", "b", "a"]), pd.Series(["x", "x", "x", "y"])])
    1
    """
    if not columns or not len(columns[0]):
        return 0
    coded = []
    for position, values in enumerate(columns):
        if known and position in known:
            codes = known[position]
            coded.append((codes, int(codes.max(initial=-1)) + 2))  # + 2: codes from -1 up
        else:
            codes, uniques = factorize(values)
            coded.append((codes, len(uniques) + 1))  # + 1: missing (-1) becomes 0
    capacity = int(np.prod([float(size) for _, size in coded]))
    # The smallest key that holds every combination: less memory to fill and to sort.
    key = np.zeros(len(columns[0]), dtype=np.uint32 if capacity < 2**32 else np.uint64)
    mixed = capacity < 2**63
    for codes, size in coded:
        if mixed:
            key *= key.dtype.type(size)
        else:
            key = pd.util.hash_array(key) * np.uint64(31)
        # Unsigned throughout (uint64 + int64 would go through floats): -1 (missing)
        # wraps to the largest value, and + 1 brings it round to 0.
        key += codes.astype(key.dtype)
        key += key.dtype.type(1)
    # A sort is faster than a hash table on millions of distinct keys; a stable one (timsort)
    # is fast on the runs of rows files have (a customer's or an invoice's rows together).
    key.sort(kind="stable")
    return int(np.count_nonzero(key[1:] == key[:-1]))
