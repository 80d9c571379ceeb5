"""Who a rule covers, on the Rules page: the selected rule's baskets and customers."""

from __future__ import annotations

from urllib.parse import quote

from dash import dcc, html

from basket_segments import ids
from basket_segments.layouts.common import card, download_link, page_path
from basket_segments.layouts.grids import Column, grid

#: What the card says until a rule is selected.
SELECT_A_RULE = (
    "Select a rule in the table (click its row) to see who bought both its sides: the count "
    "is the rule's support count."
)
SELECT_A_BASKET_RULE = (
    "Select a rule in the table (click its row) to count the baskets holding both its sides."
)
#: Rows per page of the covered customers' grid.
COVER_PAGE_SIZE = 10
COVER_COLUMNS = [
    Column("customer", "customer", pinned=True, link=True, tip="Opens the Customers page"),
    Column(
        "baskets",
        "baskets with the rule",
        ",d",
        tip="How many of the customer's baskets hold both sides of the rule",
    ),
]


def rule_cover(segmented: bool) -> html.Div:
    """The card of the selected rule's customers (a basket file's: its count of baskets)."""
    title = "Who a rule covers" if segmented else "Which baskets a rule covers"
    return card(
        title,
        [
            dcc.Store(id=ids.COVER_VIEW),
            html.P(
                SELECT_A_RULE if segmented else SELECT_A_BASKET_RULE,
                id=ids.COVER_CAPTION,
                role="status",
            ),
            html.Div(
                [
                    html.Div(id=ids.COVER_TABLE),
                    download_link(ids.DOWNLOAD_COVERED, "Download these customers (CSV)"),
                ],
                id=ids.COVER_BOX,
                hidden=True,  # until a rule of a file with customers is selected
            ),
        ],
    )


def cover_grid(view: str) -> html.Div:
    """The grid of one rule's customers; it fetches its rows from the server page by page."""
    return grid(
        ids.cover_grid(view),
        COVER_COLUMNS,
        label="Customers who bought both sides of the selected rule",
        page_size=COVER_PAGE_SIZE,
        infinite=True,
    )


def customer_link(customer: str, prefix: str) -> str:
    """A customer as a Markdown link to the Customers page, which looks them up.

    >>> customer_link("17850", "/analytics/")
    '[17850](/analytics/customers?customer=17850)'
    >>> customer_link("a]b*", "/analytics/")
    '[a\\\\]b\\\\*](/analytics/customers?customer=a%5Db%2A)'
    """
    shown = "".join(f"\\{c}" if c in "\\`*_{}[]()<>#+-.!|~" else c for c in customer)
    return f"[{shown}]({page_path(prefix, 'customers')}?customer={quote(customer, safe='')})"
