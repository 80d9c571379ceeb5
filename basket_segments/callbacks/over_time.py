"""Over time page callbacks: ask for the comparison of periods (a job), draw the
migration from storage.

The long work and how its answer is read back are in ``over_time_work``; the clicked
cell's customers are ``over_time_cells``', each segment's products and rules per period
``over_time_products``' (each with its ``register``, called from here). Every view
answers from storage only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import plotly.graph_objects as go
from dash import Dash, Input, Output, State, set_props

from basket_segments import figures, ids
from basket_segments.analytics.errors import DataError
from basket_segments.callbacks import long_work, over_time_cells, over_time_products
from basket_segments.callbacks.common import NO_DATASET
from basket_segments.callbacks.over_time_work import OVER_TIME, stored
from basket_segments.layouts.common import message
from basket_segments.queries import OverTimeQuery, SegmentParams
from basket_segments.store import results
from basket_segments.store.owner import current_owner

if TYPE_CHECKING:
    from basket_segments.analytics.over_time import OverTime

SHOWN, HIDDEN = {}, {"display": "none"}


def init_over_time(_ready, active):
    """The segmentation the page follows, in words; its appearing asks for the comparison."""
    if active is None:
        return None, message(NO_DATASET, "info")
    try:
        params = results.current_segments(current_owner(), active)
    except DataError as error:
        return None, message(str(error))
    if params is None:
        return None, message(results.NO_SEGMENTATION, "info")
    return segmentation_words(params), None


def segmentation_words(params: SegmentParams) -> str:
    """The segmentation in one sentence.

    >>> segmentation_words(SegmentParams(("Recency", "Monetary"), 4, "standard"))
    'Segments as on the Segments page: K = 4 on Recency, Monetary, standardised.'
    """
    scaling = {"auto": "standardised, skewed ones as logarithms", "standard": "standardised"}
    how = scaling.get(params.scale, "as they are")
    return (
        f"Segments as on the Segments page: K = {params.k} on {', '.join(params.features)}, {how}."
    )


def used_controls(mode) -> tuple[bool, bool]:
    """Whether the split date and the days box are disabled: each serves one way of
    cutting (what the other ways would ignore is not offered).

    >>> used_controls("split"), used_controls("days"), used_controls("month")
    ((False, True), (True, False), (True, True))
    """
    return mode not in ("split", None), mode != "days"


def show_comparison(answer, later, value):
    """The later periods to pick from, the matrix and the flows of the one picked, the
    sizes per period (three periods or more) and a sentence, all from storage."""
    empty = ([], None, go.Figure(), go.Figure(), go.Figure(), HIDDEN, None)
    try:
        found = stored(answer)
    except DataError as error:
        set_props(ids.OVER_TIME_MESSAGE, {"children": message(str(error))})
        return empty
    if found is None:
        return empty
    query, over_time = found
    labels = list(over_time.periods.labels)
    reference = labels[over_time.reference]
    laters = [label for label in labels if label != reference]
    later = later if later in laters else laters[0]
    value = value if value in ("customers", "revenue") else "customers"
    cells = over_time.migration[over_time.migration["period"].to_numpy() == later]
    many = len(labels) > 2
    return (
        [{"label": label, "value": label} for label in laters],
        later,
        figures.migration_heatmap(cells, value, reference),
        figures.migration_sankey(cells, value, reference),
        figures.period_sizes(over_time.by_period, labels, over_time.names) if many else go.Figure(),
        SHOWN if many else HIDDEN,
        summary(over_time, query),
    )


def summary(over_time: OverTime, query: OverTimeQuery) -> str:
    """The periods compared and who moved, came and left, in one sentence."""
    labels = over_time.periods.labels
    migration = over_time.migration
    first = migration[migration["period"].to_numpy() == migration["period"].iat[0]]
    counts = {
        "new": int(first.loc[first["from_segment"].isna(), "customers"].sum()),
        "lapsed": int(first.loc[first["to_segment"].isna(), "customers"].sum()),
        "moved": int(
            first.loc[
                first["from_segment"].notna()
                & first["to_segment"].notna()
                & (first["from_segment"] != first["to_segment"]),
                "customers",
            ].sum()
        ),
    }
    return (
        f"{len(labels)} periods, segments fitted on {labels[over_time.reference]}. "
        f"By {first['period'].iat[0]}: {counts['moved']:,} customers moved to another "
        f"segment, {counts['new']:,} are new and {counts['lapsed']:,} made no purchase."
    )


def register(app: Dash) -> None:
    app.callback(
        Output(ids.OVER_TIME_SEGMENTATION, "children"),
        Output(ids.OVER_TIME_MESSAGE, "children"),
        Input(ids.OVER_TIME_READY, "data"),
        State(ids.ACTIVE_DATASET, "data"),
    )(init_over_time)
    app.callback(
        Output(ids.SPLIT_DATE, "disabled"),
        Output(ids.PERIOD_DAYS, "disabled"),
        Input(ids.PERIOD_MODE, "value"),
    )(used_controls)
    long_work.register(app, OVER_TIME)
    app.callback(
        Output(ids.LATER_PERIOD, "options"),
        Output(ids.LATER_PERIOD, "value"),
        Output(ids.MIGRATION_HEATMAP, "figure"),
        Output(ids.MIGRATION_SANKEY, "figure"),
        Output(ids.PERIOD_SIZES, "figure"),
        Output(ids.PERIOD_SIZES_BOX, "style"),
        Output(ids.MIGRATION_SUMMARY, "children"),
        Input(ids.OVER_TIME_WORK.answer, "data"),
        Input(ids.LATER_PERIOD, "value"),
        Input(ids.MIGRATION_VALUE, "value"),
        prevent_initial_call=True,
    )(show_comparison)
    over_time_cells.register(app)
    over_time_products.register(app)
