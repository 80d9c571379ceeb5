"""The server side of the rules grid: AG Grid's filter and sort models, one block at a time."""

import pandas as pd
import pytest

from basket_segments.callbacks.grid_rows import MAX_BLOCK, rows_block
from basket_segments.layouts.grids import Column, column_defs


@pytest.fixture
def rules():
    return pd.DataFrame(
        {
            "antecedent": ["bread", "Bread, butter", "milk", "jam", None],
            "consequent": ["milk", "milk", "tea", "bread", "tea"],
            "lift": [1.9, 2.5, 0.8, 1.2, float("nan")],
            "count": [40, 12, 30, 8, 5],
        }
    )


def block(frame, **request):
    return rows_block(frame, {"startRow": 0, "endRow": 100, **request})


def test_a_block_and_the_total(rules):
    answer = rows_block(rules, {"startRow": 1, "endRow": 3})
    assert [row["antecedent"] for row in answer["rowData"]] == ["Bread, butter", "milk"]
    assert answer["rowCount"] == 5
    assert answer["rowData"][0] == {
        "antecedent": "Bread, butter",
        "consequent": "milk",
        "lift": 2.5,
        "count": 12,
    }


def test_missing_numbers_travel_as_null(rules):
    assert block(rules)["rowData"][4]["lift"] is None


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"filterType": "text", "type": "contains", "filter": "BREAD"}, [0, 1]),
        ({"filterType": "text", "type": "notContains", "filter": "bread"}, [2, 3, 4]),
        ({"filterType": "text", "type": "equals", "filter": "milk"}, [2]),
        ({"filterType": "text", "type": "startsWith", "filter": "b"}, [0, 1]),
        ({"filterType": "text", "type": "endsWith", "filter": "butter"}, [1]),
        ({"filterType": "text", "type": "blank"}, [4]),
        ({"filterType": "text", "type": "notBlank"}, [0, 1, 2, 3]),
        (
            {
                "filterType": "text",
                "operator": "OR",
                "conditions": [
                    {"filterType": "text", "type": "equals", "filter": "jam"},
                    {"filterType": "text", "type": "equals", "filter": "milk"},
                ],
            },
            [2, 3],
        ),
    ],
)
def test_text_filters(rules, spec, expected):
    answer = block(rules, filterModel={"antecedent": spec})
    assert answer["rowCount"] == len(expected)
    assert [row["count"] for row in answer["rowData"]] == rules["count"][expected].tolist()


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"filterType": "number", "type": "greaterThan", "filter": 1.2}, [0, 1]),
        ({"filterType": "number", "type": "greaterThanOrEqual", "filter": 1.2}, [0, 1, 3]),
        ({"filterType": "number", "type": "lessThan", "filter": 1}, [2]),
        ({"filterType": "number", "type": "inRange", "filter": 1, "filterTo": 2}, [0, 3]),
        ({"filterType": "number", "type": "notEqual", "filter": 2.5}, [0, 2, 3, 4]),
        ({"filterType": "number", "type": "blank"}, [4]),
        (
            {
                "filterType": "number",
                "operator": "AND",
                "conditions": [
                    {"filterType": "number", "type": "greaterThan", "filter": 1},
                    {"filterType": "number", "type": "lessThan", "filter": 2},
                ],
            },
            [0, 3],
        ),
    ],
)
def test_number_filters(rules, spec, expected):
    answer = block(rules, filterModel={"lift": spec})
    assert [row["count"] for row in answer["rowData"]] == rules["count"][expected].tolist()


def test_filters_on_several_columns_all_apply(rules):
    model = {
        "consequent": {"filterType": "text", "type": "equals", "filter": "milk"},
        "count": {"filterType": "number", "type": "lessThan", "filter": 20},
    }
    assert [row["count"] for row in block(rules, filterModel=model)["rowData"]] == [12]


def test_sorting_by_several_columns_is_stable(rules):
    frame = pd.concat([rules, rules.assign(count=rules["count"] + 1)], ignore_index=True)
    sort = [{"colId": "consequent", "sort": "asc"}, {"colId": "lift", "sort": "desc"}]
    rows = block(frame, sortModel=sort)["rowData"]
    assert [row["consequent"] for row in rows][:4] == ["bread", "bread", "milk", "milk"]
    assert [row["count"] for row in rows][:6] == [8, 9, 12, 13, 40, 41]


@pytest.mark.parametrize(
    "request_",
    [
        {"filterModel": {"no such column": {"filterType": "text", "type": "equals", "filter": 1}}},
        {"filterModel": {"lift": {"filterType": "number", "type": "rm -rf", "filter": 1}}},
        {"filterModel": {"lift": {"filterType": "number", "type": "equals", "filter": "x"}}},
        {"filterModel": "not a model"},
        {"sortModel": [{"colId": "__class__", "sort": "asc"}, "junk"]},
        {"startRow": "0; drop", "endRow": None},
    ],
)
def test_what_the_browser_should_not_send_is_ignored(rules, request_):
    answer = rows_block(rules, request_)
    assert answer["rowCount"] == len(rules)
    assert len(answer["rowData"]) == len(rules)


def test_one_request_never_fetches_more_than_a_block():
    frame = pd.DataFrame({"n": range(MAX_BLOCK * 3)})
    answer = rows_block(frame, {"startRow": 10, "endRow": 10**9})
    assert len(answer["rowData"]) == MAX_BLOCK
    assert answer["rowData"][0] == {"n": 10}
    assert answer["rowCount"] == MAX_BLOCK * 3


def test_columns_align_text_left_and_numbers_right_formatted():
    text, number = column_defs(
        [Column("product", "Product", pinned=True), Column("lift", "lift", ".2f")]
    )
    assert text["filter"] == "agTextColumnFilter" and text["pinned"] == "left"
    assert "type" not in text  # left, the grid's default
    assert number["type"] == "rightAligned"
    assert number["filter"] == "agNumberColumnFilter"
    assert "d3.format('.2f')" in number["valueFormatter"]["function"]
