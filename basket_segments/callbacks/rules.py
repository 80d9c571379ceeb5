"""Rules page callbacks: the selected segment's rules, sentences, scatter, top products."""

from __future__ import annotations

import uuid

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Input, Output, State, ctx, dcc, no_update, set_props

from basket_segments import figures, ids, jobs, results, storage
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.export import neutralise_formulas
from basket_segments.analytics.progress import part
from basket_segments.analytics.recommend import recommend_for_segment
from basket_segments.analytics.rules import ALL_CUSTOMERS, ALL_CUSTOMERS_NAME, RuleParams
from basket_segments.auth import current_owner
from basket_segments.callbacks.progress import background, report_cancel
from basket_segments.callbacks.segments import NO_DATASET, params_or_default
from basket_segments.layouts import data as data_layout
from basket_segments.layouts import rules as layout

#: Most rule rows sent to the browser at once; the CSV export has them all.
MAX_TABLE_ROWS = 1000
#: Most products offered in the product filter: the most bought ones.
MAX_PRODUCT_CHOICES = 5_000
#: What the mining depends on, in ``rule_params`` order plus the basket choice.
THRESHOLDS = [
    State(ids.MIN_SUPPORT, "value"),
    State(ids.MIN_CONFIDENCE, "value"),
    State(ids.MIN_LIFT, "value"),
    State(ids.MAX_LENGTH, "value"),
    State(ids.BASKET_CHOICE, "value"),
]


def rule_params(support, confidence, lift, length) -> RuleParams:
    """Thresholds from the inputs; empty boxes fall back to the defaults.

    >>> rule_params(0.1, None, None, 2).min_confidence
    0.5
    """
    defaults = layout.DEFAULTS
    return RuleParams(
        float(support if support is not None else defaults.min_support),
        float(confidence if confidence is not None else defaults.min_confidence),
        float(lift if lift is not None else defaults.min_lift),
        int(length if length is not None else defaults.max_length),
        single_consequent=True,
    )


def init_rules(_ready, active, settings, selected):
    """Segment choices, products to filter by, basket choices, for the open dataset."""
    if active is None:
        return [], None, [], [], data_layout.message(NO_DATASET, "info")
    owner = current_owner()
    try:
        data = results.prepared(owner, active)
        params = params_or_default(owner, active, settings)
        names = results.segments(owner, active, params).names if params else {}
    except (DataError, storage.DatasetNotFound) as error:
        return [], None, [], [], data_layout.message(str(error))
    if data.purchases.empty:
        text = "This dataset has no product column, so it has no rules."
        return [], None, [], [], data_layout.message(text, "info")
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


def _rules_for(settings, active, support, confidence, lift, length, basket):
    owner = current_owner()
    params = params_or_default(owner, active, settings)
    wanted = rule_params(support, confidence, lift, length)
    return results.rules(owner, active, params, wanted, basket or "customer")


def _request(settings, active, thresholds, basket) -> dict:
    return {"settings": settings, "dataset": active, "thresholds": thresholds, "basket": basket}


def ask_for_rules(support, confidence, lift, length, basket, _segments, settings, active):
    """Show stored rules at once; hand rules not mined yet to ``mine``.

    Rules are mined at loose thresholds and filtered, so most threshold moves
    find them stored; the rest runs as a background job with a progress bar.
    """
    if active is None:
        return {"request": None}, no_update, no_update
    request = _request(settings, active, [support, confidence, lift, length], basket)
    owner = current_owner()
    try:
        params = params_or_default(owner, active, settings)
        wanted = rule_params(support, confidence, lift, length)
        ready = results.rules_ready(owner, active, params, wanted, basket or "customer")
    except (DataError, storage.DatasetNotFound) as error:
        return {"request": None}, no_update, data_layout.message(str(error))
    if ready:
        return {"request": request}, no_update, no_update
    return {"request": None}, {"request": request, "nonce": uuid.uuid4().hex}, None


def mine(set_progress, asked):
    """Mine and store the asked-for rules and top products, reporting progress (a job)."""
    request = (asked or {}).get("request")
    if not request:
        return no_update, no_update
    owner, active = current_owner(), request["dataset"]
    basket = request["basket"] or "customer"
    report = jobs.reporter(set_progress)
    try:
        params = params_or_default(owner, active, request["settings"])
        wanted = rule_params(*request["thresholds"])
        results.rules(owner, active, params, wanted, basket, report=part(report, 0.0, 0.9))
        report(0.9, "Counting top products")
        results.products(owner, active, params, basket)
    except (DataError, storage.DatasetNotFound) as error:
        return no_update, data_layout.message(str(error))
    return {"request": request}, None


def _current(computed, settings, active, thresholds, basket) -> dict | None:
    """The computed request if it answers the current choices (not an earlier one)."""
    request = (computed or {}).get("request")
    if request != _request(settings, active, thresholds, basket):
        return None
    return request


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


