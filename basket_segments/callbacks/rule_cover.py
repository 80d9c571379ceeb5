"""Who a rule covers: selecting a rule in the rules grid counts the baskets holding both
its sides and lists their customers, each a link to the Customers page.

The selected row is looked up among the view's stored rules (``view_rules``), so
only a rule the grid lists is covered, with the count it was mined with; its
baskets are found again from the stored purchases (``analytics.rule_cover``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dash import ALL, MATCH, Dash, Input, Output, State, set_props

from basket_segments import ids
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.rule_filters import view_rules
from basket_segments.analytics.stages import ALL_CUSTOMERS
from basket_segments.callbacks.common import download_link
from basket_segments.callbacks.grid_rows import filtered, rows_block, sorted_rows
from basket_segments.callbacks.rules import RULES, answered_query
from basket_segments.layouts import rule_cover as layout
from basket_segments.layouts.common import DOWNLOAD_WAITING
from basket_segments.queries import MAX_RULE_LENGTH, rule_filter, texts, whole_number
from basket_segments.store import results
from basket_segments.store.owner import current_owner
from basket_segments.web import downloads

if TYPE_CHECKING:
    import pandas as pd

#: The download of the selected rule's customers, as the grid lists them.
COVERED_FILE = "rule_customers.csv"
DAMAGED = "That selection is damaged; select the rule again."
NO_ROWS = {"rowData": [], "rowCount": 0}


def select_rule(selected, view):
    """The selected rule's view of its customers, a new grid for them, a sentence with
    the count, and whether the grid stays hidden (nothing selected, or a basket file's
    rule: its baskets have no customers to list)."""
    row = _selected_row(selected)
    first_words = layout.SELECT_A_RULE if _segmented(view) else layout.SELECT_A_BASKET_RULE
    if row is None or not isinstance(view, dict) or RULES.answered(view.get("answer")) is None:
        return None, None, first_words, True
    try:
        rule = _listed_rule(current_owner(), view, row)
        cover = {"answer": view["answer"], "segment": view.get("segment"), **rule}
        baskets = covered_baskets(current_owner(), cover)
    except DataError as error:
        return None, None, str(error), True
    customers = baskets["customer"].notna().any()
    grid = layout.cover_grid(ids.view_token(cover)) if customers else None
    return cover, grid, cover_sentence(baskets, rule), not customers


def _selected_row(selected: Any) -> dict | None:
    """The one selected row of the rules grid (``selectedRows`` of every rules grid on
    the page, as the pattern-matching input sends them)."""
    grids = selected if isinstance(selected, list) else []
    rows = [row for rows in grids if isinstance(rows, list) for row in rows]
    row = rows[0] if rows else None
    return row if isinstance(row, dict) else None


def _segmented(view: Any) -> bool:
    answer = view.get("answer") if isinstance(view, dict) else None
    result = answer.get("result") if isinstance(answer, dict) else None
    return not isinstance(result, dict) or result.get("segments") is not None


def _listed_rule(owner: str, view: dict, row: dict) -> dict:
    """The sides and support count of the view's rule whose sides the row shows."""
    query = answered_query(view["answer"])
    mined = results.mining(owner, query, only_cached=True)
    shown = view_rules(mined.rules, rule_filter(view, query))
    left = shown["antecedent"].map(", ".join).to_numpy() == row.get("antecedent")
    right = shown["consequent"].map(", ".join).to_numpy() == row.get("consequent")
    found = shown[left & right]
    if found.empty:
        raise DataError("That rule is not among the rules shown; select one in the table.")
    rule = found.iloc[0]
    return {
        "antecedent": list(rule["antecedent"]),
        "consequent": list(rule["consequent"]),
        "count": int(rule["count"]),
    }


def covered_baskets(owner: str, cover: Any) -> pd.DataFrame:
    """The baskets holding both sides of the covered rule, in its view's segment, from the
    stored purchases; a ``DataError`` for a cover that is not one."""
    from basket_segments.analytics.rule_cover import covering_baskets

    if not isinstance(cover, dict) or RULES.answered(cover.get("answer")) is None:
        raise DataError(DAMAGED)
    items = texts(cover.get("antecedent")) + texts(cover.get("consequent"))
    if not 2 <= len(items) <= MAX_RULE_LENGTH:
        raise DataError(DAMAGED)
    query = answered_query(cover["answer"])
    data = results.prepared(owner, query.dataset)
    segment = whole_number(cover.get("segment"))
    customers = None
    if segment not in (None, ALL_CUSTOMERS) and query.segments is not None:
        found = results.segments(owner, query.dataset, query.segments, only_cached=True)
        if found is None:
            raise DataError(results.NOT_SEGMENTED)
        labels = found.segments.labels
        customers = labels.index[labels.to_numpy() == segment]
    return covering_baskets(data.purchases, items, query.basket, customers)


