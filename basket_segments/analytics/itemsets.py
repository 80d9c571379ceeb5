"""Count frequent itemsets with array operations instead of a Python loop per itemset.

efficient-apriori counts each candidate by intersecting Python sets of basket
numbers, which is most of a mining run's time. Here every pair is counted at
once by a sparse product (baskets x items, transposed, times itself), and
longer candidates by ANDing packed bitsets of the baskets that hold each item
and counting the bits (``numpy.bitwise_count``). Candidates still come from
efficient-apriori's ``apriori_gen``, and the result has the shape its
``generate_rules_apriori`` takes, so rules are generated as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

#: Words (64 baskets each) of bitsets ANDed in one array operation: bounds the
#: temporary arrays of a counting step to about 32 MB.
CHUNK_WORDS = 1 << 22

#: Frequent itemsets by length, then itemset (sorted codes) to basket count.
Levels = dict[int, dict[tuple[int, ...], int]]


def frequent_singles(codes: np.ndarray, threshold: int) -> dict[tuple[int, ...], int]:
    """Items in at least ``threshold`` baskets (codes hold each basket's items once).

    >>> frequent_singles(np.array([0, 1, 0, 2, 0, 1]), 2)
    {(0,): 3, (1,): 2}
    """
    counts = np.bincount(codes) if len(codes) else np.zeros(0, dtype=np.int64)
    return {(int(item),): int(counts[item]) for item in np.flatnonzero(counts >= threshold)}


def frequent_pairs(
    codes: np.ndarray, offsets: np.ndarray, items: np.ndarray, threshold: int
) -> dict[tuple[int, ...], int]:
    """Pairs of ``items`` in at least ``threshold`` baskets, all counted by one sparse product.

    >>> codes, offsets = np.array([0, 1, 2, 0, 1, 1, 2]), np.array([0, 3, 5, 7])
    >>> frequent_pairs(codes, offsets, np.array([0, 1, 2]), 2)
    {(0, 1): 2, (1, 2): 2}
    """
    first, second, counts = pair_counts(codes, offsets, items)
    keep = counts >= threshold
    return {
        (a, b): n
        for a, b, n in zip(
            first[keep].tolist(), second[keep].tolist(), counts[keep].tolist(), strict=True
        )
    }


def pair_counts(
    codes: np.ndarray, offsets: np.ndarray, items: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of ``items`` bought together (first < second, sorted) and its basket count.

    >>> pair_counts(np.array([0, 1, 2, 0, 1]), np.array([0, 3, 5]), np.array([0, 1, 2]))
    (array([0, 0, 1]), array([1, 2, 2]), array([2, 1, 1], dtype=int32))
    """
    from scipy import sparse  # only mining needs it, and basket files need no scikit-learn

    rows, columns = _entries(codes, offsets, items)
    ones = np.ones(len(rows), dtype=np.int32)
    shape = (len(offsets) - 1, len(items))
    matrix = sparse.csr_matrix((ones, (rows, columns)), shape=shape)
    together = sparse.triu(matrix.T @ matrix, k=1).tocoo()
    first, second = items[together.row], items[together.col]
    order = np.lexsort((second, first))
    return first[order], second[order], together.data[order]


def item_bitsets(codes: np.ndarray, offsets: np.ndarray, items: np.ndarray) -> np.ndarray:
    """One row per item of ``items``: bit ``b`` of the row is set when basket ``b`` holds it.

    >>> item_bitsets(np.array([0, 1, 1]), np.array([0, 2, 3]), np.array([0, 1]))[:, 0]
    array([1, 3], dtype=uint64)
    """
    rows, columns = _entries(codes, offsets, items)
    words = (len(offsets) - 1 + 63) // 64
    position = columns * words + (rows >> 6)
    bits = np.left_shift(np.uint64(1), (rows & 63).astype(np.uint64))
    order = np.argsort(position, kind="stable")
    position, bits = position[order], bits[order]
    starts = np.flatnonzero(np.concatenate([[True], position[1:] != position[:-1]]))
    flat = np.zeros(len(items) * words, dtype=np.uint64)
    if len(starts):
        # A basket holds an item once, so OR-ing its bits is the same as adding them.
        flat[position[starts]] = np.bitwise_or.reduceat(bits, starts)
    return flat.reshape(len(items), words)


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
    bitsets: np.ndarray,
    rows_of: np.ndarray,
    candidates: Iterable[tuple[int, ...]],
    threshold: int,
    tick: Callable[[], None],
) -> dict[tuple[int, ...], int]:
    """The candidates (tuples of item codes) in at least ``threshold`` baskets.

    ``rows_of[code]`` is the item's row in ``bitsets``; ``tick`` runs between chunks.
    """
    found: dict[tuple[int, ...], int] = {}
    batch = max(1, CHUNK_WORDS // max(1, bitsets.shape[1]))
    candidates = list(candidates)
    for start in range(0, len(candidates), batch):
        part = candidates[start : start + batch]
        counts = count_candidates(bitsets, rows_of[np.array(part, dtype=np.int64)])
        found.update(
            (itemset, n) for itemset, n in zip(part, counts.tolist(), strict=True) if n >= threshold
        )
        tick()
    return found


def _distinct_prefixes(prefixes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Runs of equal rows (sorted input has its equal prefixes together) and each row's run."""
    if len(prefixes) < 2:
        return prefixes, np.zeros(len(prefixes), dtype=np.int64)
    new = np.concatenate([[True], (prefixes[1:] != prefixes[:-1]).any(axis=1)])
    return prefixes[new], np.cumsum(new) - 1


def _entries(
    codes: np.ndarray, offsets: np.ndarray, items: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(basket number, position in ``items``) for every code that is one of ``items``."""
    owners = np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), np.diff(offsets))
    size = int(max(codes.max(initial=-1), items.max(initial=-1))) + 1
    position = np.full(size, -1, dtype=np.int64)
    position[items] = np.arange(len(items))
    columns = position[codes]
    wanted = columns >= 0
    return owners[wanted], columns[wanted]
