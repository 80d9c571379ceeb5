"""The Over time page: segments fitted on the first period, every period's customers placed
in them, and who moved, came and left (issue 23)."""

from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
from dash import dcc, html

from basket_segments import ids
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
from basket_segments.layouts.over_time_products import period_changes
from basket_segments.queries import (
    DEFAULT_PERIOD_DAYS,
    MAX_PERIOD_DAYS,
    MAX_PERIODS,
    MIN_PERIOD_DAYS,
)

TITLE = "Over time"
PERIOD_CHOICES = [
    {"label": "two periods, split at a date", "value": "split"},
    {"label": "calendar months", "value": "month"},
    {"label": "quarters", "value": "quarter"},
    {"label": "runs of a number of days", "value": "days"},
]
VALUE_CHOICES = [
    {"label": "customers", "value": "customers"},
    {"label": "revenue", "value": "revenue"},
]
CLICK_A_CELL = "Click a cell of the heatmap (or a flow of the diagram) to list its customers."
OPEN_A_CUSTOMER = (
    "Click a customer's id to open them on the Customers page, with their segment in every period."
)
#: Rows per page of the grid of one cell's customers.
MOVED_PAGE_SIZE = 10
METHOD = (
    "Segments are fitted once, on the first period (or the one chosen), with the Segments "
    "page's features, K and scaling; every other period's customers are placed in the nearest"
    " of those segments, so a move is a change in behaviour, not a renumbering. Customers "
    "seen only later are new, in the row (new); those with no purchase in a later period are "
    "in the column (no purchase). Each period's recency, frequency and spend count only that "
    "period's purchases."
)


def has_dates(shape: str | None, roles: dict | None) -> bool:
    """Whether a dataset of this shape and these stored column roles has purchase dates to
    cut into periods (known from its record, without reading its data).

    >>> has_dates("transactions", {"date": "InvoiceDate"}), has_dates("customers", {})
    (True, False)
    """
    return shape in ("transactions", "combined") and bool((roles or {}).get("date"))


def over_time_page(shape: str | None, prefix: str, dated: bool = False) -> html.Div:
    """The Over time page for the open dataset; one sentence where it does not apply
    (``dated``: the dataset has purchase dates, ``has_dates``)."""
    if shape is None:
        return no_dataset_open(TITLE, prefix, ids.OVER_TIME_PAGE)
    if shape == "baskets":
        sentence = (
            "This dataset holds baskets without customers, so there is nobody to follow "
            "over time; its rules are on the"
        )
        return not_applicable(
            TITLE, sentence, "Rules page", page_path(prefix, "rules"), ids.OVER_TIME_PAGE
        )
    if not dated:
        sentence = (
            "This dataset has no purchase dates, so it cannot be cut into periods (name its "
            "date column on the Data page if it has one); its segments are on the"
        )
        return not_applicable(
            TITLE, sentence, "Segments page", page_path(prefix, "segments"), ids.OVER_TIME_PAGE
        )
    return html.Div(
        [
            dcc.Store(id=ids.OVER_TIME_READY, data=0),
            dcc.Store(id=ids.MIGRATION_CELL),
            dcc.Store(id=ids.MOVED_VIEW),
            page_title(TITLE),
            long_work(ids.OVER_TIME_WORK),
            html.Div(id=ids.OVER_TIME_MESSAGE),
            controls(),
            html.P(id=ids.MIGRATION_SUMMARY, className="lead"),
            views(),
            moved_customers(),
            period_changes(),
        ],
        id=ids.OVER_TIME_PAGE,
    )


def controls() -> dbc.Card:
    """How to cut the dates, and the segmentation the page follows (the Segments page's)."""
    return card(
        "Compare periods",
        [
            dbc.Row(
                [
                    dbc.Col(
                        choice_group(
                            "Cut the purchases into",
                            dbc.RadioItems(
                                id=ids.PERIOD_MODE, options=PERIOD_CHOICES, value="split"
                            ),
                        ),
                        md=5,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Split date", html_for=ids.SPLIT_DATE),
                            dbc.Input(
                                id=ids.SPLIT_DATE,
                                type="text",
                                placeholder="e.g. 2011-04-01",
                                debounce=True,
                            ),
                            dbc.FormText(
                                "Year first; left empty, the middle of the dates, at the "
                                "nearest month start."
                            ),
                        ],
                        md=4,
                    ),
                    dbc.Col(
                        [
                            dbc.Label(
                                f"Days per period ({MIN_PERIOD_DAYS} to {MAX_PERIOD_DAYS})",
                                html_for=ids.PERIOD_DAYS,
                            ),
                            dbc.Input(
                                id=ids.PERIOD_DAYS,
                                type="number",
                                step=1,
                                value=DEFAULT_PERIOD_DAYS,
                                debounce=True,
                            ),
                        ],
                        md=3,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Fit the segments on period", html_for=ids.REFERENCE_PERIOD),
                            dbc.Input(
                                id=ids.REFERENCE_PERIOD,
                                type="number",
                                min=1,
                                max=MAX_PERIODS,
                                step=1,
                                value=1,
                                debounce=True,
                            ),
                            dbc.FormText("1 is the first; every other period is placed in them."),
                        ],
                        md=4,
                    ),
                ],
                className="g-3 mb-2",
            ),
            html.P(id=ids.OVER_TIME_SEGMENTATION, className="mb-1"),
            dbc.FormText(METHOD),
        ],
    )


