"""Association rules: published counts on Groceries, and agreement with a brute-force miner."""

import multiprocessing
import time
import tracemalloc
from fractions import Fraction
from itertools import combinations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from basket_segments.analytics import mining, rules
from basket_segments.analytics.baskets import build_baskets
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.prepare import load_dataset
from basket_segments.analytics.rules import (
    ALL_CUSTOMERS,
    RuleParams,
    filter_rules,
    mine_rules,
)
from basket_segments.analytics.sample import generate_sample
from tests.analytics.brute_force import any_group_size, brute_force_rules, confidence_of


def baskets_frame(baskets, customers=None):
    """Purchases in long form: one row per product of each basket."""
    rows = [
        (customers[i] if customers else f"c{i}", str(i), item)
        for i, basket in enumerate(baskets)
        for item in sorted(basket)
    ]
    return pd.DataFrame(rows, columns=["customer", "basket", "product"])


def as_dict(table):
    return {
        (tuple(row.antecedent), tuple(row.consequent)): (
            row.count,
            row.antecedent_count,
            row.consequent_count,
        )
        for row in table.itertuples()
    }


@pytest.fixture(scope="module")
def groceries(shared_data):
    return build_baskets(load_dataset(shared_data / "groceries.csv").purchases)


def test_groceries_gives_the_published_arules_count(groceries):
    params = RuleParams(0.001, 0.5, max_length=10, single_consequent=True)
    assert len(mine_rules(groceries, params=params)) == 5668


def test_groceries_with_multi_item_consequents(groceries):
    params = RuleParams(0.001, 0.5, max_length=10, single_consequent=False)
    table = mine_rules(groceries, params=params)
    assert len(table) == 5829
    assert table["consequent"].map(len).max() > 1


def test_groceries_top_rule_measures(groceries):
    table = mine_rules(groceries, params=RuleParams(0.01, 0.5, max_length=3))
    first = table.iloc[0]
    n = len(groceries)
    assert first["support"] == pytest.approx(first["count"] / n)
    assert first["confidence"] == pytest.approx(first["count"] / first["antecedent_count"])
    expected_lift = first["confidence"] / (first["consequent_count"] / n)
    assert first["lift"] == pytest.approx(expected_lift)
    assert first["sentence"].startswith("Baskets with ")  # a basket file: no customers


item_names = st.sampled_from(["bread", "milk", "tea", "jam", "eggs", "rice"])
basket_lists = st.lists(st.sets(item_names, min_size=1, max_size=5), min_size=2, max_size=30)


@settings(max_examples=60, deadline=None)
@given(
    baskets=basket_lists,
    min_support=st.sampled_from([0.05, 0.1, 0.2, 0.25, 0.3, 0.5]),
    min_confidence=st.sampled_from([0.0, 0.3, 0.5, 0.6, 1.0]),
    max_length=st.integers(2, 4),
)
def test_rules_agree_with_brute_force(baskets, min_support, min_confidence, max_length):
    params = RuleParams(min_support, min_confidence, max_length=max_length)
    with any_group_size():
        table = mine_rules(build_baskets(baskets_frame(baskets)), params=params)
    expected = brute_force_rules(baskets, min_support, min_confidence, max_length)
    assert as_dict(table) == expected
    for row in table.itertuples():
        left, right = set(row.antecedent), set(row.consequent)
        general = [
            confidence_of(baskets, subset, row.consequent)
            for size in range(1, len(left))
            for subset in combinations(sorted(left), size)
        ]
        exact = Fraction(row.count, row.antecedent_count)
        assert row.redundant == any(c >= exact for c in general)
        assert not left & right


@settings(max_examples=30, deadline=None)
@given(baskets=st.lists(st.sets(item_names, min_size=1, max_size=4), min_size=8, max_size=30))
def test_segment_rules_and_lift_against_all_customers(baskets):
    customers = [f"c{i}" for i in range(len(baskets))]
    segments = pd.Series([i % 2 for i in range(len(baskets))], index=customers)
    params = RuleParams(0.2, 0.4, max_length=3)
    coded = build_baskets(baskets_frame(baskets, customers))
    with any_group_size():
        table = mine_rules(coded, segments, None, params)
    n_all = len(baskets)
    for segment in (0, 1):
        own = [b for b, s in zip(baskets, segments, strict=True) if s == segment]
        got = as_dict(table[table["segment"] == segment])
        assert got == brute_force_rules(own, 0.2, 0.4, 3)
    for row in table[table["segment"] != ALL_CUSTOMERS].itertuples():
        both = sum(1 for b in baskets if set(row.antecedent) | set(row.consequent) <= b)
        left = sum(1 for b in baskets if set(row.antecedent) <= b)
        right = sum(1 for b in baskets if set(row.consequent) <= b)
        assert row.lift_vs_all == pytest.approx(row.lift / (both * n_all / (left * right)))