def update_rules(
    computed,
    hide,
    product,
    side,
    segment,
    support,
    confidence,
    lift,
    length,
    basket,
    settings,
    active,
):
    """Table, sentences and scatter for the selected segment and thresholds."""
    thresholds = [support, confidence, lift, length]
    if segment is None or _current(computed, settings, active, thresholds, basket) is None:
        return [], layout.sentences([]), go.Figure(), no_update
    try:
        rules = _rules_for(settings, active, *thresholds, basket)
    except (DataError, storage.DatasetNotFound) as error:
        return [], layout.sentences([]), go.Figure(), data_layout.message(str(error))
    shown = filter_table(rules, segment, hide, product, side).reset_index(drop=True)
    table = shown.head(MAX_TABLE_ROWS).assign(
        antecedent=lambda f: f["antecedent"].map(", ".join),
        consequent=lambda f: f["consequent"].map(", ".join),
    )
    columns = [column for column, _, _ in layout.RULE_TABLE_COLUMNS]
    top = recommend_for_segment(shown, segment, top=5)
    note = None
    if len(shown) > MAX_TABLE_ROWS:
        note = data_layout.message(
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


def update_products(segment, computed, basket, settings, active):
    """Bars of the segment's top products and of everyone's (counted by the mining job)."""
    request = (computed or {}).get("request")
    if segment is None or not request or request["dataset"] != active:
        return go.Figure(), go.Figure()
    owner = current_owner()
    try:
        params = params_or_default(owner, active, settings)
        products = results.products(owner, active, params, basket or "customer")
    except (DataError, storage.DatasetNotFound):
        return go.Figure(), go.Figure()
    names = dict(zip(products["segment"], products["segment_name"], strict=True))
    shown = figures.products_bar(products, segment, names.get(segment, ALL_CUSTOMERS_NAME))
    if set(ctx.triggered_prop_ids) == {f"{ids.RULES_SEGMENT}.value"}:
        return shown, no_update  # picking a segment leaves everyone's products as drawn
    return shown, figures.products_bar(products, ALL_CUSTOMERS, ALL_CUSTOMERS_NAME)


def download_rules(_clicks, support, confidence, lift, length, basket, settings, active):
    """Every rule meeting the thresholds, all segments, as CSV."""
    try:
        rules = _rules_for(settings, active, support, confidence, lift, length, basket)
    except (DataError, storage.DatasetNotFound) as error:
        return _download_failed(error)
    return dcc.send_data_frame(neutralise_formulas(rules).to_csv, "rules.csv", index=False)


def download_products(_clicks, basket, settings, active):
    """The top products of every segment, as CSV."""
    owner = current_owner()
    try:
        params = params_or_default(owner, active, settings)
        products = results.products(owner, active, params, basket or "customer")
    except (DataError, storage.DatasetNotFound) as error:
        return _download_failed(error)
    return dcc.send_data_frame(
        neutralise_formulas(products).to_csv, "top_products.csv", index=False
    )


def _download_failed(error: Exception):
    """Say why nothing was downloaded, on the page, and send nothing."""
    set_props(ids.RULES_MESSAGE, {"children": data_layout.message(str(error))})
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
    app.callback(
        Output(ids.RULES_TABLE, "data"),
        Output(ids.RULE_SENTENCES, "children"),
        Output(ids.RULES_SCATTER, "figure"),
        Output(ids.RULES_MESSAGE, "children", allow_duplicate=True),
        Input(ids.RULES_COMPUTED, "data"),
        Input(ids.HIDE_REDUNDANT, "value"),
        Input(ids.PRODUCT_FILTER, "value"),
        Input(ids.PRODUCT_SIDE, "value"),
        Input(ids.RULES_SEGMENT, "value"),
        *THRESHOLDS,
        State(ids.SEGMENT_SETTINGS, "data"),
        State(ids.ACTIVE_DATASET, "data"),
        prevent_initial_call=True,
    )(update_rules)
    app.callback(
        Output(ids.RULES_COMPUTED, "data"),
        Output(ids.RULES_REQUEST, "data"),
        Output(ids.RULES_MESSAGE, "children", allow_duplicate=True),
        *(Input(item.component_id, item.component_property) for item in THRESHOLDS),
        Input(ids.RULES_SEGMENT, "options"),
        State(ids.SEGMENT_SETTINGS, "data"),
        State(ids.ACTIVE_DATASET, "data"),
        prevent_initial_call=True,
    )(ask_for_rules)
    app.callback(
        Output(ids.RULES_COMPUTED, "data", allow_duplicate=True),
        Output(ids.RULES_MESSAGE, "children", allow_duplicate=True),
        Input(ids.RULES_REQUEST, "data"),
        prevent_initial_call=True,
        **background(ids.RULES_JOB),
    )(mine)
    report_cancel(app, ids.RULES_JOB, ids.RULES_MESSAGE)
    app.callback(Output(ids.RULE_CLICKED, "children"), Input(ids.RULES_SCATTER, "clickData"))(
        show_clicked_rule
    )
    app.callback(
        Output(ids.SEGMENT_PRODUCTS, "figure"),
        Output(ids.OVERALL_PRODUCTS, "figure"),
        Input(ids.RULES_SEGMENT, "value"),
        Input(ids.RULES_COMPUTED, "data"),
        State(ids.BASKET_CHOICE, "value"),
        State(ids.SEGMENT_SETTINGS, "data"),
        State(ids.ACTIVE_DATASET, "data"),
        prevent_initial_call=True,
    )(update_products)
    app.callback(
        Output(ids.DOWNLOAD_RULES, "data"),
        Input(ids.DOWNLOAD_RULES_BUTTON, "n_clicks"),
        State(ids.MIN_SUPPORT, "value"),
        State(ids.MIN_CONFIDENCE, "value"),
        State(ids.MIN_LIFT, "value"),
        State(ids.MAX_LENGTH, "value"),
        State(ids.BASKET_CHOICE, "value"),
        State(ids.SEGMENT_SETTINGS, "data"),
        State(ids.ACTIVE_DATASET, "data"),
        prevent_initial_call=True,
    )(download_rules)
    app.callback(
        Output(ids.DOWNLOAD_PRODUCTS, "data"),
        Input(ids.DOWNLOAD_PRODUCTS_BUTTON, "n_clicks"),
        State(ids.BASKET_CHOICE, "value"),
        State(ids.SEGMENT_SETTINGS, "data"),
        State(ids.ACTIVE_DATASET, "data"),
        prevent_initial_call=True,
    )(download_products)
