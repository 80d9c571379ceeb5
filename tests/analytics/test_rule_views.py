"""The grouped matrix, the item graph (``rule_graph``) and the rules a click on them
selects, against brute-force computations over small random rule tables."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pandas as pd
import pytest

from basket_segments.analytics.rule_graph import (
    MAX_GRAPH_RULES,
    force_layout,
    graph_rules,
    graph_size,
    item_graph,
    laid_out,
)
from basket_segments.analytics.rule_views import (
    Selection,
    antecedent_groups,
    grouped_matrix,
    selected_rules,
)

PRODUCTS = ["bread", "milk", "tea", "jam", "eggs", "rice", "salt", "figs", "oil"]


def random_rules(seed: int, count: int = 60) -> pd.DataFrame:
    """Rules as the stored table holds them: sides as sorted tuples, lift and support."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        items = rng.sample(PRODUCTS, rng.choice([2, 2, 3]))
        rows.append(
            {
                "antecedent": tuple(sorted(items[:-1])),
                "consequent": (items[-1],),
                "lift": round(rng.uniform(0.8, 4.0), 1),  # ties happen
                "support": round(rng.uniform(0.01, 0.3), 2),
                "confidence": rng.uniform(0.3, 1.0),
            }
        )
    return pd.DataFrame(rows).drop_duplicates(["antecedent", "consequent"]).reset_index(drop=True)


def brute_groups(rules: pd.DataFrame) -> list[str]:
    """Each rule's group, item by item in plain Python."""
    lifts, weights = {}, {}
    for left, lift, support in zip(
        rules["antecedent"], rules["lift"], rules["support"], strict=True
    ):
        for item in left:
            lifts.setdefault(item, []).append(lift)
            weights[item] = weights.get(item, 0) + support
    score = {item: sum(values) / len(values) for item, values in lifts.items()}
    return [min(left, key=lambda i: (-score[i], -weights[i], i)) for left in rules["antecedent"]]


@pytest.mark.parametrize("seed", range(5))
def test_each_antecedent_joins_its_item_of_highest_mean_lift(seed):
    rules = random_rules(seed)
    assert antecedent_groups(rules).tolist() == brute_groups(rules)


@pytest.mark.parametrize("seed", range(5))
def test_the_matrix_cells_aggregate_exactly_their_rules(seed):
    rules = random_rules(seed)
    found = grouped_matrix(rules, max_groups=4, max_consequents=3)
    groups = brute_groups(rules)
    mean_lift = pd.Series(rules["lift"].values, index=groups).groupby(level=0).mean()
    expected_groups = sorted(mean_lift.index, key=lambda g: (-mean_lift[g], g))[:4]
    assert found.groups == [g for g in expected_groups if g in set(found.cells["group"])]
    assert set(found.cells["group"]) == set(found.groups)
    assert found.all_groups == len(set(groups))
    assert found.all_consequents == rules["consequent"].nunique()
    assert len(found.consequents) <= 3
    for cell in found.cells.itertuples():
        members = [
            i
            for i, group in enumerate(groups)
            if group == cell.group and rules.at[i, "consequent"] == cell.right
        ]
        assert cell.rules == len(members) > 0
        assert cell.lift == pytest.approx(rules.loc[members, "lift"].mean())
        assert cell.support == pytest.approx(rules.loc[members, "support"].mean())
        assert cell.antecedents == len(set(rules.loc[members, "antecedent"]))
        selected = selected_rules(rules, Selection("cell", (cell.group,), cell.right))
        assert selected.index.tolist() == members


def test_an_empty_table_gives_an_empty_matrix_and_graph():
    empty = random_rules(0).iloc[:0]
    assert grouped_matrix(empty).cells.empty
    graph = item_graph(empty)
    assert graph.rules.empty and graph.items.empty and graph.all_rules == 0
    assert selected_rules(empty, Selection("item", ("tea",))).empty
    with pytest.raises(ValueError, match="max_groups"):
        grouped_matrix(empty, max_groups=0)


@pytest.mark.parametrize("seed", range(3))
def test_the_graph_draws_the_top_rules_by_lift_and_their_items(seed):
    rules = random_rules(seed)
    drawn = item_graph(rules, 12)
    ranked = sorted(
        range(len(rules)), key=lambda i: (-rules.at[i, "lift"], -rules.at[i, "support"], i)
    )
    assert graph_rules(rules, 12).index.tolist() == ranked[:12]
    top = rules.loc[ranked[:12]]
    items = {item for side in [*top["antecedent"], *top["consequent"]] for item in side}
    assert set(drawn.items["item"]) == items
    for row in drawn.items.itertuples():
        holding = sum(
            row.item in a + c for a, c in zip(top["antecedent"], top["consequent"], strict=True)
        )
        assert row.rules == holding
    positions = drawn.items[["x", "y"]].to_numpy()
    assert positions.min() >= 0 and positions.max() <= 1
    again = item_graph(rules, 12)  # no randomness: the same picture every time
    assert again.items.equals(drawn.items) and again.rules.equals(drawn.rules)
    item = drawn.items["item"].iat[0]
    picked = selected_rules(rules, Selection("item", (item,), top=12))
    expected = [
        i for i in ranked[:12] if item in rules.at[i, "antecedent"] + rules.at[i, "consequent"]
    ]
    assert picked.index.tolist() == sorted(expected)


