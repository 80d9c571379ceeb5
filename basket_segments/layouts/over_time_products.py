"""The Over time page's products and rules per period: one segment's top products and
rules in the first and the later period side by side, with what appeared, what
disappeared and how the lift or share moved."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from basket_segments import ids
from basket_segments.layouts.common import card, long_work
from basket_segments.layouts.grids import Column, grid
from basket_segments.layouts.rules import RULE_TABLE_COLUMNS

#: Rows per page of the two tables (each holds at most ``callbacks`` ``TOP`` rows).
CHANGES_PAGE_SIZE = 10
EXPLAINED = (
    "Each period's rules and top products are counted from that period's baskets of the "
    "customers the period placed in the segment, at the thresholds and basket the Rules "
    "page last showed (its defaults until then). A rule or product found only in the "
    "later period appeared; one found only in the first disappeared."
)
PICK_A_SEGMENT = "Pick a segment to compare what it buys in the two periods."
#: The rules table's sides, as the Rules page heads them.
RULE_SIDES = RULE_TABLE_COLUMNS[:2]
#: Each rule's measures in both periods (field, header, format), as the Rules page's.
RULE_MEASURES = (("lift", "lift", ".2f"), ("support", "support", ".3f"))


def period_changes() -> dbc.Card:
    """The segment picker, the job's progress, and the two tables with the sentences."""
    return card(
        "What each segment buys, then and later",
        [
            long_work(ids.PERIOD_CHANGES_WORK),
            html.Div(id=ids.PERIOD_CHANGES_MESSAGE),
            dbc.Row(
                dbc.Col(
                    [
                        dbc.Label("Segment", html_for=ids.PERIOD_SEGMENT),
                        html.Div(
                            dbc.Select(id=ids.PERIOD_SEGMENT),
                            id=ids.PERIOD_SEGMENT_BOX,
                        ),
                    ],
                    md=5,
                ),
                className="g-3 mb-2",
            ),
            html.P(PICK_A_SEGMENT, id=ids.PERIOD_CHANGES_CAPTION),
            dbc.FormText(EXPLAINED),
            html.H2("Top products", className="h6 mt-3"),
            html.Div(product_changes_grid("", ""), id=ids.PERIOD_PRODUCTS_TABLE),
            html.H2("Top rules", className="h6 mt-3"),
            html.Div(id=ids.PERIOD_RULE_SENTENCES, className="mb-2"),
            html.Div(rule_changes_grid("", ""), id=ids.PERIOD_RULES_TABLE),
        ],
    )


def segment_box_style(colour: str | None) -> dict:
    """The segment picker framed in the segment's colour, as every page marks it.

    >>> segment_box_style("#123456")
    {'borderLeft': '6px solid #123456', 'paddingLeft': '0.5rem'}
    """
    return {"borderLeft": f"6px solid {colour}", "paddingLeft": "0.5rem"} if colour else {}


def product_changes_grid(first: str, later: str, rows: list[dict] | None = None) -> html.Div:
    """The top products of both periods: share of the segment's baskets and baskets,
    then and later, and the change."""
    columns = [
        Column("product", "product", pinned=True, wrap=True),
        *_measures(("share", "share", ".0%"), ("count", "baskets", ",d"), first=first, later=later),
        Column("change", "change", wrap=True),
    ]
    label = "Top products of the segment in both periods"
    return grid(ids.PERIOD_PRODUCTS_GRID, columns, rows, label=label, page_size=CHANGES_PAGE_SIZE)


def rule_changes_grid(first: str, later: str, rows: list[dict] | None = None) -> html.Div:
    """The strongest rules of both periods, their sides as the Rules page's table heads
    them, lift and support then and later, and the change."""
    columns = [
        *RULE_SIDES,
        *_measures(RULE_MEASURES[0], RULE_MEASURES[1], first=first, later=later),
        Column("change", "change", wrap=True),
    ]
    label = "Top rules of the segment in both periods"
    return grid(ids.PERIOD_RULES_GRID, columns, rows, label=label, page_size=CHANGES_PAGE_SIZE)


def _measures(*measures: tuple[str, str, str], first: str, later: str) -> list[Column]:
    """The measures in the first period, then in the later one, the periods' dates in
    the headers' tooltips (in every header, they were cut into pieces at 1400 px).

    >>> [c.header for c in _measures(("lift", "lift", ".2f"), ("support", "support", ".3f"),
    ...     first="A", later="B")]
    ['lift then', 'support then', 'lift later', 'support later']
    """
    return [
        Column(f"{when}_{field}", f"{header} {word}", number, tip=f"{header} in {period}")
        for when, word, period in (("first", "then", first), ("later", "later", later))
        for field, header, number in measures
    ]
