"""Who a rule covers, through the Rules page's callbacks: select a row, count, list, CSV."""

import io

import pandas as pd
import pytest

from basket_segments import ids
from basket_segments.callbacks import customers, rule_cover, rules
from basket_segments.layouts import rule_cover as layout
from basket_segments.store import storage
from tests.callbacks_support import logged_in_as, rules_answer, rules_view, with_props
from tests.test_callbacks import RICH_TABLE, SETTINGS

pytestmark = pytest.mark.usefixtures("engine_only_in_jobs")

THRESHOLDS = (0.05, 0.3, 0.0, 3)
PREFIX = "/analytics/"


@pytest.fixture
def user(app):
    with logged_in_as(app) as user:
        yield user


def shown_rules(dataset, segment=-1, sides=None):
    """The view and the grid's rows of a Rules view of ``dataset``."""
    rules_view(THRESHOLDS, "customer", False, None, "any", segment, SETTINGS, dataset)
    answer, _ = rules_answer(THRESHOLDS, "customer", dataset)
    (view, _grid), _ = with_props(rules.show_view, answer, False, sides or {}, segment)
    block, _drawn = with_props(rules.rules_rows, {"startRow": 0, "endRow": 500}, view)
    return view, block["rowData"]


def customers_holding(table: str, items: list[str], among=None) -> list[str]:
    """Plain pandas on the uploaded file: the customers who bought every one of ``items``."""
    frame = pd.read_csv(io.StringIO(table), dtype=str)
    if among is not None:
        frame = frame[frame["CustomerID"].isin(among)]
    held = frame[frame["Product"].isin(items)].groupby("CustomerID")["Product"].nunique()
    return sorted(held[held == len(set(items))].index)


def test_selecting_a_rule_lists_as_many_customers_as_its_support_count(user):
    dataset = storage.save_upload(user.get_id(), "rich.csv", RICH_TABLE.encode()).id
    view, rows = shown_rules(dataset)
    assert len(rows) > 5
    for row in rows[:: max(1, len(rows) // 5)]:
        (cover, _grid, caption, hidden), _ = with_props(rule_cover.select_rule, [[row]], view)
        assert hidden is False
        items = cover["antecedent"] + cover["consequent"]
        wanted = customers_holding(RICH_TABLE, items)
        assert len(wanted) == row["count"] == cover["count"]
        assert caption.startswith(f"{len(wanted):,} customer")
        assert f"support count: {row['count']:,}" in caption
        block, drawn = with_props(
            rule_cover.covered_rows, {"startRow": 0, "endRow": 500}, cover, PREFIX
        )
        links = [r["customer"] for r in block["rowData"]]
        assert links == [layout.customer_link(c, PREFIX) for c in wanted]
        assert block["rowCount"] == len(wanted)
        assert drawn[ids.DOWNLOAD_COVERED]["href"]
        download = rule_cover.covered_download(user.get_id(), {"cover": cover})
        assert download["customer"].tolist() == wanted
        assert (download["baskets"] == 1).all()


def test_a_segments_rule_covers_that_segments_customers_only(user):
    dataset = storage.save_upload(user.get_id(), "rich.csv", RICH_TABLE.encode()).id
    view, rows = shown_rules(dataset, segment=0)
    assert rows
    (cover, _grid, _caption, _hidden), _ = with_props(rule_cover.select_rule, [[rows[0]]], view)
    from basket_segments.store import results

    query = rules.answered_query(view["answer"])
    labels = results.segments(user.get_id(), dataset, query.segments).segments.labels
    members = set(labels.index[labels == 0])
    wanted = customers_holding(RICH_TABLE, cover["antecedent"] + cover["consequent"], members)
    table = rule_cover.covered_table(user.get_id(), cover)
    assert table["customer"].tolist() == wanted and len(wanted) == rows[0]["count"]


def test_no_selection_or_a_rule_not_shown_says_what_to_do(user):
    dataset = storage.save_upload(user.get_id(), "rich.csv", RICH_TABLE.encode()).id
    view, rows = shown_rules(dataset)
    nothing, _ = with_props(rule_cover.select_rule, [[]], view)
    assert nothing == (None, None, layout.SELECT_A_RULE, True)
    forged = {**rows[0], "antecedent": "caviar"}
    (cover, _grid, caption, _hidden), _ = with_props(rule_cover.select_rule, [[forged]], view)
    assert cover is None and "not among the rules shown" in caption
    damaged = {"answer": view["answer"], "antecedent": ["a"] * 9, "consequent": ["b"]}
    assert with_props(rule_cover.covered_rows, {}, damaged, PREFIX)[0]["rowCount"] == 0


def test_a_basket_files_rule_counts_baskets_and_says_customers_do_not_apply(user):
    lines = "".join(
        f"{basket},{product}\n"
        for basket in range(80)
        for product in ["bread", "milk", "tea", "jam"][basket % 3 :][:3]
    )
    table = "Basket,Product\n" + lines
    dataset = storage.save_upload(user.get_id(), "baskets.csv", table.encode()).id
    rules_view(THRESHOLDS, "customer", False, None, "any", -1, None, dataset)
    answer, _ = rules_answer(THRESHOLDS, "customer", dataset)
    (view, _grid), _ = with_props(rules.show_view, answer, False, {}, -1)
    rows = with_props(rules.rules_rows, {"startRow": 0, "endRow": 100}, view)[0]["rowData"]
    (_cover, grid, caption, hidden), _ = with_props(rule_cover.select_rule, [[rows[0]]], view)
    assert grid is None and hidden is True
    assert caption.startswith(f"{rows[0]['count']:,} baskets hold both")
    assert "Customers do not apply" in caption


def test_a_link_to_a_customer_looks_them_up():
    assert customers.customer_from_address(0, "?customer=c%2001") == ("c 01", 1)
