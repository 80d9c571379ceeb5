"""The Customers page: look up one customer, their segment, purchases and recommendations."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dash_table, dcc, html

from basket_segments import figures, ids
from basket_segments.layouts.common import card

#: Purchases listed in full up to this many; beyond, the count says the rest.
SHOWN_PURCHASES = 40


def customers_page() -> html.Div:
    return html.Div(
        [
            html.H2("Customers"),
            card(
                "Look up a customer",
                dbc.InputGroup(
                    [
                        dbc.Input(id=ids.CUSTOMER_INPUT, placeholder="Customer id, e.g. 17850"),
                        dbc.Button("Look up", id=ids.CUSTOMER_LOOKUP, color="primary"),
                    ]
                ),
            ),
            dcc.Loading(html.Div(id=ids.CUSTOMER_RESULT)),
        ],
        id=ids.CUSTOMERS_PAGE,
    )


def customer_card(
    customer: str,
    segment: int | None,
    segment_name: str | None,
    bought: list[str],
    recommendations: pd.DataFrame,
) -> dbc.Card:
    """Who the customer is, what they bought, and what to offer them next, with reasons."""
    header = [html.H4(f"Customer {customer}", className="mb-1")]
    if segment is not None:
        header.append(
            html.Div(
                segment_name,
                style={
                    "borderLeft": f"6px solid {figures.segment_colour(segment)}",
                    "paddingLeft": "0.5rem",
                },
                id=ids.CUSTOMER_SEGMENT,
            )
        )
    more = len(bought) - SHOWN_PURCHASES
    purchases = ", ".join(bought[:SHOWN_PURCHASES]) + (f" and {more:,} more" if more > 0 else "")
    table = recommendations.assign(
        confidence=recommendations["confidence"].map(lambda c: "" if pd.isna(c) else f"{c:.0%}"),
        lift=recommendations["lift"].map(lambda v: "" if pd.isna(v) else f"{v:.1f}"),
    )
    return dbc.Card(
        dbc.CardBody(
            [
                *header,
                html.H5("Bought", className="mt-3"),
                html.P(purchases or "Nothing recorded.", id=ids.CUSTOMER_BOUGHT),
                html.H5("Recommended next"),
                dash_table.DataTable(
                    id=ids.CUSTOMER_RECOMMENDATIONS,
                    data=table.to_dict("records"),
                    columns=[{"id": c, "name": c} for c in table.columns],
                    style_cell={"whiteSpace": "normal", "textAlign": "left", "fontSize": "0.85rem"},
                )
                if len(table)
                else html.P("No products left to recommend.", className="text-muted"),
            ]
        )
    )
