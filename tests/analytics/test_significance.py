"""Fisher's exact test of each rule and the corrections for many rules, against scipy and
statsmodels; the significance filter."""

from decimal import Decimal, localcontext
from math import factorial

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import fisher_exact, hypergeom
from statsmodels.stats.multitest import multipletests

from basket_segments.analytics import hypergeometric
from basket_segments.analytics.baskets import build_baskets
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.prepare import load_dataset
from basket_segments.analytics.rules import (
    ALL_CUSTOMERS,
    RULE_COLUMNS,
    RuleParams,
    filter_rules,
    mine_rules,
)
from basket_segments.analytics.significance import (
    adjust_by_group,
    adjust_p_values,
    fisher_p_values,
)
from tests.analytics.test_rules import baskets_frame

#: statsmodels' names of our corrections.
STATSMODELS = {"holm": "holm", "bh": "fdr_bh"}


@pytest.fixture(scope="module")
def groceries_rules(shared_data):
    """The 5,668 rules arules publishes for Groceries (0.001 / 0.5, one product on the right)."""
    baskets = build_baskets(load_dataset(shared_data / "groceries.csv").purchases)
    params = RuleParams(0.001, 0.5, max_length=10, single_consequent=True, max_rules=None)
    return mine_rules(baskets, params=params)


def contingency(row) -> list[list[int]]:
    """A rule's 2x2 table of baskets: with/without the antecedent, with/without the consequent."""
    both, left, right, n = row
    return [[both, left - both], [right - both, n - left - right + both]]


def test_p_values_equal_fisher_exact_on_every_groceries_rule(groceries_rules):
    assert len(groceries_rules) == 5668
    counts = groceries_rules[["count", "antecedent_count", "consequent_count", "baskets"]]
    expected = [
        fisher_exact(contingency(row), alternative="greater").pvalue
        for row in counts.itertuples(index=False)
    ]
    np.testing.assert_allclose(groceries_rules["p_value"], expected, rtol=1e-12, atol=1e-300)
    assert groceries_rules["p_value"].between(0, 1).all()


@pytest.mark.parametrize("correction", ["holm", "bh"])
def test_corrections_equal_statsmodels_on_groceries(groceries_rules, correction):
    loose = RuleParams(0.001, 0.5, max_length=10, single_consequent=True, correction=correction)
    table = filter_rules(groceries_rules, loose)
    p_values = groceries_rules["p_value"].to_numpy()
    expected = multipletests(p_values, method=STATSMODELS[correction])[1]
    np.testing.assert_allclose(table["p_adjusted"], expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(adjust_p_values(p_values, correction), expected, rtol=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 400),
    shares=st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)),
)
def test_p_values_equal_fisher_exact_on_any_table(n, shares):
    """Any 2x2 table, including a side in every basket or in none."""
    left = round(shares[0] * n)
    right = round(shares[1] * n)
    low, high = max(0, left + right - n), min(left, right)
    both = low + round(shares[2] * (high - low))
    ours = fisher_p_values(np.array([both]), np.array([left]), np.array([right]), np.array([n]))
    table = contingency((both, left, right, n))
    assert ours[0] == pytest.approx(fisher_exact(table, alternative="greater").pvalue, rel=1e-12)


def test_a_tail_that_ends_at_once_stops_there():
    """Of 5,052 baskets, 5,000 hold the antecedent and 5,000 the consequent, so at least
    4,948 hold both: the lower tail of 4,948 is one term. Its sum stops there instead of
    running past the support's end, where the terms' ratios overflow (as they did while
    8,000 other rules, done in a few terms, were computed beside it)."""
    both = np.array([4949, 4948, 4950, 5000] + [4990] * 8000)
    n, side = np.full(len(both), 5052), np.full(len(both), 5000)
    with np.errstate(over="raise", invalid="raise"):
        ours = fisher_p_values(both, side, side, n)
    expected = {
        count: fisher_exact(contingency((count, 5000, 5000, 5052)), alternative="greater").pvalue
        for count in set(both.tolist())
    }
    np.testing.assert_allclose(ours, [expected[count] for count in both], rtol=1e-12)
    assert ours[1] == 1.0


def test_stirling_remainders_equal_log_factorials():
    """R's table up to 15, then the series: log(n!) - log(sqrt(2 pi n) (n / e)^n), here
    with 40 digits (in floats, log(n!) loses the digits that matter)."""
    with localcontext() as context:
        context.prec = 40
        half_log_2pi = (2 * Decimal("3.14159265358979323846264338327950288")).ln() / 2
        expected = [
            float(
                Decimal(factorial(k)).ln()
                - (k + Decimal("0.5")) * Decimal(k).ln()
                + k
                - half_log_2pi
            )
            for k in range(1, 200)
        ]
    np.testing.assert_allclose(hypergeometric._stirlerr(np.arange(1, 200)), expected, rtol=1e-13)


