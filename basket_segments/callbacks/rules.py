"""Rules page callbacks: the selected segment's rules, sentences, scatter, top products."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
from dash import MATCH, Dash, Input, Output, State, ctx, no_update

from basket_segments import figures, ids, results
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.recommend import recommend_for_segment
from basket_segments.analytics.rules import (
    ALL_CUSTOMERS,
    ALL_CUSTOMERS_NAME,
    RuleParams,
    filter_rules,
)
from basket_segments.analytics.stages import Mined
from basket_segments.auth import current_owner
from basket_segments.callbacks import long_work
from basket_segments.callbacks.common import NO_DATASET, download_link
from basket_segments.grid_rows import rows_block
from basket_segments.layouts import rules as layout
from basket_segments.layouts.common import message

#: Most rules drawn in the scatter; the grid pages through all of them.
MAX_SCATTER_RULES = 1000
#: Most products offered in the product filter: the most bought ones.
MAX_PRODUCT_CHOICES = 5_000
#: What a Rules request's rules depend on besides the segments (``results.rules_choice``).
RULE_CHOICE = ("support", "confidence", "lift", "length", "basket")
SHOWN, HIDDEN = {}, {"display": "none"}
NO_ROWS = {"rowData": [], "rowCount": 0}


def init_rules(_ready, active, settings, selected):
    """Segment choices, products to filter by, basket choices, for the open dataset."""
    if active is None:
        return [], None, [], [], message(NO_DATASET, "info")
    owner = current_owner()
    try:
        data = results.prepared(owner, active)
        params = results.chosen_segments(owner, active, settings)
        names = results.segments(owner, active, params).names if params else {}
    except DataError as error:
        return [], None, [], [], message(str(error))
    if not data.has_products:
        return [], None, [], [], message(results.NO_PRODUCTS, "info")
    segments = [{"label": ALL_CUSTOMERS_NAME, "value": ALL_CUSTOMERS}] + [
        {"label": name, "value": segment} for segment, name in names.items()
    ]
    value = selected if selected in names else ALL_CUSTOMERS
    products = product_choices(data.purchases["product"])
    baskets = [
        {"label": "a customer", "value": "customer"},
        {"label": "an invoice", "value": "invoice", "disabled": not data.has_invoices},
    ]
    return segments, value, products, baskets, None


def product_choices(products: pd.Series) -> list[str]:
    """The product filter's choices: every product, or the most bought ones when there
    are more than ``MAX_PRODUCT_CHOICES`` (a million names would freeze the browser).

    >>> product_choices(pd.Series(["tea", "jam", "tea", None]))
    ['jam', 'tea']
    """
    counts = products.value_counts(sort=False).sort_index()
    if len(counts) > MAX_PRODUCT_CHOICES:
        counts = counts.sort_values(ascending=False, kind="stable").head(MAX_PRODUCT_CHOICES)
    return sorted(counts.index.tolist())


def choose_segment(value):
    """Picking a segment here selects it everywhere (None means all customers)."""
    return None if value in (None, ALL_CUSTOMERS) else value


def rules_ready(owner: str, request: dict) -> bool | None:
    """Whether the rules and top products asked for are stored (None: no dataset open)."""
    if request["dataset"] is None:
        return None
    return results.mining_ready(owner, request["dataset"], *results.rules_choice(owner, request))


def mine(owner: str, request: dict, report) -> None:
    """Mine and store the rules and top products asked for (in a background job)."""
    results.mining(owner, request["dataset"], *results.rules_choice(owner, request), report=report)


RULES = long_work.LongWork(
    ids=ids.RULES_WORK,
    message=ids.RULES_MESSAGE,
    request={
        "settings": State(ids.SEGMENT_SETTINGS, "data"),
        "dataset": State(ids.ACTIVE_DATASET, "data"),
        "support": Input(ids.MIN_SUPPORT, "value"),
        "confidence": Input(ids.MIN_CONFIDENCE, "value"),
        "lift": Input(ids.MIN_LIFT, "value"),
        "length": Input(ids.MAX_LENGTH, "value"),
        "basket": Input(ids.BASKET_CHOICE, "value"),
    },
    # The page's controls are filled first (init_rules), then the rules are asked for.
    triggers=[Input(ids.RULES_SEGMENT, "options")],
    ready=rules_ready,
    compute=mine,
)


def _mined_for(request: dict) -> tuple[Mined, RuleParams]:
    """The stored mining a request is answered from, and the thresholds it asks for."""
    owner = current_owner()
    params, wanted, basket = results.rules_choice(owner, request)
    return results.mining(owner, request["dataset"], params, wanted, basket), wanted


def filter_table(rules, segment, hide_redundant, product, side):
    """The rules of one segment, optionally without redundant ones or about one product."""
    shown = rules[rules["segment"] == (ALL_CUSTOMERS if segment is None else segment)]
    if hide_redundant:
        shown = shown[~shown["redundant"].astype(bool)]
    if product:
        sides = ["antecedent", "consequent"] if side == "any" else [side]
        mask = False
        for column in sides:
            mask = mask | shown[column].map(lambda items, p=product: p in items)
        shown = shown[mask]
    return shown


def update_rules(answer, hide, product, side, segment):
    """Sentences and scatter for the selected segment at the asked thresholds, and the
    view the rules grid then asks its rows of (``rules_rows``)."""
    request = long_work.answered(answer)
    if segment is None or request is None:
        return None, [], layout.sentences([]), go.Figure(), HIDDEN, no_update  # old rules go
    try:
        shown, notes = _shown_rules(answer, hide, product, side, segment)
    except DataError as error:
        return None, [], layout.sentences([]), go.Figure(), HIDDEN, message(str(error))
    top = recommend_for_segment(shown, segment, top=5)
    drawn = shown.head(MAX_SCATTER_RULES)
    if len(shown) > MAX_SCATTER_RULES:
        notes.append(
            f"The chart shows the first {MAX_SCATTER_RULES:,} of {len(shown):,} rules; the "
            "table pages through them all, and the CSV has them too."
        )
    view = {"answer": answer, "hide": hide, "product": product, "side": side, "segment": segment}
    segmented = results.rules_choice(current_owner(), request)[0] is not None
    return (
        view,
        layout.rules_grid(ids.view_token(view), segmented),
        layout.sentences(top),
        figures.rules_scatter(drawn),
        SHOWN if len(shown) else HIDDEN,  # no rules: the sentence says so, no empty chart
        message(" ".join(notes), "info") if notes else None,
    )


def rules_rows(grid_request, view):
    """One block of the rules grid: the view's rules after the grid's own column filters
    and sort order (AG Grid's infinite row model asks as the user pages)."""
    if not view or long_work.answered(view.get("answer")) is None:
        return NO_ROWS  # answered all the same: a request left waiting jams the grid's loader
    try:
        shown, _ = _shown_rules(
            view["answer"], view["hide"], view["product"], view["side"], view["segment"]
        )
    except DataError:
        return NO_ROWS
    table = shown.assign(
        antecedent=shown["antecedent"].map(", ".join),
        consequent=shown["consequent"].map(", ".join),
    )
    columns = [column.field for column in layout.RULE_TABLE_COLUMNS]
    return rows_block(table[columns].reset_index(drop=True), grid_request)


def _shown_rules(answer, hide, product, side, segment) -> tuple[pd.DataFrame, list[str]]:
    """The rules a view shows, in the table's order, and the mining's notes."""
    mined, wanted = _mined_for(long_work.answered(answer))
    rules = filter_rules(mined.rules, wanted)
    shown = filter_table(rules, segment, hide, product, side).reset_index(drop=True)
    return shown, list(mined.notes)


def show_clicked_rule(click):
    """The clicked rule's sentence, as text (the chart carries it escaped for Plotly)."""
    if not click or not click.get("points"):
        return no_update
    return html.unescape(str(click["points"][0].get("text", "")))


def update_products(segment, answer):
    """Bars of the segment's top products and of everyone's (counted by the mining job)."""
    request = long_work.answered(answer)
    if segment is None or request is None:
        return go.Figure(), go.Figure(), HIDDEN
    try:
        products = _mined_for(request)[0].products
    except DataError:
        return go.Figure(), go.Figure(), HIDDEN
    shown = figures.products_bar(products, segment)
    everyone = HIDDEN if segment == ALL_CUSTOMERS else SHOWN  # else the same chart twice
    if set(ctx.triggered_prop_ids) == {f"{ids.RULES_SEGMENT}.value"}:
        return shown, no_update, everyone  # picking a segment leaves everyone's as drawn
    return shown, figures.products_bar(products, ALL_CUSTOMERS), everyone


def remember_choice(answer):
    """The thresholds and basket the Rules page shows, for the Customers page's
    recommendations (its rules are these, not the defaults)."""
    request = long_work.answered(answer)
    if request is None:
        return no_update
    return {key: request[key] for key in ("dataset", *RULE_CHOICE)}


def download_links(prefix: str, answer: dict | None) -> tuple:
    """Addresses and looks of the rules and the top products downloads."""
    return (
        *download_link(prefix, "rules.csv", answer),
        *download_link(prefix, "top_products.csv", answer),
    )


def register(app: Dash) -> None:
    app.callback(
        Output(ids.RULES_SEGMENT, "options"),
        Output(ids.RULES_SEGMENT, "value"),
        Output(ids.PRODUCT_FILTER, "options"),
        Output(ids.BASKET_CHOICE, "options"),
        Output(ids.RULES_MESSAGE, "children"),
        Input(ids.RULES_READY, "data"),
        State(ids.ACTIVE_DATASET, "data"),
        State(ids.SEGMENT_SETTINGS, "data"),
        State(ids.SELECTED_SEGMENT, "data"),
    )(init_rules)
    app.callback(
        Output(ids.SELECTED_SEGMENT, "data", allow_duplicate=True),
        Input(ids.RULES_SEGMENT, "value"),
        prevent_initial_call=True,
    )(choose_segment)
    long_work.register(app, RULES)
    app.callback(
        Output(ids.RULES_VIEW, "data"),
        Output(ids.RULES_TABLE, "children"),
        Output(ids.RULE_SENTENCES, "children"),
        Output(ids.RULES_SCATTER, "figure"),
        Output(ids.RULES_SCATTER_BOX, "style"),
        Output(ids.RULES_MESSAGE, "children", allow_duplicate=True),
        Input(ids.RULES_WORK.answer, "data"),
        Input(ids.HIDE_REDUNDANT, "value"),
        Input(ids.PRODUCT_FILTER, "value"),
        Input(ids.PRODUCT_SIDE, "value"),
        Input(ids.RULES_SEGMENT, "value"),
        prevent_initial_call=True,
    )(update_rules)
    app.callback(
        Output(ids.rules_grid(MATCH), "getRowsResponse"),
        Input(ids.rules_grid(MATCH), "getRowsRequest"),
        State(ids.RULES_VIEW, "data"),
        prevent_initial_call=True,
    )(rules_rows)
    app.callback(Output(ids.RULE_CLICKED, "children"), Input(ids.RULES_SCATTER, "clickData"))(
        show_clicked_rule
    )
    app.callback(
        Output(ids.SEGMENT_PRODUCTS, "figure"),
        Output(ids.OVERALL_PRODUCTS, "figure"),
        Output(ids.OVERALL_PRODUCTS_BOX, "style"),
        Input(ids.RULES_SEGMENT, "value"),
        Input(ids.RULES_WORK.answer, "data"),
        prevent_initial_call=True,
    )(update_products)
    app.callback(Output(ids.RULES_CHOICE, "data"), Input(ids.RULES_WORK.answer, "data"))(
        remember_choice
    )
    prefix = app.config.url_base_pathname
    app.callback(
        Output(ids.DOWNLOAD_RULES, "href"),
        Output(ids.DOWNLOAD_RULES, "className"),
        Output(ids.DOWNLOAD_PRODUCTS, "href"),
        Output(ids.DOWNLOAD_PRODUCTS, "className"),
        Input(ids.RULES_WORK.answer, "data"),
    )(lambda answer: download_links(prefix, answer))