def test_a_rule_selection_picks_exactly_that_rule():
    rules = random_rules(3)
    for i in (0, 5, len(rules) - 1):
        left, right = rules.at[i, "antecedent"], rules.at[i, "consequent"]
        assert selected_rules(rules, Selection("rule", left, right)).index.tolist() == [i]
    assert selected_rules(rules, Selection("rule", ("caviar",), ("tea",))).empty
    assert selected_rules(rules, None) is rules


@pytest.mark.parametrize(
    "forged",
    [
        None,
        "cell",
        {"kind": "drop table"},
        {"kind": "cell", "left": ["tea"]},
        {"kind": "rule", "left": "tea", "right": ["jam"]},
        {"kind": "item", "left": [3]},
        {"kind": "item", "left": []},
    ],
)
def test_a_forged_selection_is_refused(forged):
    with pytest.raises(ValueError, match="selection"):
        Selection.from_json(forged)


def test_graph_size_stays_within_bounds():
    assert [graph_size(v) for v in (0, 7, 7.6, 10**9, True, "9", float("nan"))] == [
        5,
        7,
        7,
        MAX_GRAPH_RULES,
        20,
        20,
        20,
    ]


def test_the_layout_pulls_linked_nodes_together():
    """Two cliques joined by one edge: nodes of one clique sit nearer each other."""
    edges = [*itertools.combinations(range(5), 2), *itertools.combinations(range(5, 10), 2)]
    placed = force_layout(10, [*edges, (4, 5)])
    inside = np.mean([np.linalg.norm(placed[a] - placed[b]) for a, b in edges])
    across = np.mean(
        [np.linalg.norm(placed[a] - placed[b]) for a in range(5) for b in range(5, 10)]
    )
    assert inside < across / 2


def textbook_layout(nodes: int, edges: list[tuple[int, int]], steps: int = 50) -> np.ndarray:
    """Fruchterman-Reingold as written down, x and y apart: repulsion ideal²/d between
    every two nodes, attraction d²/ideal along each edge, moves capped by a cooling
    temperature."""
    angles = 2 * np.pi * np.arange(nodes) / nodes
    position = np.column_stack([np.cos(angles), np.sin(angles)]) * 0.5
    ideal, temperature = 1.0 / np.sqrt(nodes), 0.1
    for _ in range(steps):
        move = np.zeros((nodes, 2))
        for i in range(nodes):
            for j in range(nodes):
                delta = position[i] - position[j]
                distance = max(np.hypot(*delta), 1e-3)
                move[i] += delta * ideal**2 / distance**2
        for a, b in edges:
            delta = position[a] - position[b]
            distance = max(np.hypot(*delta), 1e-3)
            move[a] -= delta * distance / ideal
            move[b] += delta * distance / ideal
        length = np.maximum(np.linalg.norm(move, axis=1), 1e-9)
        position = position + move / length[:, None] * np.minimum(length, temperature)[:, None]
        temperature *= 0.93
    low, high = position.min(axis=0), position.max(axis=0)
    return (position - low) / np.where(high - low > 0, high - low, 1)


@pytest.mark.parametrize("seed", range(3))
def test_the_layout_is_the_textbook_one(seed):
    rng = np.random.default_rng(seed)
    rules, items = 8, 12
    edges = [(items + r, int(i)) for r in range(rules) for i in rng.choice(items, 3, replace=False)]
    expected = textbook_layout(items + rules, edges, steps=20)
    assert np.allclose(force_layout(items + rules, edges, steps=20), expected, atol=1e-9)


def test_a_graph_drawn_again_is_laid_out_once_and_as_the_first_time():
    """A click on a view redraws its graph: the kept layout is the one a fresh layout
    gives, read-only (no caller can change what the next click draws), and another graph
    gets its own."""
    laid_out.cache_clear()
    rules = random_rules(7)
    first = item_graph(rules, 12)
    again = item_graph(rules, 12)
    assert (laid_out.cache_info().hits, laid_out.cache_info().misses) == (1, 1)
    laid_out.cache_clear()
    fresh = item_graph(rules, 12)
    for drawn in (first, again):
        pd.testing.assert_frame_equal(drawn.items, fresh.items)
        pd.testing.assert_frame_equal(drawn.rules, fresh.rules)
    edges = ((0, 1), (1, 2))
    assert np.array_equal(laid_out(3, edges), force_layout(3, list(edges)))
    with pytest.raises(ValueError, match="read-only"):
        laid_out(3, edges)[0, 0] = 5.0
    item_graph(random_rules(8), 12)
    assert laid_out.cache_info().misses == 3