def views() -> html.Div:
    """The migration as a matrix and as flows, and the segments' sizes per period."""
    return html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label("Later period", html_for=ids.LATER_PERIOD),
                            dbc.Select(id=ids.LATER_PERIOD),
                        ],
                        md=5,
                    ),
                    dbc.Col(
                        choice_group(
                            "Cells count",
                            dbc.RadioItems(
                                id=ids.MIGRATION_VALUE,
                                options=VALUE_CHOICES,
                                value="customers",
                                inline=True,
                            ),
                        ),
                        md=7,
                    ),
                ],
                className="g-3 mb-3",
            ),
            card(
                "Who moved where",
                chart(
                    ids.MIGRATION_HEATMAP,
                    "Heatmap of the customers of each segment in the first period (rows, and "
                    "the new customers) by their segment in the later period (columns, and "
                    "those with no purchase then); each cell is written in numbers, and a click "
                    "lists its customers in the table below.",
                ),
            ),
            card(
                "The same flows",
                chart(
                    ids.MIGRATION_SANKEY,
                    "Sankey diagram of the same moves as the heatmap above: from each first "
                    "period segment and the new, to each later segment and no purchase; the "
                    "heatmap gives the numbers.",
                ),
            ),
            html.Div(
                card(
                    "Segment sizes per period",
                    chart(
                        ids.PERIOD_SIZES,
                        "Stacked bar chart of how many customers each segment holds in each "
                        "period; the heatmap gives the same counts for each later period.",
                    ),
                ),
                id=ids.PERIOD_SIZES_BOX,
                style={"display": "none"},
            ),
        ]
    )


def moved_customers() -> dbc.Card:
    """The customers of the clicked cell, their features in both periods, and the CSV."""
    return card(
        "The customers of a cell",
        [
            html.P(CLICK_A_CELL, id=ids.MOVED_CAPTION),
            html.Div(no_moved_grid(), id=ids.MOVED_TABLE),
            html.P(OPEN_A_CUSTOMER, className="text-muted small mt-2 mb-1"),
            download_link(ids.DOWNLOAD_MOVED, "Download these customers (CSV)"),
        ],
    )


def no_moved_grid() -> html.Div:
    """Where the grid goes until a cell is clicked: nothing (an empty grid's header is an
    empty landmark to a screen reader, and axe reports it)."""
    return html.Div()


def moved_grid(view: str, columns: Sequence[str]) -> html.Div:
    """The grid of one cell's customers; it fetches its rows from the server page by page."""
    return grid(
        ids.moved_grid(view),
        moved_columns(columns),
        label="Customers of the clicked cell",
        page_size=MOVED_PAGE_SIZE,
        infinite=True,
    )


def moved_columns(columns: Sequence[str]) -> list[Column]:
    """The customer and their segments as text, every feature as a number, its header
    "then" or "later" (the periods' dates, in every header, cut it into pieces at 1400 px;
    they are in the header's tooltip).

    >>> [(c.header, c.number, c.tip) for c in moved_columns(["customer", "x (A)", "x (B)"])]
    [('customer', None, None), ('x then', ',.2~f', 'x in A'), ('x later', ',.2~f', 'x in B')]
    """
    texts = {"customer": "customer", "from": "segment then", "to": "segment later"}
    dated = [_feature_and_period(name) for name in columns if name not in texts]
    first = dated[0][1] if dated else None
    columns_shown = []
    for name in columns:
        if name in texts:
            columns_shown.append(
                Column(name, texts[name], pinned=name == "customer", wrap=name != "customer")
            )
            continue
        feature, period = _feature_and_period(name)
        if period is None:
            columns_shown.append(Column(name, name, ",.2~f"))
            continue
        header = f"{feature} {'then' if period == first else 'later'}"
        columns_shown.append(Column(name, header, ",.2~f", tip=f"{feature} in {period}"))
    return columns_shown


def _feature_and_period(name: str) -> tuple[str, str | None]:
    """A feature column's feature and period: ``"Recency (2011-02)"`` is both."""
    if not name.endswith(")") or " (" not in name:
        return name, None
    feature, period = name[:-1].rsplit(" (", 1)
    return feature, period
