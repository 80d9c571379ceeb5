"""Customers page callback: one customer's segment, purchases and recommendations."""

from __future__ import annotations

from dash import Dash, Input, Output, State, no_update

from basket_segments import ids, results
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.recommend import recommend_for_customer
from basket_segments.analytics.rules import ALL_CUSTOMERS
from basket_segments.auth import current_owner
from basket_segments.callbacks.common import NO_DATASET
from basket_segments.choices import RULE_DEFAULTS
from basket_segments.layouts import customers as layout
from basket_segments.layouts.common import message


def look_up(_clicks, _submit, customer, settings, active):
    """Segment, purchases and up to five recommendations, each with its reason."""
    customer = (customer or "").strip()
    if not customer:
        return no_update
    if active is None:
        return message(NO_DATASET, "info")
    owner = current_owner()
    try:
        data = results.prepared(owner, active)
        bought = results.purchases_of(owner, active, customer)
        if customer not in data.customers.index and not bought:
            return message(f"There is no customer '{customer}' in this dataset.")
        params = results.chosen_segments(owner, active, settings)
        segment, name = _segment_of(owner, active, params, customer)
        rules = results.rules(owner, active, params, RULE_DEFAULTS, "customer")
        products = results.mining(owner, active, params, RULE_DEFAULTS, "customer").products
    except DataError as error:
        return message(str(error))
    group = ALL_CUSTOMERS if segment is None else segment
    picks = recommend_for_customer(bought, group, rules, products, top=5)
    return layout.customer_card(customer, segment, name, bought, picks)


def _segment_of(owner, active, params, customer):
    if params is None:
        return None, None
    result = results.segments(owner, active, params)
    row = result.table[result.table["customer"] == customer]
    if row.empty:
        return None, None
    segment = int(row["segment"].iat[0])
    return segment, result.names[segment]


def register(app: Dash) -> None:
    app.callback(
        Output(ids.CUSTOMER_RESULT, "children"),
        Input(ids.CUSTOMER_LOOKUP, "n_clicks"),
        Input(ids.CUSTOMER_INPUT, "n_submit"),
        State(ids.CUSTOMER_INPUT, "value"),
        State(ids.SEGMENT_SETTINGS, "data"),
        State(ids.ACTIVE_DATASET, "data"),
        prevent_initial_call=True,
    )(look_up)
