"""Count frequent itemsets with array operations instead of a Python loop per itemset.

efficient-apriori counts each candidate by intersecting Python sets of basket
numbers, which is most of a mining run's time. Here longer candidates are
counted by ANDing packed bitsets of the baskets that hold each item and
counting the bits (``numpy.bitwise_count``), and pairs either the same way or
all at once by a sparse product (baskets x items, transposed, times itself),
whichever costs less (``pairs_by_bitsets``). Longer candidates come from
efficient-apriori's join and prune steps done on arrays, and the result has
the shape its ``generate_rules_apriori`` takes, so rules are generated as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

#: Words (64 baskets each) of bitsets ANDed in one array operation: bounds the
#: temporary arrays of a counting step to about 32 MB.
CHUNK_WORDS = 1 << 22

#: Frequent itemsets by length, then itemset (sorted codes) to basket count.
Levels = dict[int, dict[tuple[int, ...], int]]

#: What ANDing and counting one 64-bit word of a pair's bitsets costs, in terms of the
#: sparse product (one per pair of wanted items in a basket): about 8 against 16 ns on
#: the bench's files. Pairs are counted the cheaper way (``pairs_by_bitsets``).
WORD_COST = 0.5


class Entries(NamedTuple):
    """Where a group's baskets hold the items counted: basket number (``rows``) and
    position among the items (``columns``) of each such code, found once and used for
    the pairs' count and for the bitsets."""

    rows: np.ndarray
    columns: np.ndarray
    n_baskets: int
    n_items: int

    def only(self, positions: np.ndarray) -> Entries:
        """The entries of the items at ``positions`` (sorted), renumbered from 0.

        >>> found = entries(np.array([0, 1, 2, 1]), np.array([0, 3, 4]), np.array([0, 1, 2]))
        >>> found.only(np.array([1, 2]))[:2]
        (array([0, 0, 1]), array([0, 1, 0]))
        """
        renumber = np.full(self.n_items, -1, dtype=np.int64)
        renumber[positions] = np.arange(len(positions))
        new = renumber[self.columns]
        kept = new >= 0
        return Entries(self.rows[kept], new[kept], self.n_baskets, len(positions))


def frequent_singles(codes: np.ndarray, threshold: int) -> dict[tuple[int, ...], int]:
    """Items in at least ``threshold`` baskets (codes hold each basket's items once).

    >>> frequent_singles(np.array([0, 1, 0, 2, 0, 1]), 2)
    {(0,): 3, (1,): 2}
    """
    counts = np.bincount(codes) if len(codes) else np.zeros(0, dtype=np.int64)
    return {(int(item),): int(counts[item]) for item in np.flatnonzero(counts >= threshold)}


def pairs_by_bitsets(found: Entries, n_pairs: int) -> bool:
    """Whether building the items' bitsets and ANDing those of ``n_pairs`` pairs costs
    less than the sparse product, whose terms are, for each basket, its number of items
    counted, squared (the bitsets' size is bounded by the same measure)."""
    per_basket = np.bincount(found.rows, minlength=found.n_baskets)
    words = (found.n_baskets + 63) // 64
    return (n_pairs + found.n_items) * words * WORD_COST < int(np.dot(per_basket, per_basket))


