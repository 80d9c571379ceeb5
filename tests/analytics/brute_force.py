"""A naive rule miner to check the real one against, as Efficient-Apriori's tests do."""

import math
from fractions import Fraction
from itertools import combinations


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
