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
from basket_segments.layouts.rule_cover import rule_cover
from basket_segments.queries import (
    MAX_FILTER_PRODUCTS,
    MAX_RULE_LIMIT,
    MIN_RULE_LIMIT,
    RULE_DEFAULTS,
)

#: Rules per page (a block of ``grids.BLOCK_SIZE`` holds whole pages).
RULES_PAGE_SIZE = 10
#: "Hide redundant rules" as the page opens (a mining job draws its views ahead so).
HIDE_REDUNDANT_DEFAULT = True

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
                [thresholds(segmented), measures_explained(), advanced(), side_filters()],
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
            rule_cover(segmented),
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
                    dbc.Switch(
                        id=ids.HIDE_REDUNDANT,
                        label="Hide redundant rules",
                        value=HIDE_REDUNDANT_DEFAULT,
                    ),
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


#: The product boxes by side: what the side is called on the page.
SIDE_WORDS = {
    "antecedent": "Bought first (left side)",
    "consequent": "Recommends (right side)",
    "either": "Either side",
}
#: How the product boxes combine, above them (arulesViz ruleExplorer's semantics).
SIDE_FILTERS_EXPLAINED = (
    "Products in the rules: include keeps the rules whose side holds any of the products "
    "chosen, exclude drops the rules whose side holds any of them, and every box must pass "
    "(as in arulesViz's rule explorer). Type a product of these rules, pick it, press Enter; "
    "untick it to stop filtering by it."
)


def side_filters() -> html.Details:
    """Include and exclude products on each side of a rule, applied on the server to the
    grid, its CSV and the charts, folded under one line until opened (six boxes would push
    the rules out of sight). A box offers the products of the rules its text finds
    (``callbacks.rules.suggest_products``), so no list of every product is sent."""
    return html.Details(
        [
            html.Summary("Filter by product, on each side of a rule", id=ids.SIDE_FILTERS_OPEN),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.FormText(SIDE_FILTERS_EXPLAINED, id=ids.SIDE_FILTERS_EXPLAINED),
                        width=12,
                    ),
                    *(
                        dbc.Col(
                            [
                                product_box(f"{mode}_{side}", words, mode)
                                for mode in ("include", "exclude")
                            ],
                            md=4,
                        )
                        for side, words in SIDE_WORDS.items()
                    ),
                ],
                className="g-2",
            ),
        ],
        className="mt-2",
    )


def product_box(box: str, side_words: str, mode: str) -> html.Fieldset:
    """One product box: a search box with the products it finds, and the products chosen
    as checkboxes (ticked: filtering)."""
    search = ids.side_search(box)
    legend = f"{side_words}: {'include any of' if mode == 'include' else 'exclude'}"
    return html.Fieldset(
        [
            html.Legend(legend, className="form-label fs-6 mb-1"),
            dbc.Label("Add a product", html_for=ids.dom_id(search), className="small mb-0"),
            dbc.Input(
                id=search,
                type="search",
                list=ids.dom_id(ids.side_choices(box)),
                placeholder="Type, pick, press Enter",
                autocomplete="off",
                size="sm",
            ),
            html.Datalist(id=ids.side_choices(box)),
            html.Div(
                id=ids.side_feedback(box), className="invalid-feedback d-block", role="status"
            ),
            dbc.Checklist(id=ids.side_filter(box), options=[], value=[], inline=True),
        ],
        className="mb-2",
    )


def product_options(products: list[str]) -> list[html.Option]:
    """A product box's list: one option per product it offers."""
    return [html.Option(value=product) for product in products]


def unknown_product(product) -> str:
    """What a product box says when no product of the rules has the name typed."""
    shown = str(product)[:60]
    return f'No product of these rules is called "{shown}"; pick one from the list.'


def too_many_products() -> str:
    """What a product box says when one more product would be too many."""
    return f"A box takes at most {MAX_FILTER_PRODUCTS} products; untick some first."


def rules_grid(view: str, segmented: bool = True, measures: Sequence[str] = ()):
    """The rules grid for one view, with the extra ``measures`` shown; it fetches its rows
    from the server page by page."""
    return grid(
        ids.rules_grid(view),
        table_columns(segmented, measures),
        label="Rules of the selected customers",
        page_size=RULES_PAGE_SIZE,
        infinite=True,
        selectable=True,
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