def test_p_values_of_large_groups_keep_their_digits():
    """In groups of over 100,000 baskets scipy's hypergeometric (Boost's) differs from the
    exact value by about 1e-10 of it; ours stays within 1e-13 of the exact value,
    counted here with whole numbers."""
    from fractions import Fraction
    from math import comb

    both, left, right, n = 69, 14162, 84, 534279
    exact = Fraction(
        sum(comb(right, k) * comb(n - right, left - k) for k in range(both, right + 1)),
        comb(n, left),
    )
    ours = fisher_p_values(np.array([both]), np.array([left]), np.array([right]), np.array([n]))
    assert ours[0] == pytest.approx(float(exact), rel=1e-13)
    assert hypergeom.sf(both - 1, n, right, left) == pytest.approx(float(exact), rel=1e-9)


@settings(max_examples=25, deadline=None)  # statsmodels takes 25 ms a call
@given(
    p_values=st.lists(st.floats(0, 1) | st.sampled_from([0.01, 0.05]), min_size=1, max_size=40),
    correction=st.sampled_from(["holm", "bh"]),
)
def test_corrections_equal_statsmodels_with_ties(p_values, correction):
    expected = multipletests(p_values, method=STATSMODELS[correction])[1]
    np.testing.assert_allclose(adjust_p_values(p_values, correction), expected, rtol=1e-12)


def test_each_group_is_corrected_on_its_own():
    p_values = np.array([0.01, 0.03, 0.02, 0.04, 0.5])
    groups = np.array([ALL_CUSTOMERS, 0, ALL_CUSTOMERS, 0, 0])
    adjusted = adjust_by_group(p_values, groups, "holm")
    for group in (ALL_CUSTOMERS, 0):
        own = groups == group
        expected = multipletests(p_values[own], method="holm")[1]
        np.testing.assert_allclose(adjusted[own], expected, rtol=1e-12)
    assert adjust_by_group(p_values, groups, "none").tolist() == p_values.tolist()


def segment_baskets():
    """Two segments of 60 customers: bread and milk go together in segment 0; tea, jam and
    eggs come in random baskets (seeded) in both."""
    rng = np.random.default_rng(3)
    baskets = []
    for i in range(120):
        basket = {item for item in ("tea", "jam", "eggs") if rng.random() < 0.4} or {"rice"}
        if i % 2 == 0 and rng.random() < 0.7:
            basket |= {"bread", "milk"}
        baskets.append(basket)
    customers = [f"c{i}" for i in range(120)]
    segments = pd.Series([i % 2 for i in range(120)], index=customers)
    return build_baskets(baskets_frame(baskets, customers)), segments


@pytest.mark.parametrize("correction", ["holm", "bh", "none"])
def test_the_significance_filter_keeps_rules_whose_corrected_p_value_is_at_most_it(correction):
    coded, segments = segment_baskets()
    every = mine_rules(coded, segments, params=RuleParams(0.05, 0.2, correction=correction))
    significant = mine_rules(
        coded, segments, params=RuleParams(0.05, 0.2, correction=correction, significance=0.05)
    )
    assert list(significant.columns) == RULE_COLUMNS
    for group, rules in every.groupby("segment"):
        method = STATSMODELS.get(correction)
        p_values = rules["p_value"].to_numpy()
        expected = multipletests(p_values, method=method)[1] if method else p_values
        np.testing.assert_allclose(rules["p_adjusted"], expected, rtol=1e-12)
        kept = rules[expected <= 0.05]
        got = significant[significant["segment"] == group]
        assert got[["antecedent", "consequent"]].values.tolist() == (
            kept[["antecedent", "consequent"]].values.tolist()
        )
        pd.testing.assert_series_equal(
            got["p_adjusted"].reset_index(drop=True), kept["p_adjusted"].reset_index(drop=True)
        )
    assert 0 < len(significant) < len(every)
    assert significant["consequent"].map(set(["bread", "milk"]).issuperset).any()


def test_the_correction_counts_the_rules_kept_at_the_thresholds():
    """Filtering a loosely mined table corrects over the rules it keeps, as mining at the
    tighter thresholds would (the dashboard mines loosely and filters)."""
    coded, segments = segment_baskets()
    loose = mine_rules(coded, segments, params=RuleParams(0.05, 0.1))
    tight = RuleParams(0.1, 0.5)
    pd.testing.assert_frame_equal(
        filter_rules(loose, tight), mine_rules(coded, segments, None, tight)
    )
    assert len(filter_rules(loose, tight)) < len(loose)


def test_significance_is_left_out_of_the_loosest_params():
    loosest = RuleParams(0.1, 0.5, significance=0.05).loosest(RuleParams(0.2, 0.6))
    assert loosest.significance is None and loosest.correction == "holm"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (RuleParams(0.1, 0.5, correction="bonferroni"), "correction must be one of holm, bh"),
        (RuleParams(0.1, 0.5, significance=0), "significance must be above 0"),
        (RuleParams(0.1, 0.5, significance=1.5), "significance must be above 0"),
    ],
)
def test_bad_significance_or_correction_is_named(params, message):
    coded, _ = segment_baskets()
    with pytest.raises(DataError, match=message):
        mine_rules(coded, params=params)
