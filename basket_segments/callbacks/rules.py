"""Rules page callbacks: the selected segment's rules, sentences, scatter, top products."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Input, Output, State, ctx, dcc, no_update, set_props

from basket_segments import figures, ids, results
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.export import neutralise_formulas
from basket_segments.analytics.recommend import recommend_for_segment
from basket_segments.analytics.rules import ALL_CUSTOMERS, ALL_CUSTOMERS_NAME, RuleParams
from basket_segments.auth import current_owner
from basket_segments.callbacks import long_work
from basket_segments.callbacks.common import NO_DATASET, params_or_default
from basket_segments.choices import SegmentParams, rule_params
from basket_segments.layouts import rules as layout
from basket_segments.layouts.common import message

#: Most rule rows sent to the browser at once; the CSV export has them all.
MAX_TABLE_ROWS = 1000
#: Most products offered in the product filter: the most bought ones.
MAX_PRODUCT_CHOICES = 5_000


def init_rules(_ready, active, settings, selected):
    """Segment choices, products to filter by, basket choices, for the open dataset."""
    if active is None:
        return [], None, [], [], message(NO_DATASET, "info")
    owner = current_owner()
    try:
        data = results.prepared(owner, active)
        params = params_or_default(owner, active, settings)
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


def choices(owner: str, request: dict) -> tuple[SegmentParams | None, RuleParams, str]:
    """The segmentation, thresholds and basket a rules request asks for."""
    params = params_or_default(owner, request["dataset"], request["settings"])
    thresholds = (request[name] for name in ("support", "confidence", "lift", "length"))
    return params, rule_params(*thresholds), request["basket"] or "customer"


def rules_ready(owner: str, request: dict) -> bool | None:
    """Whether the rules and top products asked for are stored (None: no dataset open)."""
    if request["dataset"] is None:
        return None
    return results.mining_ready(owner, request["dataset"], *choices(owner, request))


def mine(owner: str, request: dict, report) -> None:
    """Mine and store the rules and top products asked for (in a background job)."""
    results.mining(owner, request["dataset"], *choices(owner, request), report=report)


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


def _rules_of(request: dict) -> pd.DataFrame:
    owner = current_owner()
    return results.rules(owner, request["dataset"], *choices(owner, request))


def _products_of(request: dict) -> pd.DataFrame:
    owner = current_owner()
    return results.mining(owner, request["dataset"], *choices(owner, request)).products


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
    """Table, sentences and scatter for the selected segment at the asked thresholds."""
    request = long_work.answered(answer)
    if segment is None or request is None:
        return [], layout.sentences([]), go.Figure(), no_update
    try:
        rules = _rules_of(request)
    except DataError as error:
        return [], layout.sentences([]), go.Figure(), message(str(error))
    shown = filter_table(rules, segment, hide, product, side).reset_index(drop=True)
    table = shown.head(MAX_TABLE_ROWS).assign(
        antecedent=lambda f: f["antecedent"].map(", ".join),
        consequent=lambda f: f["consequent"].map(", ".join),
    )
    columns = [column for column, _, _ in layout.RULE_TABLE_COLUMNS]
    top = recommend_for_segment(shown, segment, top=5)
    note = None
    if len(shown) > MAX_TABLE_ROWS:
        note = message(
            f"Showing the first {MAX_TABLE_ROWS:,} of {len(shown):,} rules; the CSV has all.",
            "info",
        )
    return (
        table[columns].round(4).to_dict("records"),
        layout.sentences(top),
        figures.rules_scatter(shown.head(MAX_TABLE_ROWS)),
        note,
    )


def show_clicked_rule(click):
    if not click or not click.get("points"):
        return no_update
    return click["points"][0].get("text", "")


def update_products(segment, answer):
    """Bars of the segment's top products and of everyone's (counted by the mining job)."""
    request = long_work.answered(answer)
    if segment is None or request is None:
        return go.Figure(), go.Figure()
    try:
        products = _products_of(request)
    except DataError:
        return go.Figure(), go.Figure()
    shown = figures.products_bar(products, segment)
    if set(ctx.triggered_prop_ids) == {f"{ids.RULES_SEGMENT}.value"}:
        return shown, no_update  # picking a segment leaves everyone's products as drawn
    return shown, figures.products_bar(products, ALL_CUSTOMERS)


NOT_MINED = "The rules are not mined yet; download them once they are shown."


def download_rules(_clicks, answer):
    """Every rule meeting the shown thresholds, all segments, as CSV."""
    request = long_work.answered(answer)
    if request is None:
        return _download_failed(NOT_MINED)
    try:
        rules = _rules_of(request)
    except DataError as error:
        return _download_failed(str(error))
    return dcc.send_data_frame(neutralise_formulas(rules).to_csv, "rules.csv", index=False)


def download_products(_clicks, answer):
    """The top products of every segment, as CSV."""
    request = long_work.answered(answer)
    if request is None:
        return _download_failed(NOT_MINED)
    try:
        products = _products_of(request)
    except DataError as error:
        return _download_failed(str(error))
    return dcc.send_data_frame(
        neutralise_formulas(products).to_csv, "top_products.csv", index=False
    )


def _download_failed(text: str):
    """Say why nothing was downloaded, on the page, and send nothing."""
    set_props(ids.RULES_MESSAGE, {"children": message(text)})
    return no_update


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
        Output(ids.RULES_TABLE, "data"),
        Output(ids.RULE_SENTENCES, "children"),
        Output(ids.RULES_SCATTER, "figure"),
        Output(ids.RULES_MESSAGE, "children", allow_duplicate=True),
        Input(ids.RULES_WORK.answer, "data"),
        Input(ids.HIDE_REDUNDANT, "value"),
        Input(ids.PRODUCT_FILTER, "value"),
        Input(ids.PRODUCT_SIDE, "value"),
        Input(ids.RULES_SEGMENT, "value"),
        prevent_initial_call=True,
    )(update_rules)
    app.callback(Output(ids.RULE_CLICKED, "children"), Input(ids.RULES_SCATTER, "clickData"))(
        show_clicked_rule
    )
    app.callback(
        Output(ids.SEGMENT_PRODUCTS, "figure"),
        Output(ids.OVERALL_PRODUCTS, "figure"),
        Input(ids.RULES_SEGMENT, "value"),
        Input(ids.RULES_WORK.answer, "data"),
        prevent_initial_call=True,
    )(update_products)
    app.callback(
        Output(ids.DOWNLOAD_RULES, "data"),
        Input(ids.DOWNLOAD_RULES_BUTTON, "n_clicks"),
        State(ids.RULES_WORK.answer, "data"),
        prevent_initial_call=True,
    )(download_rules)
    app.callback(
        Output(ids.DOWNLOAD_PRODUCTS, "data"),
        Input(ids.DOWNLOAD_PRODUCTS_BUTTON, "n_clicks"),
        State(ids.RULES_WORK.answer, "data"),
        prevent_initial_call=True,
    )(download_products)
