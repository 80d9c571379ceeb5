"""Top products per segment and recommendations, checked by counting by hand."""

import pandas as pd
import pytest

from basket_segments.analytics.baskets import build_baskets
from basket_segments.analytics.products import top_products
from basket_segments.analytics.recommend import recommend_for_customer, recommend_for_segment
from basket_segments.analytics.rules import ALL_CUSTOMERS, RuleParams, mine_rules
from basket_segments.analytics.sample import generate_sample

PURCHASES = pd.DataFrame(
    {
        "customer": ["a", "a", "a", "b", "b", "c", "c", "d"],
        "basket": pd.NA,
        "product": ["bread", "milk", "milk", "bread", "tea", "tea", "jam", "tea"],
    }
)
SEGMENTS = pd.Series({"a": 0, "b": 0, "c": 1, "d": 1})


def test_top_products_count_baskets_not_rows():
    table = top_products(build_baskets(PURCHASES), SEGMENTS)
    overall = table[table["segment"] == ALL_CUSTOMERS].set_index("product")
    assert overall.loc["tea", "count"] == 3
    assert overall.loc["milk", "count"] == 1  # bought twice by one customer
    segment_one = table[table["segment"] == 1].set_index("product")
    assert segment_one.loc["tea", "share"] == 1.0
    assert segment_one.loc["tea", "share_vs_all"] == pytest.approx(1.0 / 0.75, abs=1e-3)
    assert table[table["segment"] == 0]["rank"].tolist() == [1, 2, 3]


def test_top_products_keep_only_the_top_n():
    table = top_products(build_baskets(PURCHASES), SEGMENTS, top=1)
    assert table.groupby("segment").size().tolist() == [1, 1, 1]


@pytest.fixture(scope="module")
def sample_results():
    sample = generate_sample(1500, seed=11)
    purchases = sample.rename(columns={"CustomerID": "customer", "Product": "product"})
    baskets = build_baskets(purchases.assign(basket=pd.NA))
    segments = pd.Series(0, index=baskets.customers)
    rules = mine_rules(baskets, segments, params=RuleParams(0.05, 0.5, max_length=3))
    products = top_products(baskets, segments, top=20)
    return purchases, rules, products


def test_customer_recommendations_come_from_applicable_rules(sample_results):
    purchases, rules, products = sample_results
    customer = purchases["customer"].iloc[0]
    bought = set(purchases.loc[purchases["customer"] == customer, "product"])
    picks = recommend_for_customer(bought, 0, rules, products, top=5)
    assert len(picks) == 5
    assert not set(picks["product"]) & bought
    assert picks["product"].is_unique
    from_rules = picks[picks["source"] == "rule"]
    assert len(from_rules) > 0
    segment_rules = rules[rules["segment"] == 0]
    for pick in from_rules.itertuples():
        applicable = segment_rules[
            segment_rules["antecedent"].map(lambda a: set(a) <= bought)
            & segment_rules["consequent"].map(lambda c, p=pick.product: p in c)
        ]
        assert pick.confidence == applicable["confidence"].max()
    assert from_rules["confidence"].is_monotonic_decreasing


def test_customer_without_applicable_rules_gets_popular_products(sample_results):
    _, rules, products = sample_results
    picks = recommend_for_customer({"a product nobody sells"}, 0, rules, products, top=3)
    assert picks["source"].tolist() == ["popular in segment"] * 3
    expected = products[products["segment"] == 0]["product"].head(3).tolist()
    assert picks["product"].tolist() == expected


def test_segment_recommendations_are_non_redundant_sentences(sample_results):
    _, rules, _ = sample_results
    sentences = recommend_for_segment(rules, 0, top=3)
    assert len(sentences) == 3
    chosen = rules[rules["sentence"].isin(sentences)]
    assert not chosen["redundant"].any()
