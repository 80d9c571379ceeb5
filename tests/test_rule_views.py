"""The Rules page's grouped matrix and item graph: drawn from the rules the grid lists,
and a click on a cell, a product or a rule lists exactly its rules in the grid (and in
the sentences and the download), checked against pandas computations of the grid's
own rows."""

from __future__ import annotations

import json
import random

import pytest
from dash.exceptions import PreventUpdate

from basket_segments import ids
from basket_segments.callbacks import rule_views, rules
from basket_segments.store import results, storage
from basket_segments.store.owner import current_owner
from tests.analytics.test_rule_views import brute_groups
from tests.callbacks_support import logged_in_as, rules_answer, text_of, with_props

#: No plain callback these tests drive may compute: only background jobs do.
pytestmark = pytest.mark.usefixtures("engine_only_in_jobs")

PRODUCTS = ["bread", "milk", "eggs", "rice", "soap", "salt", "oil", "figs"]
BASKETS = [random.Random(seed).sample(PRODUCTS, 2 + seed % 3) for seed in range(150)] + [
    ["tea", "jam", *random.Random(seed).sample(PRODUCTS, 1)] for seed in range(40)
]
EVERY_ROW = {"startRow": 0, "endRow": 1000}


@pytest.fixture
def answer(app):
    with logged_in_as(app) as user:
        content = "\n".join(",".join(basket) for basket in BASKETS).encode()
        dataset = storage.save_upload(user.get_id(), "baskets.txt", content).id
        found, _ = rules_answer((0.02, 0.3, 0.0, 3), "customer", dataset)
        yield found


def shown(view):
    """The grid's rows of a view and what its first block drew."""
    return with_props(rules.rules_rows, EVERY_ROW, view)


def click_on(figure, trace: int, point: int) -> dict:
    return {"points": [{"customdata": figure["data"][trace]["customdata"][point]}]}


def select(view, trigger: str, click):
    clicks = [click if trigger == ids.RULE_MATRIX else None]
    clicks.append(click if trigger == ids.RULE_GRAPH else None)
    triggered = [{"prop_id": f"{trigger}.clickData", "value": click}]
    (chosen, _grid), _ = with_props(
        rule_views.select_rules, *clicks, None, view, triggered_inputs=triggered
    )
    return chosen


def sides(rows) -> set[tuple[str, str]]:
    return {(row["antecedent"], row["consequent"]) for row in rows}


def as_tuples(rows):
    import pandas as pd

    frame = pd.DataFrame(rows)
    return frame.assign(
        antecedent=frame["antecedent"].str.split(", ").map(tuple),
        consequent=frame["consequent"].str.split(", ").map(tuple),
    )


def test_a_matrix_cell_click_lists_exactly_the_cells_rules(answer):
    (view, _grid), _ = with_props(rules.show_view, answer, False, None, -1)
    every, drawn = shown(view)
    matrix = drawn[ids.RULE_MATRIX]["figure"]
    assert drawn[ids.RULE_SELECTION]["hidden"] is True
    for figure in (matrix, drawn[ids.RULE_GRAPH]["figure"]):  # the template has their traces
        assert {t["type"] for t in figure["data"]} <= set(figure["layout"]["template"]["data"])
    assert "antecedent groups" in matrix["layout"]["title"]["text"]
    table = as_tuples(every["rowData"])
    table["group"] = brute_groups(table)
    cells = table.groupby(["group", "consequent"]).size()
    assert len(matrix["data"][0]["x"]) == len(cells)  # every cell (fewer than the caps)

    group, consequent = cells.sort_values(ascending=False, kind="stable").index[0]
    cell = {"kind": "cell", "left": [group], "right": list(consequent)}
    points = [json.loads(data) for data in matrix["data"][0]["customdata"]]
    biggest = next(
        i
        for i, point in enumerate(points)
        if point["left"] == cell["left"] and point["right"] == cell["right"]
    )
    click = click_on(matrix, 0, biggest)
    chosen = select(view, ids.RULE_MATRIX, click)
    picked, redrawn = shown(chosen)
    expected = table[
        (table["group"] == cell["left"][0]) & (table["consequent"] == tuple(cell["right"]))
    ]
    assert 0 < picked["rowCount"] == len(expected) < every["rowCount"]
    assert sides(picked["rowData"]) == {
        (", ".join(a), ", ".join(c))
        for a, c in zip(expected["antecedent"], expected["consequent"], strict=True)
    }
    chip = redrawn[ids.RULE_SELECTION_TEXT]["children"]
    named = f'the group "{cell["left"][0]}" -> {", ".join(cell["right"])}'
    assert chip == f"Showing {len(expected)} rules of {named}"
    assert redrawn[ids.RULE_SELECTION]["hidden"] is False
    sentences = redrawn[ids.RULE_SENTENCES]["children"].children
    assert sentences and len(text_of(drawn[ids.RULE_SENTENCES]["children"]).split(").")) > 2
    assert all(f"also hold {', '.join(cell['right'])} (" in text_of(s) for s in sentences)
    outlined = redrawn[ids.RULE_MATRIX]["figure"]["data"][0]["marker"]["line"]["width"]
    assert [w > 1 for w in outlined] == [i == biggest for i in range(len(outlined))]

    download = rules.shown_rules_table(current_owner(), {"view": chosen})
    assert len(download) == len(expected)

    cleared = with_props(
        rule_views.select_rules,
        click,
        None,
        1,
        chosen,
        triggered_inputs=[{"prop_id": f"{ids.RULE_SELECTION_CLEAR}.n_clicks", "value": 1}],
    )[0][0]
    assert "selection" not in cleared
    again, after = shown(cleared)
    assert again["rowCount"] == every["rowCount"] and after[ids.RULE_SELECTION]["hidden"] is True


