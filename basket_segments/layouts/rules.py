"""The Rules page: thresholds, the segment's rules as a table, sentences and a scatter,
and its top products next to everyone's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import dash_bootstrap_components as dbc
from dash import dcc, html

from basket_segments import ids
from basket_segments.layouts import rule_views, words
from basket_segments.layouts.common import (
    card,
    chart,
    choice_group,
    download_link,
    long_work,
    no_dataset_open,
    not_applicable,
    page_path,
    page_title,
)
from basket_segments.layouts.grids import Column, grid
from basket_segments.queries import MAX_RULE_LIMIT, MIN_RULE_LIMIT, RULE_DEFAULTS

#: Rules per page (a block of ``grids.BLOCK_SIZE`` holds whole pages).
RULES_PAGE_SIZE = 10

RULE_TABLE_COLUMNS = [
    Column("antecedent", "If a customer buys", pinned=True, wrap=True),
    Column("consequent", "they also buy", wrap=True),
    Column("support", "support", ".3f", tip=words.SUPPORT),
    Column("confidence", "confidence", ".0%", tip=words.CONFIDENCE),
    Column("lift", "lift", ".2f", tip=words.LIFT),
    Column("lift_vs_all", "lift vs all customers", ".2f", tip=words.LIFT_VS_ALL),
    Column("count", "baskets", ",d", tip=words.BASKETS_COUNT),
    Column("p_adjusted", "chance (p)", ".2~g", tip=words.P_ADJUSTED),
    Column("zhangs_metric", "Zhang's metric", ".2f", tip=words.ZHANG, hidden=True),
    Column("jaccard", "Jaccard", ".2f", tip=words.JACCARD, hidden=True),
    Column("kulczynski", "Kulczynski", ".2f", tip=words.KULCZYNSKI, hidden=True),
    Column("certainty", "certainty", ".2f", tip=words.CERTAINTY, hidden=True),
]
#: The measures the grid shows only when asked (``MORE_MEASURES``), by field.
MORE_MEASURES = {column.field: column.header for column in RULE_TABLE_COLUMNS if column.hidden}


def number(
    label: str,
    component_id: str,
    value: float | None,
    step: float,
    low: float | None,
    high: float | None,
    md: int = 2,
):
    """A labelled number box; without ``low`` and ``high`` the server checks the range
    and says what is wrong (the browser would only mark the box)."""
    return dbc.Col(
        [
            dbc.Label(label, html_for=component_id),
            dbc.Input(
                id=component_id,
                type="number",
                value=value,
                step=step,
                min=low,
                max=high,
                debounce=True,
            ),
        ],
        md=md,
    )


def rules_page(shape: str | None, prefix: str) -> html.Div:
    """The Rules page for the open dataset's shape; one sentence where it does not apply.

    Basket data without customers has no segments and no customer baskets: the
    segment picker and the basket choice are left out (hidden, at their one
    possible value), and so is the comparison with all customers.
    """
    if shape is None:
        return no_dataset_open("Rules", prefix, ids.RULES_PAGE)
    if shape == "customers":
        return not_applicable(
            "Rules",
            "This dataset is a customer table without products, so it has no rules; its "
            "customers' segments are on the",
            "Segments page",
            page_path(prefix, "segments"),
            ids.RULES_PAGE,
        )
    segmented = shape != "baskets"
    title = "What customers buy together" if segmented else "What these baskets hold together"
    return html.Div(
        [
            dcc.Store(id=ids.RULES_READY, data=0),
            page_title("Rules"),
            long_work(ids.RULES_WORK),
            html.Div(id=ids.RULES_MESSAGE),
            html.Div(
                card(
                    "Which customers?",
                    [
                        dbc.Label("Segment", html_for=ids.RULES_SEGMENT),
                        dbc.Select(id=ids.RULES_SEGMENT),
                    ],
                ),
                hidden=not segmented,
            ),
            card(
                "Thresholds",
                [thresholds(segmented), measures_explained(), advanced(), product_filter()],
            ),
            card(title, dcc.Loading(html.Div(id=ids.RULE_SENTENCES))),
            card(
                "Rules",
                [
                    dcc.Store(id=ids.RULES_VIEW),
                    rule_views.selection_chip(),
                    html.Div(rules_grid("none", segmented), id=ids.RULES_TABLE),
                    html.Div(
                        [
                            download_link(ids.DOWNLOAD_SHOWN_RULES, "Download these rules (CSV)"),
                            download_link(ids.DOWNLOAD_RULES, "Download every group's rules"),
                        ],
                        className="d-flex flex-wrap gap-3",
                    ),
                ],
            ),
            rule_views.rule_views(),
            dbc.Row(
                [
                    dbc.Col(
                        html.Div(
                            card(
                                "Rules by support and confidence",
                                [
                                    chart(
                                        ids.RULES_SCATTER,
                                        "Scatter plot of the rules by support and confidence, "
                                        "coloured by lift; the rules table above lists the same "
                                        "rules.",
                                    ),
                                    html.Div(id=ids.RULE_CLICKED, className="fw-semibold"),
                                ],
                            ),
                            id=ids.RULES_SCATTER_BOX,
                        ),
                        lg=6,
                    ),
                    dbc.Col(
                        card(
                            "Top products",
                            [
                                chart(
                                    ids.SEGMENT_PRODUCTS,
                                    "Bar chart of the most bought products of the selected "
                                    "segment; the top products CSV has the same figures.",
                                ),
                                html.Div(
                                    chart(
                                        ids.OVERALL_PRODUCTS,
                                        "Bar chart of the most bought products of all "
                                        "customers, for comparison.",
                                    ),
                                    id=ids.OVERALL_PRODUCTS_BOX,
                                ),
                                html.Div(
                                    [
                                        download_link(
                                            ids.DOWNLOAD_PRODUCTS,
                                            "Download these top products (CSV)",
                                        ),
                                        download_link(
                                            ids.DOWNLOAD_ALL_PRODUCTS,
                                            "Download every group's top products",
                                        ),
                                    ],
                                    className="d-flex flex-wrap gap-3",
                                ),
                            ],
                        ),
                        lg=6,
                    ),
                ],
                className="g-3",
            ),
        ],
        id=ids.RULES_PAGE,
    )


def thresholds(segmented: bool) -> dbc.Row:
    """Support, confidence, lift, length, redundancy and, for customers, what a basket is."""
    return dbc.Row(
        [
            # The browser rejects (and Dash receives None for) values off the step grid
            # counted from the minimum, so the steps are as fine as people type.
            number("Min support", ids.MIN_SUPPORT, RULE_DEFAULTS.min_support, 0.001, 0.001, 1),
            number("Min confidence", ids.MIN_CONFIDENCE, RULE_DEFAULTS.min_confidence, 0.01, 0, 1),
            number("Min lift", ids.MIN_LIFT, RULE_DEFAULTS.min_lift, 0.01, 0, 100),
            number("Max rule length", ids.MAX_LENGTH, RULE_DEFAULTS.max_length, 1, 2, 6),
            dbc.Col(
                choice_group(
                    "A basket is",
                    dbc.RadioItems(
                        id=ids.BASKET_CHOICE,
                        value="customer",
                        options=[
                            {"label": "a customer", "value": "customer"},
                            {"label": "an invoice", "value": "invoice"},
                        ],
                    ),
                ),
                md=2,
                style=None if segmented else {"display": "none"},
            ),
            dbc.Col(
                [
                    dbc.Switch(id=ids.HIDE_REDUNDANT, label="Hide redundant rules", value=True),
                    dbc.Switch(id=ids.SIGNIFICANT_ONLY, label="Significant only", value=False),
                ],
                md=2,
                className="pt-4",
            ),
            dbc.Col(
                html.Div(id=ids.SIGNIFICANCE_NOTE, className="form-text", role="status"),
                width=12,
            ),
        ],
        className="g-2",
    )


def measures_explained() -> dbc.FormText:
    """What the three thresholds measure, where the analyst first meets them."""
    return dbc.FormText(
        html.Ul(
            [html.Li(line) for line in (words.SUPPORT, words.CONFIDENCE, words.LIFT)],
            className="mb-0 ps-3",
        ),
        id=ids.MEASURES_EXPLAINED,
    )


def advanced() -> html.Details:
    """Settings most analysts never need, folded away with their defaults."""
    return html.Details(
        [
            html.Summary("Advanced", className="small"),
            dbc.Row(
                [
                    number(
                        f"Rule limit per group ({MIN_RULE_LIMIT:,} to {MAX_RULE_LIMIT:,})",
                        ids.RULE_LIMIT,
                        RULE_DEFAULTS.max_rules,
                        1,
                        None,
                        None,
                        md=4,
                    ),
                    dbc.Col(
                        dbc.FormText(
                            "Each segment keeps at most this many rules, the strongest by "
                            "confidence and lift. A few baskets of many products can make "
                            "millions of rules; raising the limit costs time and memory."
                        ),
                        md=8,
                        className="pt-4",
                    ),
                    dbc.Col(
                        choice_group(
                            "More measures in the rules table",
                            dbc.Checklist(
                                id=ids.MORE_MEASURES,
                                value=[],
                                inline=True,
                                options=[
                                    {"label": header, "value": field}
                                    for field, header in MORE_MEASURES.items()
                                ],
                            ),
                        ),
                        width=12,
                    ),
                ],
                className="g-2",
            ),
        ],
        className="mt-2",
    )


def product_filter() -> dbc.Row:
    """Show only the rules about one product, on either side or one: a search box that
    offers the dataset's products as the user types (``PRODUCT_CHOICES``, filled by
    ``callbacks.rules``) and takes the product on Enter or on leaving the box; the
    server says when no product has that name (``PRODUCT_FEEDBACK``)."""
    return dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label("Product", html_for=ids.PRODUCT_FILTER),
                    dbc.Input(
                        id=ids.PRODUCT_FILTER,
                        type="search",
                        list=ids.PRODUCT_CHOICES,
                        placeholder="Type or pick a product, then press Enter",
                        autocomplete="off",
                        debounce=True,
                    ),
                    html.Datalist(id=ids.PRODUCT_CHOICES),
                    html.Div(
                        id=ids.PRODUCT_FEEDBACK,
                        className="invalid-feedback d-block",
                        role="status",
                    ),
                ],
                md=6,
            ),
            dbc.Col(
                choice_group(
                    "Rules where the product is",
                    dbc.RadioItems(
                        id=ids.PRODUCT_SIDE,
                        value="any",
                        inline=True,
                        options=[
                            {"label": "on either side", "value": "any"},
                            {"label": "bought first", "value": "antecedent"},
                            {"label": "recommended", "value": "consequent"},
                        ],
                    ),
                ),
                md=6,
            ),
        ],
        className="g-2 mt-2",
    )


def product_options(products: list[str]) -> list[html.Option]:
    """The product filter's list: one option per product the box offers."""
    return [html.Option(value=product) for product in products]