def test_thresholds_are_inclusive():
    # 20 baskets; {bread, milk} in exactly 6 (support 0.3); bread in 10 (confidence 0.6).
    baskets = ([{"bread", "milk"}] * 3 + [{"bread"}] * 2 + [{"tea"}] * 5) * 2
    table = mine_rules(build_baskets(baskets_frame(baskets)), params=RuleParams(0.3, 0.6))
    assert (("bread",), ("milk",)) in as_dict(table)
    tighter = mine_rules(build_baskets(baskets_frame(baskets)), params=RuleParams(0.31, 0.6))
    assert tighter.empty


def test_filtering_a_loose_table_equals_mining_tight():
    baskets = [{"bread", "milk", "tea"}, {"bread", "milk"}, {"milk", "tea"}, {"bread"}] * 5
    coded = build_baskets(baskets_frame(baskets))
    loose = mine_rules(coded, params=RuleParams(0.1, 0.1, max_length=3))
    tight = RuleParams(0.25, 0.6, min_lift=1.0, max_length=2, single_consequent=True)
    pd.testing.assert_frame_equal(filter_rules(loose, tight), mine_rules(coded, params=tight))


def test_single_segment_rules_are_skipped_when_the_segment_is_tiny():
    baskets = [{"bread", "milk"}] * 30
    customers = [f"c{i}" for i in range(30)]
    segments = pd.Series([0] * 25 + [1] * 5, index=customers)
    coded = build_baskets(baskets_frame(baskets, customers))
    table = mine_rules(coded, segments, params=RuleParams(0.1, 0.1))
    assert set(table["segment"]) == {ALL_CUSTOMERS, 0}


def test_combinatorial_explosion_is_stopped_with_advice(monkeypatch):
    monkeypatch.setattr(mining, "MAX_CANDIDATES", 1000)
    baskets = [set(f"item{i}" for i in range(30))] * 20
    with pytest.raises(DataError, match="raise the minimum support"):
        mine_rules(build_baskets(baskets_frame(baskets)), params=RuleParams(0.5, 0.5, 0, 6))


def test_too_many_possible_rules_are_refused_with_advice(monkeypatch):
    """20 identical baskets of 12 products: 4,083 itemsets make 523,250 possible rules."""
    baskets = [set(f"item{i:02d}" for i in range(12))] * 20
    coded = build_baskets(baskets_frame(baskets))
    monkeypatch.setattr(mining, "MAX_RULE_CANDIDATES", 500_000)
    with pytest.raises(DataError, match="523,250 possible rules in a group of 20 baskets"):
        mining.mine_coded(coded.codes, coded.offsets, 0.5, 0.5, 12)
    found = mining.mine_coded(coded.codes, coded.offsets, 0.5, 0.5, 12, single_consequent=True)
    assert len(found.rules) == 12 * (2**11 - 1)  # each itemset, one product on the right


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (RuleParams(0, 0.5), "min_support"),
        (RuleParams(1.5, 0.5), "min_support"),
        (RuleParams(0.1, -0.1), "min_confidence"),
        (RuleParams(0.1, 0.5, max_length=1), "max_length"),
    ],
)
def test_bad_thresholds_are_named(params, message):
    coded = build_baskets(baskets_frame([{"a", "b"}, {"a"}]))
    with pytest.raises(DataError, match=message):
        mine_rules(coded, params=params)


def test_parallel_and_serial_mining_agree():
    sample = generate_sample(600, seed=3)
    purchases = sample.rename(columns={"CustomerID": "customer", "Product": "product"})
    coded = build_baskets(purchases.assign(basket=pd.NA))
    segments = pd.Series([i % 3 for i in range(len(coded))], index=coded.customers)
    params = RuleParams(0.05, 0.5, max_length=3)
    serial = mine_rules(coded, segments, params=params, n_jobs=1)
    parallel = mine_rules(coded, segments, params=params, n_jobs=2)
    assert set(serial["segment"]) == {ALL_CUSTOMERS, 0, 1, 2}
    pd.testing.assert_frame_equal(serial, parallel)


def test_parallel_mining_after_an_isolated_one_in_the_same_process():
    """The dashboard mines in its worker process (``isolate``); a large mining in the same
    server process then runs in parallel: both use the one process-wide pool."""
    sample = generate_sample(300, seed=4)
    purchases = sample.rename(columns={"CustomerID": "customer", "Product": "product"})
    coded = build_baskets(purchases.assign(basket=pd.NA))
    segments = pd.Series([i % 2 for i in range(len(coded))], index=coded.customers)
    params = RuleParams(0.05, 0.5, max_length=3)
    isolated = rules.mine_groups(coded, segments, params, n_jobs=1, isolate=True)
    parallel = rules.mine_groups(coded, segments, params, n_jobs=2)
    assert isolated.keys() == parallel.keys() == {ALL_CUSTOMERS, 0, 1}
    for group, found in isolated.items():
        assert found.rules == parallel[group].rules and len(found.rules) > 0
    assert len(rules.mine_groups(coded, segments, params, n_jobs=1, isolate=True)) == 3


def _isolated_mining_in_this_process(answers) -> None:
    """What a Celery worker's job does: warm the mining worker up, mine isolated."""
    sample = generate_sample(120, seed=4)
    purchases = sample.rename(columns={"CustomerID": "customer", "Product": "product"})
    coded = build_baskets(purchases.assign(basket=pd.NA))
    try:
        rules.start_mining_worker()
        found = rules.mine_groups(coded, params=RuleParams(0.05, 0.5), n_jobs=1, isolate=True)
        answers.put(len(found[ALL_CUSTOMERS].rules))
    except BaseException as error:
        answers.put(repr(error))


