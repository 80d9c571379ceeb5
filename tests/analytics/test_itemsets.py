"""Array counting of frequent itemsets against efficient-apriori and a brute-force count."""

from itertools import combinations

import numpy as np
from efficient_apriori.itemsets import apriori_gen, itemsets_from_transactions
from hypothesis import given, settings
from hypothesis import strategies as st

from basket_segments.analytics import itemsets
from basket_segments.analytics.mining import frequent_itemsets

baskets_of_codes = st.lists(
    st.sets(st.integers(0, 9), min_size=0, max_size=7), min_size=1, max_size=90
)


def coded(baskets):
    """Codes and offsets of baskets given as sets of ints."""
    rows = [sorted(basket) for basket in baskets]
    codes = np.array([code for row in rows for code in row], dtype=np.int32)
    offsets = np.concatenate([[0], np.cumsum([len(row) for row in rows])]).astype(np.int64)
    return codes, offsets


def brute_force_itemsets(baskets, threshold, max_length):
    items = sorted(set().union(*baskets))
    found = {}
    for length in range(1, max_length + 1):
        level = {}
        for itemset in combinations(items, length):
            count = sum(1 for basket in baskets if set(itemset) <= basket)
            if count >= threshold:
                level[itemset] = count
        if level:
            found[length] = level
    return found


@settings(max_examples=150, deadline=None)
@given(baskets=baskets_of_codes, threshold=st.integers(1, 6), max_length=st.integers(1, 6))
def test_counts_agree_with_efficient_apriori_and_brute_force(baskets, threshold, max_length):
    threshold = min(threshold, len(baskets))  # efficient-apriori wants a support up to 1
    codes, offsets = coded(baskets)
    found = frequent_itemsets(codes, offsets, threshold, max_length)
    assert found == brute_force_itemsets(baskets, threshold, max_length)
    transactions = [tuple(sorted(basket)) for basket in baskets]
    # efficient-apriori compares a float support; a hair below the count keeps ties.
    expected, _ = itemsets_from_transactions(
        transactions, (threshold - 0.5) / len(baskets), max_length
    )
    assert found == {length: dict(level) for length, level in expected.items() if level}


@settings(max_examples=60, deadline=None)
@given(
    baskets=st.lists(st.sets(st.integers(0, 5), max_size=6), min_size=1, max_size=200),
    chunk_words=st.sampled_from([1, 2, 3, 1 << 22]),
)
def test_chunked_counting_counts_the_same(baskets, chunk_words):
    codes, offsets = coded(baskets)
    whole = frequent_itemsets(codes, offsets, 1, 6)
    previous = itemsets.CHUNK_WORDS
    itemsets.CHUNK_WORDS = chunk_words
    try:
        assert frequent_itemsets(codes, offsets, 1, 6) == whole
    finally:
        itemsets.CHUNK_WORDS = previous


def test_bitsets_span_several_words():
    baskets = [{0, 1}] * 70 + [{1, 2}] * 70 + [{0, 1, 2}] * 3
    codes, offsets = coded(baskets)
    found = frequent_itemsets(codes, offsets, 3, 3)
    assert found[2] == {(0, 1): 73, (0, 2): 3, (1, 2): 73}
    assert found[3] == {(0, 1, 2): 3}


@settings(max_examples=150, deadline=None)
@given(
    level=st.sets(st.tuples(*[st.integers(0, 7)] * 3).map(lambda t: tuple(sorted(set(t))))).map(
        lambda rows: sorted(row for row in rows if len(row) == 3)
    ),
    join_batch=st.sampled_from([1, 2, 5, 1 << 20]),
)
def test_candidates_are_efficient_aprioris(level, join_batch):
    previous = itemsets.JOIN_BATCH
    itemsets.JOIN_BATCH = join_batch
    try:
        found = itemsets.next_candidates(np.array(level, dtype=np.int64).reshape(-1, 3), 10**6)
    finally:
        itemsets.JOIN_BATCH = previous
    assert list(map(tuple, found.tolist())) == list(apriori_gen(level))


def test_candidates_over_the_limit_are_refused():
    level = np.array(list(combinations(range(8), 2)), dtype=np.int64)
    assert len(itemsets.next_candidates(level, 56)) == 56
    assert itemsets.next_candidates(level, 55) is None