def cover_sentence(baskets: pd.DataFrame, rule: dict) -> str:
    """How many baskets (and customers) hold both sides, beside the rule's support count.

    >>> import pandas as pd
    >>> rule = {"antecedent": ["tea"], "consequent": ["jam"], "count": 2}
    >>> cover_sentence(pd.DataFrame({"customer": ["a", "b"], "basket": [None, None]}), rule)
    "2 customers bought both tea and jam (the rule's support count: 2 baskets)."
    >>> cover_sentence(pd.DataFrame({"customer": ["a", "a"], "basket": ["1", "2"]}), rule)
    "1 customer bought both tea and jam, in 2 invoices (the rule's support count: 2 baskets)."
    """
    items = " and ".join([", ".join(rule["antecedent"]), ", ".join(rule["consequent"])])
    count = f"the rule's support count: {rule['count']:,} basket{'s' * (rule['count'] != 1)}"
    customers = baskets["customer"].dropna()
    if customers.empty and len(baskets):  # a basket file
        return (
            f"{len(baskets):,} baskets hold both {items} ({count}). Customers do not apply: "
            "this file's baskets belong to no customer."
        )
    people = customers.nunique()
    who = f"{people:,} customer{'s' * (people != 1)} bought both {items}"
    if baskets["basket"].notna().any():  # a basket is an invoice
        return f"{who}, in {len(baskets):,} invoices ({count})."
    return f"{who} ({count})."


def covered_table(owner: str, cover: Any) -> pd.DataFrame:
    """The covered rule's customers with their number of covered baskets."""
    from basket_segments.analytics.rule_cover import covered_customers

    return covered_customers(covered_baskets(owner, cover))


def covered_rows(grid_request, cover, prefix: str):
    """One block of the covered customers' grid, each customer a link to the Customers
    page; the first block points the download at exactly these rows in this order."""
    try:
        table = covered_table(current_owner(), cover)
    except DataError:
        return NO_ROWS  # answered all the same: a request left waiting jams the grid's loader
    asked = grid_request if isinstance(grid_request, dict) else {}
    if not asked.get("startRow"):
        grid = {key: asked.get(key) for key in ("sortModel", "filterModel")}
        href, look = download_link(prefix, COVERED_FILE, {"request": {"cover": cover, **grid}})
        set_props(ids.DOWNLOAD_COVERED, {"href": href, "className": look})
    block = rows_block(table, grid_request)
    for row in block["rowData"]:
        row["customer"] = layout.customer_link(str(row["customer"]), prefix)
    return block


def covered_download(owner: str, asked: dict) -> pd.DataFrame:
    """ "Download these customers": exactly the rows the grid lists, in its order."""
    table = filtered(covered_table(owner, asked.get("cover")), asked.get("filterModel"))
    return sorted_rows(table, asked.get("sortModel"))


def register(app: Dash) -> None:
    downloads.add_table(COVERED_FILE, covered_download)
    app.callback(
        Output(ids.COVER_VIEW, "data"),
        Output(ids.COVER_TABLE, "children"),
        Output(ids.COVER_CAPTION, "children"),
        Output(ids.COVER_BOX, "hidden"),
        Input(ids.rules_grid(ALL), "selectedRows"),
        State(ids.RULES_VIEW, "data"),
        prevent_initial_call=True,
    )(select_rule)
    prefix = app.config.url_base_pathname
    app.callback(
        Output(ids.cover_grid(MATCH), "getRowsResponse"),
        Input(ids.cover_grid(MATCH), "getRowsRequest"),
        State(ids.COVER_VIEW, "data"),
        prevent_initial_call=True,
    )(lambda grid_request, cover: covered_rows(grid_request, cover, prefix))
    app.callback(
        Output(ids.DOWNLOAD_COVERED, "href"),
        Output(ids.DOWNLOAD_COVERED, "className"),
        Input(ids.COVER_VIEW, "data"),
    )(lambda _cover: (None, DOWNLOAD_WAITING))  # until the new grid's rows are there