def test_a_daemonic_process_mines_where_it_is():
    """A Celery worker's prefork pool runs jobs in daemonic children, which may not start
    the mining worker: the job mines in its own process instead of failing."""
    context = multiprocessing.get_context("fork")
    answers = context.Queue()
    child = context.Process(target=_isolated_mining_in_this_process, args=(answers,), daemon=True)
    child.start()
    answer = answers.get(timeout=120)
    child.join(30)
    assert isinstance(answer, int) and answer > 0, answer


@settings(max_examples=40, deadline=None)
@given(baskets=basket_lists, limit=st.integers(1, 8), max_length=st.integers(2, 3))
def test_the_rule_limit_keeps_the_strongest_rules(baskets, limit, max_length):
    coded = build_baskets(baskets_frame(baskets))
    params = RuleParams(0.05, 0.0, max_length=max_length, max_rules=limit)
    with any_group_size():
        found = rules.mine_groups(coded, params=params)[ALL_CUSTOMERS]
    everything = brute_force_rules(baskets, 0.05, 0.0, max_length)
    names = coded.products.tolist()
    kept = {
        (tuple(names[i] for i in lhs), tuple(names[i] for i in rhs)): tuple(counts)
        for lhs, rhs, *counts in found.rules
    }
    n = len(baskets)

    def strength(rule):
        full, left, right = everything[rule]
        return (Fraction(full, left), Fraction(full * n, left * right), full)

    assert len(kept) == min(limit, len(everything))
    assert found.left_out == len(everything) - len(kept)
    assert all(everything[rule] == counts for rule, counts in kept.items())
    left_out = set(everything) - set(kept)
    if kept and left_out:
        assert min(map(strength, kept)) >= max(map(strength, left_out))


def test_the_rule_limit_bounds_memory_while_rules_are_generated():
    """21 identical baskets of 40 products make 61 thousand rules of confidence 1."""
    baskets = [{f"item{i:02d}" for i in range(40)}] * 21 + [{"tea"}]
    coded = build_baskets(baskets_frame(baskets))
    peaks, found = {}, {}
    for limit in (None, 1_000):
        tracemalloc.start()
        found[limit] = mining.mine_coded(coded.codes, coded.offsets, 0.05, 0.5, 3, max_rules=limit)
        peaks[limit] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    everything = len(found[None].rules)
    assert everything == 40 * 39 + 40 * 39 * 38  # pairs both ways, triples three ways twice
    assert len(found[1_000].rules) == 1_000 and found[1_000].left_out == everything - 1_000
    assert peaks[1_000] < peaks[None] / 2


def test_groups_of_fewer_than_twenty_baskets_are_not_mined():
    """3 identical baskets of 100 products and 2 short ones: 980,100 coincidental rules
    before, now a sentence."""
    baskets = [{f"item{i:03d}" for i in range(100)}] * 3 + [{"tea"}, {"jam", "tea"}]
    coded = build_baskets(baskets_frame(baskets))
    assert "only 5 baskets, and rules need at least 20" in mining.no_rules_reason(coded)
    assert rules.mine_groups(coded)[ALL_CUSTOMERS] == mining.GroupRules(5, [])


def test_mining_in_a_worker_process_finds_the_same_rules_and_stops_on_cancel(tmp_path, monkeypatch):
    baskets = [{"bread", "milk", "tea"}, {"bread", "milk"}, {"milk", "tea"}, {"jam"}] * 10
    coded = build_baskets(baskets_frame(baskets))
    params = RuleParams(0.1, 0.3, max_length=3)
    assert rules.mine_groups(coded, params=params, isolate=True) == rules.mine_groups(
        coded, params=params
    )
    (tmp_path / "stop").touch()  # the worker runs mine_coded with a StopFile as its tick
    with pytest.raises(mining.Stopped):
        mining.mine_coded(
            coded.codes, coded.offsets, 0.1, 0.3, 3, tick=mining.StopFile(str(tmp_path / "stop"))
        )

    def cancel():
        raise KeyboardInterrupt  # Cancel raises in the reporting thread

    monkeypatch.setattr(rules.tempfile, "gettempdir", lambda: str(tmp_path / "flags"))
    (tmp_path / "flags").mkdir()
    # 209 thousand rules: about a second of work, so the parent ticks (and cancels) while
    # the worker mines.
    big = build_baskets(baskets_frame([{f"item{i:02d}" for i in range(60)}] * 21))
    with pytest.raises(KeyboardInterrupt):
        rules.mine_in_a_process((big.codes, big.offsets, 0.05, 0.5, 3), {}, cancel)
    assert len(list((tmp_path / "flags").iterdir())) == 1  # the worker is told to stop
    deadline = time.monotonic() + 60
    while list((tmp_path / "flags").iterdir()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not list((tmp_path / "flags").iterdir())  # it stopped, and the flag is gone
