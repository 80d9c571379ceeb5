"""Zhang's metric, Jaccard, Kulczynski and certainty against mlxtend's association_rules."""

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from mlxtend.frequent_patterns import association_rules

from basket_segments.analytics.baskets import build_baskets
from basket_segments.analytics.measures import MEASURE_COLUMNS, interest_measures
from basket_segments.analytics.mining import frequent_itemsets, min_count
from basket_segments.analytics.prepare import load_dataset
from basket_segments.analytics.rules import RuleParams, mine_rules


@pytest.fixture(scope="module")
def groceries(shared_data):
    return build_baskets(load_dataset(shared_data / "groceries.csv").purchases)


def named_itemsets(baskets, min_support: float, max_length: int) -> dict[frozenset, int]:
    """The frequent itemsets our rules come from, by product name, with their counts."""
    threshold = min_count(min_support, len(baskets))
    found = frequent_itemsets(baskets.codes, baskets.offsets, threshold, max_length)
    names = baskets.products.tolist()
    return {
        frozenset(names[code] for code in itemset): count
        for level in found.values()
        for itemset, count in level.items()
    }


@pytest.mark.parametrize(("min_support", "min_confidence"), [(0.01, 0.3), (0.001, 0.5)])
def test_measures_equal_mlxtend_on_every_groceries_rule(groceries, min_support, min_confidence):
    n = len(groceries)
    params = RuleParams(min_support, min_confidence, max_length=10, max_rules=None)
    ours = mine_rules(groceries, params=params)
    itemsets = named_itemsets(groceries, min_support, 10)
    frequent = pd.DataFrame(
        {"itemsets": list(itemsets), "support": [count / n for count in itemsets.values()]}
    )
    # A hair below the threshold, since mlxtend compares float confidences; the rules it
    # adds are then checked to fall short exactly.
    theirs = association_rules(
        frequent, num_itemsets=n, metric="confidence", min_threshold=min_confidence - 1e-9
    )
    theirs.index = [
        (frozenset(a), frozenset(c))
        for a, c in zip(theirs["antecedents"], theirs["consequents"], strict=True)
    ]
    keys = [
        (frozenset(a), frozenset(c))
        for a, c in zip(ours["antecedent"], ours["consequent"], strict=True)
    ]
    assert len(ours) > 100 and len(set(keys)) == len(keys)
    for extra in set(theirs.index) - set(keys):
        whole, left = itemsets[extra[0] | extra[1]], itemsets[extra[0]]
        assert Fraction(whole, left) < Fraction(str(min_confidence))
    expected = theirs.loc[keys]
    for ours_name, their_name in zip(
        MEASURE_COLUMNS, ("zhangs_metric", "jaccard", "kulczynski", "certainty"), strict=True
    ):
        np.testing.assert_allclose(
            ours[ours_name], expected[their_name], rtol=1e-12, atol=1e-12, err_msg=ours_name
        )
    np.testing.assert_allclose(ours["lift"], expected["lift"], rtol=1e-12)


@pytest.mark.filterwarnings("ignore:invalid value encountered in divide:RuntimeWarning")
def test_zero_denominators_give_zero_as_in_mlxtend():
    """An antecedent in every basket with the consequent only in its baskets (Zhang's), and
    a consequent in every basket (certainty): mlxtend gives 0 where it would divide by 0."""
    n = 10
    frequent = pd.DataFrame(
        {
            "itemsets": [frozenset({"a"}), frozenset({"c"}), frozenset({"a", "c"})],
            "support": [1.0, 1.0, 1.0],
        }
    )
    theirs = association_rules(frequent, num_itemsets=n, metric="confidence", min_threshold=0)
    ours = interest_measures(np.array([n]), np.array([n]), np.array([n]), np.array([n]))
    for name in MEASURE_COLUMNS:
        assert ours[name][0] == pytest.approx(theirs[name].iloc[0]), name
    assert ours["zhangs_metric"][0] == ours["certainty"][0] == 0.0
