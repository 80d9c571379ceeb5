"""A naive rule miner to check the real one against, as Efficient-Apriori's tests do."""

import math
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from itertools import combinations

import pytest

from basket_segments.analytics import mining, rules


@contextmanager
def any_group_size() -> Iterator[None]:
    """Mine groups of any size. Checks of the mining itself use a handful of baskets, below
    the ``MIN_GROUP_BASKETS`` a real group needs (a policy tested on its own)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rules, "MIN_GROUP_BASKETS", 1)
        patch.setattr(mining, "MIN_GROUP_BASKETS", 1)
        yield


def brute_force_rules(baskets, min_support, min_confidence, max_length, min_itemset_count=3):
    """Every rule X -> Y over ``baskets`` (list of sets) meeting the thresholds, with counts.

    Returns {(sorted X, sorted Y): (count, count X, count Y)}.
    """
    n = len(baskets)
    threshold = max(min_itemset_count, math.ceil(Fraction(str(min_support)) * n))
    confidence = Fraction(str(min_confidence))
    items = sorted(set().union(*baskets)) if baskets else []

    def count(itemset):
        return sum(1 for basket in baskets if set(itemset) <= basket)

    rules = {}
    for size in range(2, max_length + 1):
        for itemset in combinations(items, size):
            full = count(itemset)
            if full < threshold:
                continue
            for left_size in range(1, size):
                for left in combinations(itemset, left_size):
                    right = tuple(x for x in itemset if x not in left)
                    left_count = count(left)
                    if full >= confidence * left_count:
                        rules[(left, right)] = (full, left_count, count(right))
    return rules


def confidence_of(baskets, left, right):
    with_left = [basket for basket in baskets if set(left) <= basket]
    return Fraction(sum(1 for b in with_left if set(right) <= b), len(with_left))
