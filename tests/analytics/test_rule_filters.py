"""The one filter of a Rules view, against a plain filter written rule by rule."""

import random

import pandas as pd
import pytest

from basket_segments.analytics.baskets import build_baskets
from basket_segments.analytics.rule_filters import RuleFilter, SideFilters, side_mask, view_rules
from basket_segments.analytics.rules import mine_rules
from basket_segments.analytics.stages import ALL_CUSTOMERS, RuleParams
from tests.analytics.test_rules import baskets_frame

PRODUCTS = ["bread", "milk", "tea", "jam", "eggs", "rice", "salt"]


def random_rules(seed: int, n: int = 400) -> pd.DataFrame:
    """A stored-like rule table: two groups, sides of one to three products."""
    pick = random.Random(seed)
    rows = []
    for _ in range(n):
        items = pick.sample(PRODUCTS, pick.randint(2, 4))
        cut = pick.randint(1, len(items) - 1)
        rows.append(
            {
                "segment": pick.choice([ALL_CUSTOMERS, 0]),
                "antecedent": tuple(sorted(items[:cut])),
                "consequent": tuple(sorted(items[cut:])),
                "redundant": pick.random() < 0.3,
                "p_adjusted": pick.random() / 5,
            }
        )
    return pd.DataFrame(rows)


def plain(rules: pd.DataFrame, sides: SideFilters) -> pd.DataFrame:
    """Rule by rule: include any of a box's products on its side, exclude all of them."""

    def passes(row) -> bool:
        held = {
            "antecedent": set(row["antecedent"]),
            "consequent": set(row["consequent"]),
            "either": set(row["antecedent"]) | set(row["consequent"]),
        }
        for side, items in held.items():
            wanted, unwanted = getattr(sides, f"include_{side}"), getattr(sides, f"exclude_{side}")
            if wanted and not items & set(wanted):
                return False
            if unwanted and items & set(unwanted):
                return False
        return True

    return rules[[passes(row) for _, row in rules.iterrows()]]


def random_sides(pick: random.Random) -> SideFilters:
    boxes = {}
    for box in ("antecedent", "consequent", "either"):
        for mode in ("include", "exclude"):
            if pick.random() < 0.4:
                boxes[f"{mode}_{box}"] = tuple(pick.sample(PRODUCTS, pick.randint(1, 3)))
    return SideFilters(**boxes)


@pytest.mark.parametrize("seed", range(12))
def test_side_filters_equal_a_plain_filter(seed):
    rules = random_rules(seed)
    sides = random_sides(random.Random(100 + seed))
    wanted = plain(rules, sides)
    assert rules[side_mask(rules, sides)].equals(wanted)


@pytest.mark.parametrize("seed", range(6))
def test_a_view_is_its_group_unredundant_filtered_and_significant_rules(seed):
    rules = random_rules(seed)
    sides = random_sides(random.Random(200 + seed))
    choice = RuleFilter(segment=0, hide_redundant=True, sides=sides, significance=0.1)
    group = rules[(rules["segment"] == 0) & ~rules["redundant"] & (rules["p_adjusted"] <= 0.1)]
    wanted = plain(group, sides).reset_index(drop=True)
    assert view_rules(rules, choice).equals(wanted)


def test_the_old_single_product_filter_is_one_box():
    """A product on either side, bought first, or recommended: one include box each."""
    rules = random_rules(7)
    for side, columns in {
        "either": ["antecedent", "consequent"],
        "antecedent": ["antecedent"],
        "consequent": ["consequent"],
    }.items():
        mask = side_mask(rules, SideFilters(**{f"include_{side}": ("tea",)}))
        old = pd.Series(False, index=rules.index)
        for column in columns:
            old |= rules[column].map(lambda items: "tea" in items)
        assert mask.tolist() == old.tolist()


def test_no_filter_keeps_every_rule_and_an_empty_table_stays_empty():
    rules = random_rules(3)
    assert side_mask(rules, SideFilters()).all()
    empty = rules.iloc[:0]
    assert view_rules(empty, RuleFilter(sides=SideFilters(include_either=("tea",)))).empty


def test_thresholds_come_first_so_product_filters_keep_corrected_p_values():
    """Filtering by product must not change a rule's corrected p-value: the correction is
    over the group's rules at the thresholds (``filter_rules``), before any box."""
    pick = random.Random(5)
    baskets = [set(pick.sample(PRODUCTS, pick.randint(1, 4))) for _ in range(200)]
    rules = mine_rules(build_baskets(baskets_frame(baskets)), params=RuleParams(0.02, 0.1))
    thresholds = RuleParams(min_support=0.1, min_confidence=0.3, max_length=3)
    whole = view_rules(rules, RuleFilter(thresholds=thresholds))
    product = whole["antecedent"].iat[0][0]
    some = view_rules(
        rules, RuleFilter(thresholds=thresholds, sides=SideFilters(include_antecedent=(product,)))
    )
    merged = some.merge(whole, on=["antecedent", "consequent"], suffixes=("", "_whole"))
    assert len(merged) == len(some) > 0
    assert (merged["p_adjusted"] == merged["p_adjusted_whole"]).all()
