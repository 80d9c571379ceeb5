"""The Customers page: look up one customer, their segment, where they stand in it, what
they bought and what to offer them next."""

from __future__ import annotations

from typing import TYPE_CHECKING

import dash_bootstrap_components as dbc
from dash import dcc, html

from basket_segments import figures, ids
from basket_segments.layouts.common import (
    card,
    long_work,
    no_dataset_open,
    not_applicable,
    page_path,
    page_title,
)
from basket_segments.layouts.grids import Column, grid

if TYPE_CHECKING:
    import pandas as pd

    from basket_segments.analytics.typicality import Apart, Typicality

#: Purchases listed in full up to this many; beyond, the count says the rest.
SHOWN_PURCHASES = 40
#: The customer box's placeholder until the open dataset names one of its customers.
NEUTRAL_PLACEHOLDER = "Customer id"


def customer_placeholder(example: str | None) -> str:
    """What the customer box suggests: a real id of the open dataset, so the user sees
    the form its ids take (a made-up one misleads: the sample's look like C000002).

    >>> customer_placeholder("C000002"), customer_placeholder(None)
    ('Customer id, e.g. C000002', 'Customer id')
    """
    return f"{NEUTRAL_PLACEHOLDER}, e.g. {example}" if example else NEUTRAL_PLACEHOLDER


def customers_page(shape: str | None, prefix: str) -> html.Div:
    """The Customers page for the open dataset's shape; one sentence where it does not apply."""
    if shape is None:
        return no_dataset_open("Customers", prefix, ids.CUSTOMERS_PAGE)
    if shape == "baskets":
        return not_applicable(
            "Customers",
            "This dataset holds baskets without customers, so there is no customer to look "
            "up; its rules are on the",
            "Rules page",
            page_path(prefix, "rules"),
            ids.CUSTOMERS_PAGE,
        )
    return html.Div(
        [
            page_title("Customers"),
            card(
                "Look up a customer",
                [
                    dbc.Label("Customer id", html_for=ids.CUSTOMER_INPUT),
                    dbc.InputGroup(
                        [
                            dbc.Input(id=ids.CUSTOMER_INPUT, placeholder=NEUTRAL_PLACEHOLDER),
                            dbc.Button("Look up", id=ids.CUSTOMER_LOOKUP, color="primary"),
                        ]
                    ),
                ],
            ),
            dcc.Store(id=ids.CUSTOMERS_READY, data=0),  # fills the placeholder when shown
            long_work(ids.CUSTOMERS_WORK),
            html.Div(id=ids.CUSTOMER_MESSAGE),
            dcc.Loading(html.Div(id=ids.CUSTOMER_RESULT)),
        ],
        id=ids.CUSTOMERS_PAGE,
    )


def customer_card(
    customer: str,
    segment: int | None,
    segment_name: str | None,
    standing: pd.DataFrame | None,
    typical: Typicality | None,
    bought: list[str] | None,
    recommendations: pd.DataFrame | None,
    source_note: str | None,
    periods: pd.DataFrame | None = None,
) -> dbc.Card:
    """Who the customer is, where they stand in their segment, their segment in each
    period (where the Over time page compared periods) and, where the data has products,
    what they bought and what to offer them next, with reasons."""
    body = [html.H2(f"Customer {customer}", className="h4 mb-1")]
    if segment is not None:
        body.append(
            html.Div(
                [html.Span("Segment: ", className="text-muted"), segment_name],
                style={
                    "borderLeft": f"6px solid {figures.segment_colour(segment)}",
                    "paddingLeft": "0.5rem",
                },
                id=ids.CUSTOMER_SEGMENT,
            )
        )
    if typical is not None:
        body.append(html.P(typicality_sentence(typical), id=ids.CUSTOMER_TYPICALITY))
    if standing is not None:
        body += [html.H3("Against the segment", className="h5 mt-3"), _standing_table(standing)]
    if periods is not None:
        body += [html.H3("Segment in each period", className="h5 mt-3"), periods_strip(periods)]
    if bought is not None:
        more = len(bought) - SHOWN_PURCHASES
        shown = ", ".join(bought[:SHOWN_PURCHASES]) + (f" and {more:,} more" if more > 0 else "")
        body += [
            html.H3("Bought", className="h5 mt-3"),
            html.P(shown or "Nothing recorded.", id=ids.CUSTOMER_BOUGHT),
        ]
    if recommendations is not None:
        body += [
            html.H3("Recommended next", className="h5"),
            _recommendations(recommendations),
            html.P(source_note, className="text-muted small mt-2") if source_note else None,
        ]
    return dbc.Card(dbc.CardBody([part for part in body if part is not None]))


#: A period in which the customer bought nothing, in the strip of periods.
NO_PURCHASE_IN_PERIOD = "no purchase in this period"


