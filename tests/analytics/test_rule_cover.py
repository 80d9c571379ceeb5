"""Who a rule covers, against a brute force over baskets built one by one."""

import random

import pandas as pd
import pytest

from basket_segments.analytics.baskets import build_baskets
from basket_segments.analytics.rule_cover import covered_customers, covering_baskets
from basket_segments.analytics.rules import mine_rules
from basket_segments.analytics.stages import RuleParams

PRODUCTS = ["bread", "milk", "tea", "jam", "eggs", "rice"]


def random_purchases(seed: int, anonymous: bool = False) -> pd.DataFrame:
    """Purchase lines of 60 customers with a few invoices each; products repeat in an
    invoice and some lines miss their product or invoice."""
    pick = random.Random(seed)
    rows = []
    for customer in range(60):
        for invoice in range(pick.randint(1, 3)):
            for _ in range(pick.randint(1, 5)):
                product = pick.choice([*PRODUCTS, None]) if pick.random() < 0.95 else None
                basket = f"{customer}-{invoice}" if pick.random() < 0.97 else None
                rows.append((None if anonymous else f"c{customer:02d}", basket, product))
    frame = pd.DataFrame(rows, columns=["customer", "basket", "product"])
    return frame.astype({"customer": "object"})


def brute_force(purchases, items, by, customers=None):
    """Each basket's products as a set, one basket at a time."""
    anonymous = purchases["customer"].isna().all()
    baskets = {}
    for customer, basket, product in purchases.itertuples(index=False):
        if product is None or pd.isna(product):
            continue
        if customers is not None and customer not in customers:
            continue
        if anonymous or by == "invoice":
            if basket is None or pd.isna(basket):
                continue
            key = (None, basket) if anonymous else (customer, basket)
        else:
            key = (customer, None)
        baskets.setdefault(key, set()).add(product)
    return sorted(key for key, held in baskets.items() if set(items) <= held)


def as_keys(found: pd.DataFrame) -> list:
    return [
        (None if pd.isna(c) else c, None if pd.isna(b) else b)
        for c, b in found[["customer", "basket"]].itertuples(index=False)
    ]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("by", ["customer", "invoice"])
def test_covering_baskets_equal_a_brute_force(seed, by):
    purchases = random_purchases(seed)
    pick = random.Random(seed)
    items = pick.sample(PRODUCTS, pick.randint(1, 3))
    segment = {f"c{i:02d}" for i in range(60) if pick.random() < 0.5}
    for customers in (None, segment):
        index = None if customers is None else pd.Index(sorted(customers))
        found = covering_baskets(purchases, items, by, index)
        assert as_keys(found) == brute_force(purchases, items, by, customers)


def test_a_basket_file_covers_baskets_without_customers():
    purchases = random_purchases(3, anonymous=True)
    found = covering_baskets(purchases, ["tea", "milk"])
    assert as_keys(found) == brute_force(purchases, ["tea", "milk"], "customer")
    assert len(found) > 0 and covered_customers(found).empty


@pytest.mark.parametrize("by", ["customer", "invoice"])
def test_every_rule_covers_as_many_baskets_as_its_support_count(by):
    """The count a rule was mined with and the baskets found again agree, rule by rule."""
    purchases = random_purchases(11)
    rules = mine_rules(build_baskets(purchases, by), params=RuleParams(0.05, 0.1, max_length=3))
    assert len(rules) > 10
    for rule in rules.itertuples():
        found = covering_baskets(purchases, [*rule.antecedent, *rule.consequent], by)
        assert len(found) == rule.count


def test_covered_customers_count_their_baskets():
    purchases = random_purchases(5)
    found = covering_baskets(purchases, ["tea"], "invoice")
    customers = covered_customers(found)
    assert customers["baskets"].sum() == len(found)
    assert customers["customer"].tolist() == sorted(set(found["customer"]))


def test_bad_arguments_are_named():
    purchases = random_purchases(1)
    with pytest.raises(ValueError, match="by must be"):
        covering_baskets(purchases, ["tea"], "week")
    with pytest.raises(ValueError, match="items"):
        covering_baskets(purchases, [])
