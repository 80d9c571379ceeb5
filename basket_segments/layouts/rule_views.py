"""The Rules page's grouped matrix and item graph, and the chip naming what a click on
them selected in the rules grid."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from basket_segments import ids
from basket_segments.analytics.rule_graph import (
    DEFAULT_GRAPH_RULES,
    MAX_GRAPH_RULES,
    MIN_GRAPH_RULES,
)
from basket_segments.analytics.rule_views import MAX_CONSEQUENTS, MAX_GROUPS
from basket_segments.layouts.common import card, chart

#: Where the figures of both views are as text.
AS_TEXT = (
    "The rules table lists the same rules with every figure, and Download these rules "
    "holds them as CSV."
)
MATRIX_CAPTION = (
    "Grouped matrix of the rules: rows are groups of what is bought first, named by "
    "their product of highest lift; columns are what they also buy; each circle's colour "
    f"is the mean lift and its size the mean support of its rules. {AS_TEXT}"
)
GRAPH_CAPTION = (
    "Graph of the rules of highest lift: products are circles, each rule a diamond "
    "linked from the products bought first and pointing to the product recommended, "
    f"coloured by lift and sized by support. {AS_TEXT}"
)
MATRIX_HELP = (
    f"Up to {MAX_GROUPS} groups and {MAX_CONSEQUENTS} recommended products, those of "
    "highest mean lift. Click a circle to list its rules in the table."
)
GRAPH_HELP = "Click a product to list the drawn rules that hold it, or a diamond for its rule."


def rule_views() -> html.Div:
    """The grouped matrix, then the item graph, each in a card with its caption (both
    shown: a tab's hidden chart drew at the wrong width, and Bootstrap's tabs named
    panels that were not there for assistive technology)."""
    matrix = [
        html.P(MATRIX_HELP, className="form-text mt-0 mb-1"),
        chart(ids.RULE_MATRIX, MATRIX_CAPTION),
        html.Div(id=ids.RULE_MATRIX_NOTE, className="form-text", role="status"),
    ]
    graph = [
        dbc.Row(
            [
                dbc.Col(
                    [
                        dbc.Label(
                            f"Rules in the graph ({MIN_GRAPH_RULES} to {MAX_GRAPH_RULES})",
                            html_for=ids.RULE_GRAPH_SIZE,
                        ),
                        dbc.Input(
                            id=ids.RULE_GRAPH_SIZE,
                            type="number",
                            value=DEFAULT_GRAPH_RULES,
                            step=1,
                            min=MIN_GRAPH_RULES,
                            max=MAX_GRAPH_RULES,
                            debounce=True,
                        ),
                    ],
                    md=3,
                ),
                dbc.Col(html.P(GRAPH_HELP, className="form-text mb-0"), md=9, className="pt-4"),
            ],
            className="g-2",
        ),
        chart(ids.RULE_GRAPH, GRAPH_CAPTION),
        html.Div(id=ids.RULE_GRAPH_NOTE, className="form-text", role="status"),
    ]
    return html.Div(
        [card("Grouped matrix of the rules", matrix), card("Item graph of the rules", graph)],
        id=ids.RULE_VIEWS,
    )


def selection_chip() -> html.Div:
    """ "Showing rules of ... · Clear" above the grid, hidden while nothing is selected."""
    return html.Div(
        [
            html.Span(id=ids.RULE_SELECTION_TEXT, role="status"),
            " · ",
            dbc.Button(
                "Clear",
                id=ids.RULE_SELECTION_CLEAR,
                color="link",
                size="sm",
                className="p-0 align-baseline",
            ),
        ],
        id=ids.RULE_SELECTION,
        className="badge rounded-pill text-bg-light border fs-6 fw-normal mb-2",
        hidden=True,
    )


def selection_text(label: str, count: int) -> str:
    """The chip's words for a selection of ``count`` rules.

    >>> selection_text('the group "tea" -> jam', 2)
    'Showing 2 rules of the group "tea" -> jam'
    """
    return f"Showing {count:,} rule{'s' if count != 1 else ''} of {label}"