def unknown_product(product) -> str:
    """What the product filter says when no product of the dataset has the name typed."""
    shown = str(product)[:60]
    return (
        f'No product is called "{shown}" in this dataset; pick one from the list, or clear '
        "the box to see every rule."
    )


def rules_grid(view: str, segmented: bool = True, measures: Sequence[str] = ()):
    """The rules grid for one view, with the extra ``measures`` shown; it fetches its rows
    from the server page by page."""
    return grid(
        ids.rules_grid(view),
        table_columns(segmented, measures),
        label="Rules of the selected customers",
        page_size=RULES_PAGE_SIZE,
        infinite=True,
    )


#: A basket file's rules grid speaks of baskets: it has no customers.
BASKET_HEADERS = {"antecedent": "If a basket holds", "consequent": "it also holds"}


def table_columns(segmented: bool = True, measures: Sequence[str] = ()) -> list[Column]:
    """The rules table's columns; "lift vs all customers" only where there are segments,
    a basket file's sides speak of baskets, and the extra ``measures`` asked for shown."""
    columns = [
        replace(column, hidden=column.hidden and column.field not in measures)
        for column in RULE_TABLE_COLUMNS
    ]
    if segmented:
        return columns
    return [
        replace(column, header=BASKET_HEADERS.get(column.field, column.header))
        for column in columns
        if column.field != "lift_vs_all"
    ]


def sentences(lines: list[str]):
    if not lines:
        return html.P("No rules meet these thresholds; try lower ones.", className="text-muted")
    return html.Ol([html.Li(line) for line in lines], className="mb-0")