def sparse_pair_counts(
    found: Entries, items: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of ``items`` (sorted) bought together (first < second, sorted) and its
    basket count, by one sparse product: its cost grows with the square of each basket's
    items, not with the number of baskets times the pairs.

    >>> items = np.array([0, 1, 2])
    >>> sparse_pair_counts(entries(np.array([0, 1, 2, 0, 1]), np.array([0, 3, 5]), items), items)
    (array([0, 0, 1]), array([1, 2, 2]), array([2, 1, 1]))
    """
    from scipy import sparse  # only mining needs it, and basket files need no scikit-learn

    ones = np.ones(len(found.rows), dtype=np.int32)
    shape = (found.n_baskets, found.n_items)
    matrix = sparse.csr_matrix((ones, (found.rows, found.columns)), shape=shape)
    together = sparse.triu(matrix.T @ matrix, k=1).tocoo()
    first, second = items[together.row], items[together.col]
    order = np.lexsort((second, first))
    return first[order], second[order], together.data[order].astype(np.int64)


def bitset_pair_counts(
    bitsets: np.ndarray, items: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What ``sparse_pair_counts`` finds, from the bitsets of ``items`` (one row each, in
    their order), in batches of about ``JOIN_BATCH`` pairs.

    >>> bitsets = np.array([[0b011], [0b011], [0b100]], dtype=np.uint64)
    >>> bitset_pair_counts(bitsets, np.array([4, 7, 9]))
    (array([4]), array([7]), array([2]))
    """
    firsts, seconds, counts = [], [], []
    partners = np.arange(len(items) - 1, -1, -1)  # row i pairs with every later row
    for start, stop in _batches(partners, JOIN_BATCH):
        first, second = _with_partners(start, stop, partners)
        together = count_candidates(bitsets, np.column_stack([first, second]))
        kept = together > 0
        firsts.append(items[first[kept]])
        seconds.append(items[second[kept]])
        counts.append(together[kept])
    if not firsts:
        empty = np.empty(0, dtype=np.int64)
        return items[empty], items[empty], empty
    return np.concatenate(firsts), np.concatenate(seconds), np.concatenate(counts)


def bitsets_of(found: Entries) -> np.ndarray:
    """One row per item of ``found``: bit ``b`` of the row is set when basket ``b`` holds it.

    >>> bitsets_of(entries(np.array([0, 1, 1]), np.array([0, 2, 3]), np.array([0, 1])))[:, 0]
    array([1, 3], dtype=uint64)
    """
    words = (found.n_baskets + 63) // 64
    flat = np.zeros(found.n_items * words, dtype=np.uint64)
    bits = np.left_shift(np.uint64(1), (found.rows & 63).astype(np.uint64))
    np.bitwise_or.at(flat, found.columns * words + (found.rows >> 6), bits)
    return flat.reshape(found.n_items, words)


def count_candidates(bitsets: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Baskets holding every item of each candidate (rows of bitset row numbers).

    Candidates in sorted order share prefixes, so each distinct prefix is ANDed
    once per chunk and only its last item is ANDed per candidate.

    >>> bitsets = np.array([[0b111], [0b011], [0b110]], dtype=np.uint64)
    >>> count_candidates(bitsets, np.array([[0, 1, 2], [0, 1, 1]]))
    array([1, 2])
    """
    words = max(1, bitsets.shape[1])
    step = max(1, CHUNK_WORDS // words)
    counts = np.empty(len(candidates), dtype=np.int64)
    for start in range(0, len(candidates), step):
        chunk = candidates[start : start + step]
        prefixes, group = _distinct_prefixes(chunk[:, :-1])
        common = bitsets[prefixes[:, 0]]
        for column in range(1, prefixes.shape[1]):
            common = common & bitsets[prefixes[:, column]]
        both = common[group] & bitsets[chunk[:, -1]]
        counts[start : start + step] = np.bitwise_count(both).sum(axis=1, dtype=np.int64)
    return counts


def count_level(
    bitsets: np.ndarray, candidates: np.ndarray, tick: Callable[[], None]
) -> np.ndarray:
    """``count_candidates`` in chunks, with ``tick`` (a chance to cancel) after each."""
    step = max(1, CHUNK_WORDS // max(1, bitsets.shape[1]))
    counts = np.empty(len(candidates), dtype=np.int64)
    for start in range(0, len(candidates), step):
        counts[start : start + step] = count_candidates(bitsets, candidates[start : start + step])
        tick()
    return counts


def next_candidates(level: np.ndarray, limit: int) -> np.ndarray | None:
    """Apriori's candidates one item longer than ``level``, or None if over ``limit``.

    ``level`` holds frequent itemsets as sorted rows of sorted codes. Two rows
    that differ only in their last item join into a candidate, which is kept
    when every other subset one item shorter is a row of ``level`` too: the
    join and prune steps of efficient-apriori's ``apriori_gen``, on arrays, in
    the same (sorted) order.

    >>> level = np.array([[1, 2, 3], [1, 2, 4], [1, 3, 4], [1, 3, 5], [2, 3, 4]])
    >>> next_candidates(level, 10)
    array([[1, 2, 3, 4]])
    """
    rows, length = level.shape
    if rows < 2:
        return np.empty((0, length + 1), dtype=np.int64)
    keys = _row_keys(level)
    same_prefix = np.zeros(rows, dtype=bool)
    same_prefix[1:] = (level[1:, :-1] == level[:-1, :-1]).all(axis=1)
    group_end = _run_ends(~same_prefix)
    partners = group_end - np.arange(rows) - 1
    found, total = [], 0
    for first, last in _batches(partners, JOIN_BATCH):
        joined = _join(level, first, last, partners)
        keep = np.ones(len(joined), dtype=bool)
        for dropped in range(length - 1):  # the last two subsets are the joined rows
            keep &= _contains(keys, _row_keys(np.delete(joined, dropped, axis=1)))
        found.append(joined[keep])
        total += int(keep.sum())
        if total > limit:
            return None
    return np.concatenate(found) if found else np.empty((0, length + 1), dtype=np.int64)


#: Joined rows pruned in one array operation (bounds the temporary arrays).
JOIN_BATCH = 1 << 20


def _run_ends(starts: np.ndarray) -> np.ndarray:
    """For each row, the end (exclusive) of the run it is in, runs beginning where ``starts``."""
    begin = np.flatnonzero(starts)
    ends = np.append(begin[1:], len(starts))
    return np.repeat(ends, np.diff(np.append(begin, len(starts))))


def _batches(partners: np.ndarray, size: int) -> list[tuple[int, int]]:
    """Ranges of rows whose joins add up to about ``size`` (at least one row each)."""
    total = np.cumsum(partners)
    bounds, start = [], 0
    while start < len(partners):
        base = total[start - 1] if start else 0
        stop = max(start + 1, int(np.searchsorted(total, base + size, side="right")))
        bounds.append((start, min(stop, len(partners))))
        start = stop
    return bounds


def _join(level: np.ndarray, first: int, last: int, partners: np.ndarray) -> np.ndarray:
    """Each row ``first <= i < last`` joined with every later row of its prefix group."""
    left, right = _with_partners(first, last, partners)
    return np.column_stack([level[left], level[right, -1]])


def _with_partners(first: int, last: int, partners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers ``(i, j)`` of each row ``first <= i < last`` with each of the
    ``partners[i]`` rows right after it.

    >>> _with_partners(0, 3, np.array([2, 1, 0]))
    (array([0, 0, 1]), array([1, 2, 2]))
    """
    counts = partners[first:last]
    left = np.repeat(np.arange(first, last), counts)
    offset = np.arange(len(left)) - np.repeat(np.cumsum(counts) - counts, counts)
    return left, left + 1 + offset


def _row_keys(rows: np.ndarray) -> np.ndarray:
    """Rows as single comparable values: big-endian bytes sort as the rows sort."""
    data = np.ascontiguousarray(rows, dtype=">i8")
    return data.view(np.dtype((np.void, 8 * rows.shape[1]))).ravel()


def _contains(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Which of ``wanted`` are among the sorted ``keys``."""
    if not len(keys):
        return np.zeros(len(wanted), dtype=bool)
    found = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return keys[found] == wanted


def _distinct_prefixes(prefixes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Runs of equal rows (sorted input has its equal prefixes together) and each row's run."""
    if len(prefixes) < 2:
        return prefixes, np.zeros(len(prefixes), dtype=np.int64)
    new = np.concatenate([[True], (prefixes[1:] != prefixes[:-1]).any(axis=1)])
    return prefixes[new], np.cumsum(new) - 1


def entries(codes: np.ndarray, offsets: np.ndarray, items: np.ndarray) -> Entries:
    """(basket number, position in ``items``) for every code that is one of ``items``.

    Positions are looked up in the narrowest integers that hold them, and basket
    numbers found only for the codes kept: on five million codes of which a fifth
    are counted, about 0.08 against 0.12 s.

    >>> entries(np.array([0, 1, 2, 1]), np.array([0, 3, 4]), np.array([1, 2]))[:2]
    (array([0, 0, 1]), array([0, 1, 0]))
    """
    size = int(max(codes.max(initial=-1), items.max(initial=-1))) + 1
    narrow = np.int16 if len(items) < np.iinfo(np.int16).max else np.int64
    position = np.full(size, -1, dtype=narrow)
    position[items] = np.arange(len(items))
    columns = position[codes]
    kept = np.flatnonzero(columns >= 0)
    rows = np.searchsorted(offsets, kept, side="right") - 1
    return Entries(rows, columns[kept].astype(np.int64), len(offsets) - 1, len(items))
