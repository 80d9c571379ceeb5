"""A segment's rules and top products in two periods, side by side: what appeared, what
disappeared and how the lift moved, checked against rules counted by brute force from
each period's baskets of the customers placed in the segment that period."""

import io
import math

import pandas as pd
import pytest

from basket_segments.analytics.local import LocalEngine
from basket_segments.analytics.over_time import segments_over_time, split_by_period
from basket_segments.analytics.period_changes import (
    APPEARED,
    DISAPPEARED,
    KEPT,
    product_changes,
    rule_changes,
    side_by_side,
)
from basket_segments.analytics.periods import PeriodRule
from basket_segments.analytics.pipeline import mine_periods
from basket_segments.analytics.prepare import load_dataset
from basket_segments.analytics.stages import AnalysisOptions, RuleParams, StageClock
from tests.analytics.brute_force import any_group_size, brute_force_rules

PRODUCTS = ("tea", "jam", "milk", "bread", "eggs", "honey")
PARAMS = RuleParams(min_support=0.1, min_confidence=0.4, max_length=2)


def dated_csv() -> str:
    """Two months of purchases: some customers only in January (lapsed), some only in
    February (new); tea goes with jam in January and with milk in February."""
    lines = ["Customer,Invoice,Date,Product,Price"]
    for c in range(70):
        for month in (1, 2):
            if (month == 1 and c >= 60) or (month == 2 and c < 8):
                continue
            for visit in range(1 + (c * month) % 3):
                chosen = {PRODUCTS[(c + visit + k * month) % 6] for k in range(1 + (c + visit) % 3)}
                if month == 1 and c % 3 == 0:
                    chosen |= {"tea", "jam"}
                if month == 2 and c % 3 != 2:
                    chosen |= {"tea", "milk"}
                day = 1 + (c * 5 + visit * 7) % 27
                for product in sorted(chosen):
                    price = 1 + (c * 7 + visit * 3 + len(product)) % 30
                    lines.append(
                        f"C{c:03d},{month}{c:03d}{visit},2020-{month:02d}-{day:02d},"
                        f"{product},{price}"
                    )
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def mined():
    text = dated_csv()
    data = load_dataset(text.encode())
    cut = split_by_period(data, PeriodRule(window="month"))
    found = segments_over_time(cut, ["Recency", "Frequency", "Monetary"], 2, scale="standard")
    options = AnalysisOptions(rules=PARAMS, top_products=4)
    with any_group_size():
        periods = mine_periods(LocalEngine(), data, cut, found, options, StageClock())
    return text, found, periods


def brute_force(text: str, found, period: str, segment: int) -> dict:
    """Rules of the period's baskets (one per customer) of the customers the period
    placed in ``segment``, counted naively from the raw file: {(X, Y): lift}."""
    raw = pd.read_csv(io.StringIO(text), dtype=str)
    raw = raw[raw["Date"].str[:7] == period]
    table = found.by_period
    members = set(table[(table["period"] == period) & (table["segment"] == segment)]["customer"])
    baskets = [
        set(rows["Product"]) for customer, rows in raw.groupby("Customer") if customer in members
    ]
    counted = brute_force_rules(baskets, PARAMS.min_support, PARAMS.min_confidence, 2)
    n = len(baskets)
    return {rule: both * n / (left * right) for rule, (both, left, right) in counted.items()}


def of(table: pd.DataFrame, segment: int, period: str) -> pd.DataFrame:
    return table[(table["segment"] == segment) & (table["period"] == period)]


@pytest.mark.parametrize("segment", [0, 1])
def test_appeared_disappeared_and_lift_changes_agree_with_brute_force(mined, segment):
    text, found, periods = mined
    first, later = found.periods.labels
    expected_first = brute_force(text, found, first, segment)
    expected_later = brute_force(text, found, later, segment)
    changes = rule_changes(
        of(periods.rules, segment, first), of(periods.rules, segment, later), None
    )
    rules = {
        (tuple(a), tuple(c)): row
        for a, c, row in zip(
            changes["antecedent"], changes["consequent"], changes.itertuples(), strict=True
        )
    }
    assert set(rules) == set(expected_first) | set(expected_later)
    assert len(rules) == len(changes) > 0
    for rule, row in rules.items():
        if rule not in expected_first:
            assert row.kind == APPEARED and row.change == APPEARED and math.isnan(row.first_lift)
        elif rule not in expected_later:
            assert row.kind == DISAPPEARED and math.isnan(row.later_lift)
        else:
            assert row.kind == KEPT
            assert row.first_lift == pytest.approx(expected_first[rule], abs=1e-3)
            assert row.later_lift == pytest.approx(expected_later[rule], abs=1e-3)
            assert row.change == f"lift {row.first_lift:.2f} -> {row.later_lift:.2f}"
        assert row.sentence.startswith("Customers in ")
    kinds = set(changes["kind"])
    assert {APPEARED, DISAPPEARED} <= kinds  # the data drifts: tea and jam, then tea and milk


def test_the_rows_are_the_strongest_of_either_period(mined):
    _text, found, periods = mined
    first, later = found.periods.labels
    both = [of(periods.rules, 0, label) for label in (first, later)]
    every = rule_changes(*both, top=None)
    top = rule_changes(*both, top=3)
    strongest = every[["first_lift", "later_lift"]].max(axis=1)
    assert len(top) == 3
    assert (
        top[["first_lift", "later_lift"]].max(axis=1).tolist()
        == sorted(strongest, reverse=True)[:3]
    )


def test_top_products_side_by_side_against_counts(mined):
    text, found, periods = mined
    first, later = found.periods.labels
    raw = pd.read_csv(io.StringIO(text), dtype=str)
    tables = [of(periods.products, 1, label) for label in (first, later)]
    changes = product_changes(*tables, top=None)
    tops = [set(table["product"]) for table in tables]
    for row in changes.itertuples():
        assert (
            row.kind
            == {(True, True): KEPT, (True, False): DISAPPEARED, (False, True): APPEARED}[
                (row.product in tops[0], row.product in tops[1])
            ]
        )
    kept = changes[changes["kind"] == KEPT].iloc[0]
    members = set(of(found.by_period, 1, later)["customer"])
    bought = raw[(raw["Date"].str[:7] == later) & raw["Customer"].isin(members)]
    share = bought[bought["Product"] == kept["product"]]["Customer"].nunique() / len(members)
    assert kept["later_share"] == pytest.approx(share, abs=1e-3)


def test_empty_tables_and_a_bad_top():
    empty = pd.DataFrame(columns=["antecedent", "consequent", "lift", "support", "sentence"])
    assert rule_changes(empty, empty).empty
    one = pd.DataFrame([[("tea",), ("jam",), 2.0, 0.3, "A."]], columns=empty.columns)
    assert rule_changes(empty, one)["kind"].tolist() == [APPEARED]
    assert rule_changes(one, empty)["kind"].tolist() == [DISAPPEARED]
    with pytest.raises(ValueError, match="top must be at least 0"):
        side_by_side(one, one, ["antecedent"], ["lift"], top=-1)
