"""Array counting of frequent itemsets against efficient-apriori and a brute-force count."""

from contextlib import contextmanager
from itertools import combinations

import numpy as np
import pandas as pd
from efficient_apriori.itemsets import apriori_gen, itemsets_from_transactions
from hypothesis import given, settings
from hypothesis import strategies as st

from basket_segments.analytics import itemsets
from basket_segments.analytics.baskets import Baskets
from basket_segments.analytics.counting import ItemsetCounter
from basket_segments.analytics.mining import frequent_itemsets

#: ``itemsets.WORD_COST`` that makes pairs always counted on bitsets, or always by the
#: sparse product (the choice then never depends on the baskets' shape).
ALWAYS_BITSETS, ALWAYS_SPARSE = 0.0, 1e30

baskets_of_codes = st.lists(
    st.sets(st.integers(0, 9), min_size=0, max_size=7), min_size=1, max_size=90
)


@contextmanager
def settings_of(module, **values):
    """``module``'s constants set to ``values`` inside (hypothesis runs a test many times
    in one function-scoped fixture, so no ``monkeypatch`` here)."""
    previous = {name: getattr(module, name) for name in values}
    for name, value in values.items():
        setattr(module, name, value)
    try:
        yield
    finally:
        for name, value in previous.items():
            setattr(module, name, value)


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


@settings(max_examples=100, deadline=None)
@given(
    baskets=baskets_of_codes,
    threshold=st.integers(1, 4),
    max_length=st.integers(2, 5),
    word_cost=st.sampled_from([ALWAYS_BITSETS, ALWAYS_SPARSE]),
    join_batch=st.sampled_from([1, 3, 1 << 20]),
)
def test_pairs_counted_either_way_count_the_same(
    baskets, threshold, max_length, word_cost, join_batch
):
    codes, offsets = coded(baskets)
    with settings_of(itemsets, WORD_COST=word_cost, JOIN_BATCH=join_batch):
        found = frequent_itemsets(codes, offsets, threshold, max_length)
    assert found == brute_force_itemsets(baskets, threshold, max_length)


@settings(max_examples=100, deadline=None)
@given(
    baskets=baskets_of_codes,
    asked=st.lists(st.sets(st.integers(0, 9), min_size=1, max_size=4), min_size=1, max_size=30),
    word_cost=st.sampled_from([ALWAYS_BITSETS, ALWAYS_SPARSE]),
)
def test_the_counter_counts_what_is_asked_either_way(baskets, asked, word_cost):
    codes, offsets = coded(baskets)
    products = pd.Index([f"p{code}" for code in range(10)])
    counter = ItemsetCounter(
        Baskets(codes, offsets, products, pd.Index(range(len(baskets)))),
        {code for itemset in asked for code in itemset},
    )
    wanted = [tuple(sorted(itemset)) for itemset in asked]
    expected = [sum(1 for basket in baskets if set(itemset) <= basket) for itemset in wanted]
    with settings_of(itemsets, WORD_COST=word_cost):
        assert counter.count_many(wanted).tolist() == expected


def test_the_cheaper_way_is_chosen_for_each_shape():
    """Few pairs over many baskets go to bitsets; many pairs over few baskets each
    holding few items go to the sparse product."""
    many_baskets = [{0, 1, 2}] * 20_000
    codes, offsets = coded(many_baskets)
    found = itemsets.entries(codes, offsets, np.array([0, 1, 2]))
    assert itemsets.pairs_by_bitsets(found, 3)
    sparse_baskets = [{i, i + 1} for i in range(0, 400, 2)] * 100
    codes, offsets = coded(sparse_baskets)
    found = itemsets.entries(codes, offsets, np.arange(401))
    assert not itemsets.pairs_by_bitsets(found, 401 * 400 // 2)


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