def test_a_graph_product_click_lists_the_drawn_rules_that_hold_it(answer):
    (view, _grid), _ = with_props(rules.show_view, answer, False, None, -1, False, [], 8)
    every, drawn = shown(view)
    graph = drawn[ids.RULE_GRAPH]["figure"]
    rule_nodes, item_nodes = graph["data"][1], graph["data"][2]
    assert len(rule_nodes["x"]) == 8 and "of highest lift" in graph["layout"]["title"]["text"]
    table = as_tuples(every["rowData"])
    top = table.sort_values(["lift", "support"], ascending=False, kind="stable").head(8)
    assert sorted(rule_nodes["marker"]["color"]) == sorted(top["lift"])
    item = item_nodes["customdata"][0]
    name = json.loads(item)["left"][0]
    chosen = select(view, ids.RULE_GRAPH, {"points": [{"customdata": item}]})
    picked, redrawn = shown(chosen)
    holding = top[
        [name in a + c for a, c in zip(top["antecedent"], top["consequent"], strict=True)]
    ]
    assert 0 < picked["rowCount"] == len(holding)
    assert sides(picked["rowData"]) == {
        (", ".join(a), ", ".join(c))
        for a, c in zip(holding["antecedent"], holding["consequent"], strict=True)
    }
    assert f'of the graph\'s rules with "{name}"' in redrawn[ids.RULE_SELECTION_TEXT]["children"]

    one = select(view, ids.RULE_GRAPH, click_on(graph, 1, 0))
    rule, _ = shown(one)
    assert rule["rowCount"] == 1


def test_a_click_reads_nothing_and_a_forged_one_changes_nothing(answer, monkeypatch):
    (view, _grid), _ = with_props(rules.show_view, answer, False, None, -1)
    _every, drawn = shown(view)

    def no_storage(*_args, **_kwargs):
        raise AssertionError("a click read storage")

    monkeypatch.setattr(results, "mining", no_storage)
    monkeypatch.setattr(storage, "_record", no_storage)
    click = click_on(drawn[ids.RULE_MATRIX]["figure"], 0, 0)
    assert select(view, ids.RULE_MATRIX, click)["selection"]["kind"] == "cell"
    forged = [
        None,
        {"points": []},
        {"points": [{"customdata": "not json"}]},
        {"points": [{"customdata": json.dumps({"kind": "cell", "left": ["tea"]})}]},
        {"points": [{"customdata": 7}]},
    ]
    for click in forged:
        with pytest.raises(PreventUpdate):
            select(view, ids.RULE_MATRIX, click)
    with pytest.raises(PreventUpdate):
        select(None, ids.RULE_MATRIX, click_on(drawn[ids.RULE_MATRIX]["figure"], 0, 0))


def test_a_scatter_click_shows_that_rules_sentence_which_the_chart_does_not_carry(answer):
    from dash import no_update

    (view, _grid), _ = with_props(rules.show_view, answer, False, None, -1)
    every, drawn = shown(view)
    points = drawn[ids.RULES_SCATTER]["figure"]["data"][0]
    assert "text" not in points and len(points["customdata"]) == every["rowCount"] > 2
    for point in (0, 1, len(points["customdata"]) - 1):
        click = {"points": [{"customdata": points["customdata"][point]}]}
        sentence = rules.show_clicked_rule(click, view)
        row = every["rowData"][point]
        assert sentence.startswith("Baskets with ")  # a basket file's rules
        products = [*row["antecedent"].split(", "), *row["consequent"].split(", ")]
        assert all(product in sentence for product in products)
        assert f"{row['confidence']:.0%}" in sentence
    forged = [None, {"points": []}, *({"points": [{"customdata": c}]} for c in (-1, "0", True))]
    forged.append({"points": [{"customdata": len(points["customdata"])}]})  # past the view
    for click in forged:
        assert rules.show_clicked_rule(click, view) is no_update
    first = {"points": [{"customdata": 0}]}
    assert rules.show_clicked_rule(first, None) is no_update
    assert rules.show_clicked_rule(first, {**view, "answer": {"request": "forged"}}) is no_update


def test_no_rules_draw_empty_views_with_a_sentence(answer):
    caviar = {"include_either": ["caviar"]}  # a product no rule holds
    (view, _grid), _ = with_props(rules.show_view, answer, False, caviar, -1)
    every, drawn = shown(view)
    assert every["rowCount"] == 0
    assert drawn[ids.RULE_MATRIX]["figure"]["data"] == []
    assert drawn[ids.RULE_GRAPH_NOTE]["children"] == rule_views.NO_RULES