def periods_strip(periods: pd.DataFrame) -> html.Ol:
    """The customer's segment in each period, in order, each in its segment's colour
    (``analytics.over_time.customer_periods``): the period, the segment's name and the
    features the segments were fitted on, as that period's purchases gave them.

    >>> import pandas as pd
    >>> table = pd.DataFrame({"period": ["A", "B"], "segment": pd.array([1, None], "Int64"),
    ...     "segment_name": ["Big", None], "Monetary": [1234.5, float("nan")]})
    >>> [item.children[1].children for item in periods_strip(table).children]
    ['Big', 'no purchase in this period']
    """
    import pandas as pd

    features = [c for c in periods.columns if c not in ("period", "segment", "segment_name")]
    items = []
    for row in periods.to_dict("records"):
        absent = bool(pd.isna(row["segment"]))
        colour = figures.ALL_COLOUR if absent else figures.segment_colour(int(row["segment"]))
        name = NO_PURCHASE_IN_PERIOD if absent else row["segment_name"]
        values = "" if absent else ", ".join(f"{f} {_figure(row[f])}" for f in features)
        items.append(
            html.Li(
                [
                    html.Span(f"{row['period']}: ", className="text-muted"),
                    html.Strong(name) if not absent else html.Span(name),
                    html.Span(f" ({values})" if values else "", className="small"),
                ],
                style={"borderLeft": f"6px solid {colour}", "paddingLeft": "0.5rem"},
                className="mb-1",
            )
        )
    return html.Ol(items, id=ids.CUSTOMER_PERIODS, className="list-unstyled mb-0")


def typicality_sentence(typical: Typicality) -> str:
    """How typical the customer is of its segment, in words. A segment's name describes its
    centre; a customer far from it is told so, and on what they differ, so that "big spend"
    beside a small spender reads as the segment's name, not a mistake.

    >>> from basket_segments.analytics.typicality import Apart, Typicality
    >>> typicality_sentence(Typicality(0.3, 120, ()))
    'Typical of its segment: nearer its centre than most of its customers.'
    >>> typicality_sentence(Typicality(0.93, 120, (Apart("Monetary", 307.36, 769.0),)))
    ... # doctest: +NORMALIZE_WHITESPACE
    "Less typical than 9 in 10 of this segment's customers: the name describes the segment,
    not this customer; on Monetary (307) this customer is below the segment's median (769)."
    """
    tenths = int(typical.farther_than * 10)
    if typical.segment_size == 1:
        return "The only customer of its segment."
    if typical.farther_than < 0.5:
        return "Typical of its segment: nearer its centre than most of its customers."
    if not typical.atypical:
        return (
            "Fairly typical of its segment: farther from its centre than "
            f"{tenths} in 10 of its customers."
        )
    than = f"{tenths} in 10 of this segment's customers"
    if typical.farther_than == 1:
        than = "any other customer of this segment"
    words = f"Less typical than {than}: the name describes the segment, not this customer"
    return words + "".join(_apart_words(typical.apart)) + "."


def _apart_words(apart: tuple[Apart, ...]) -> list[str]:
    """Clauses naming the features that set the customer apart from the segment's median.

    >>> from basket_segments.analytics.typicality import Apart
    >>> _apart_words((Apart("Income", 60.0, 33.0), Apart("Age", 18.5, 22.0)))[1]
    ', and on Age (18.5) below it (22)'
    """
    words = []
    for far in apart:
        side = "above" if far.value > far.segment_median else "below"
        if far.value == far.segment_median:
            side = "at"
        value, median = _figure(far.value), _figure(far.segment_median)
        if words:
            words.append(f", and on {far.feature} ({value}) {side} it ({median})")
        else:
            words.append(
                f"; on {far.feature} ({value}) this customer is {side} the segment's "
                f"median ({median})"
            )
    return words


def _figure(value: float) -> str:
    """A number as a sentence shows it: whole from 100 up, else three significant digits.

    >>> _figure(307.36), _figure(1152.3), _figure(18.5), _figure(2.0)
    ('307', '1,152', '18.5', '2')
    """
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _standing_table(standing: pd.DataFrame):
    columns = [Column(c, c, None if c == "feature" else ",.1f") for c in standing.columns]
    return grid(
        ids.CUSTOMER_STANDING,
        columns,
        _records(standing),
        label="The customer's features against the segment's and everyone's means",
    )


#: The recommendations grid: what, why, and how strong the rule behind it is.
RECOMMENDATION_GRID = [
    Column("product", "product", pinned=True, wrap=True),
    Column("source", "from"),
    Column("confidence", "confidence", ".0%"),
    Column("lift", "lift", ".1f"),
    Column("reason", "why", wrap=True),
]


def _recommendations(recommendations: pd.DataFrame):
    if not len(recommendations):
        return html.P("No products left to recommend.", className="text-muted")
    return grid(
        ids.CUSTOMER_RECOMMENDATIONS,
        RECOMMENDATION_GRID,
        _records(recommendations),
        label="Products to recommend to this customer",
    )


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows for a grid; missing numbers as None, which the grid shows as blank."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")
