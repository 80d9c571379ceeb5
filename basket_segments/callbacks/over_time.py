"""Over time page callbacks: compare periods in a job, draw the migration from storage,
list a clicked cell's customers.

Asking resolves the period controls and the dataset's own segmentation (the
Segments page's) into one ``OverTimeQuery``; the answer carries it, so the
views, the grid and the download read it back instead of resolving again, and
answer from the stored comparison only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
from dash import MATCH, Dash, Input, Output, State, no_update, set_props

from basket_segments import figures, ids
from basket_segments.analytics.errors import DataError
from basket_segments.callbacks import long_work
from basket_segments.callbacks.common import NO_DATASET, download_link
from basket_segments.callbacks.grid_rows import filtered, rows_block, sorted_rows
from basket_segments.layouts import over_time as layout
from basket_segments.layouts.common import DOWNLOAD_WAITING, message
from basket_segments.queries import (
    OverTimeQuery,
    SegmentParams,
    period_choice,
    whole_number,
)
from basket_segments.store import results
from basket_segments.store.owner import current_owner
from basket_segments.web import downloads

if TYPE_CHECKING:
    import pandas as pd

    from basket_segments.analytics.over_time import OverTime

#: The download of the clicked cell's customers, as the grid lists them.
MOVED_FILE = "moved_customers.csv"
SHOWN, HIDDEN = {}, {"display": "none"}
NO_ROWS = {"rowData": [], "rowCount": 0}
DAMAGED = "That request is damaged; change a setting to ask again."


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


def asked_query(owner: str, request: dict) -> OverTimeQuery:
    """The query of a request: its periods checked, on the dataset's own segmentation."""
    choice = period_choice(request["mode"], request["split"], request["days"])
    return results.over_time_query(owner, request["dataset"], choice)


def over_time_ready(owner: str, request: dict) -> dict | bool | None:
    """What the answer carries when the comparison is stored; False when a job must make
    it; None when no dataset is open."""
    if request["dataset"] is None:
        return None
    query = asked_query(owner, request)
    return {"query": query.to_json()} if results.over_time_ready(owner, query) else False


def compare_periods(owner: str, request: dict, report) -> dict:
    """Compare the periods asked for and store the comparison (in a background job)."""
    query = asked_query(owner, request)
    results.over_time(owner, query, report=report)
    return {"query": query.to_json()}


OVER_TIME = long_work.LongWork(
    ids=ids.OVER_TIME_WORK,
    message=ids.OVER_TIME_MESSAGE,
    request={
        "dataset": State(ids.ACTIVE_DATASET, "data"),
        "mode": Input(ids.PERIOD_MODE, "value"),
        "split": Input(ids.SPLIT_DATE, "value"),
        "days": Input(ids.PERIOD_DAYS, "value"),
    },
    # The page's segmentation is read first (init_over_time), then the comparison asked for.
    triggers=[Input(ids.OVER_TIME_SEGMENTATION, "children")],
    ready=over_time_ready,
    compute=compare_periods,
)


def answered_query(answer: Any) -> OverTimeQuery | None:
    """The query an answer answers (checked again: it came back from the browser)."""
    if OVER_TIME.answered(answer) is None:
        return None
    return OverTimeQuery.from_json((long_work.result_of(answer) or {}).get("query"))


def stored(answer: Any) -> tuple[OverTimeQuery, OverTime] | None:
    """The answered query and its stored comparison (None: no answer yet)."""
    query = answered_query(answer)
    if query is None:
        return None
    return query, results.over_time(current_owner(), query, only_cached=True)


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
        "new": int(first.loc[first["from"] == "new", "customers"].sum()),
        "lapsed": int(first.loc[first["to"] == "lapsed", "customers"].sum()),
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
        f"segment, {counts['new']:,} are new and {counts['lapsed']:,} lapsed."
    )


def select_cell(heatmap_click, sankey_click, later, answer):
    """A click on a cell (or a flow) names the cell: its later period and its segments,
    -1 for new and lapsed. Anything else than Plotly's click data selects nothing."""
    from dash import ctx

    sankey = ctx.triggered_id == ids.MIGRATION_SANKEY
    points = (sankey_click if sankey else heatmap_click) or {}
    points = points.get("points") if isinstance(points, dict) else None
    point = points[0] if isinstance(points, list) and points else None
    if not isinstance(point, dict) or not isinstance(later, str):
        return no_update
    try:
        found = stored(answer)
    except DataError:
        return no_update
    codes = clicked_cell(point, len(found[1].names)) if found else None
    return no_update if codes is None else {"period": later, "from": codes[0], "to": codes[1]}


def clicked_cell(point: dict, k: int) -> tuple[int, int] | None:
    """The segments of a clicked cell (-1: new, lapsed): a flow carries them as text
    ("from,to"); a heatmap cell is at its row and column, segments in order, then new
    (a row) or lapsed (a column). Dash keeps only a point's plain values.

    >>> clicked_cell({"customdata": "2,-1"}, 4), clicked_cell({"x": 4, "y": 1}, 4)
    ((2, -1), (1, -1))
    >>> clicked_cell({"x": 5, "y": 1}, 4), clicked_cell({"customdata": "a,b"}, 4)
    (None, None)
    """
    data = point.get("customdata")
    if isinstance(data, str) and data.count(",") == 1:
        codes = [whole_number(part) for part in data.split(",")]
    else:
        codes = [whole_number(point.get("y")), whole_number(point.get("x"))]
        codes = [-1 if code == k else code for code in codes]
    if any(code is None or not -1 <= code < k for code in codes) or codes == [-1, -1]:
        return None
    return codes[0], codes[1]


def forget_cell(_answer, _later):
    """A new comparison or another later period: no cell is selected."""
    return None


def cell_table(owner: str, view: Any) -> pd.DataFrame:
    """The customers of a view's cell with their features in both periods, from storage;
    a ``DataError`` for a view or cell that is not one."""
    from basket_segments.analytics.migration import cell_customers

    cell = view.get("cell") if isinstance(view, dict) else None
    query = answered_query(view.get("answer")) if isinstance(view, dict) else None
    if query is None or not isinstance(cell, dict):
        raise DataError(DAMAGED)
    over_time = results.over_time(owner, query, only_cached=True)
    labels = list(over_time.periods.labels)
    reference = labels[over_time.reference]
    k = len(over_time.names)
    source, target = whole_number(cell.get("from")), whole_number(cell.get("to"))
    period = cell.get("period")
    inside = [code is not None and -1 <= code < k for code in (source, target)]
    if not all(inside) or period not in labels or period == reference or source == target == -1:
        raise DataError(DAMAGED)
    return cell_customers(
        over_time.by_period,
        reference,
        period,
        None if source == -1 else source,
        None if target == -1 else target,
    )


def show_cell(cell, answer):
    """A new grid for the clicked cell's customers, and a sentence naming the cell."""
    if not isinstance(cell, dict) or OVER_TIME.answered(answer) is None:
        return None, layout.moved_grid("none", ()), layout.CLICK_A_CELL
    view = {"answer": answer, "cell": cell}
    try:
        table = cell_table(current_owner(), view)
    except DataError as error:
        return None, layout.moved_grid("none", ()), str(error)
    grid = layout.moved_grid(ids.view_token(view), list(table.columns))
    return view, grid, cell_sentence(table, cell)


def cell_sentence(table: pd.DataFrame, cell: dict) -> str:
    """Who the cell's customers are, in words (an empty cell of new customers said only
    "0 customers").

    >>> import pandas as pd
    >>> cell_sentence(pd.DataFrame({"from": [], "to": []}), {"period": "2011-06", "from": -1,
    ...     "to": 2})
    'No customer in this cell by 2011-06.'
    """
    count = len(table)
    customers = f"{count:,} customer{'' if count == 1 else 's'}"
    period = cell["period"]
    if not count:
        return f"No customer in this cell by {period}."
    if cell["from"] == -1:
        return f"{customers} new in {period}, in {table['to'].iat[0]}."
    source, target = table["from"].iat[0], table["to"].iat[0]
    if cell["to"] == -1:
        return f"{customers} of {source} lapsed by {period}."
    if cell["from"] == cell["to"]:
        return f"{customers} of {source} stayed there in {period}."
    return f"{customers} moved from {source} to {target} by {period}."


def moved_rows(grid_request, view, prefix: str | None = None):
    """One block of the cell's grid, after the grid's own filters and sort; its first
    block points the download at exactly these rows in this order."""
    try:
        table = cell_table(current_owner(), view)
    except DataError:
        return NO_ROWS  # answered all the same: a request left waiting jams the grid's loader
    asked = grid_request if isinstance(grid_request, dict) else {}
    if prefix is not None and not asked.get("startRow"):
        grid = {key: asked.get(key) for key in ("sortModel", "filterModel")}
        href, look = download_link(prefix, MOVED_FILE, {"request": {"view": view, **grid}})
        set_props(ids.DOWNLOAD_MOVED, {"href": href, "className": look})
    return rows_block(table, grid_request)


def moved_table(owner: str, asked: dict) -> pd.DataFrame:
    """ "Download these customers": exactly the rows the grid lists, in its order."""
    table = filtered(cell_table(owner, asked.get("view")), asked.get("filterModel"))
    return sorted_rows(table, asked.get("sortModel"))


def register(app: Dash) -> None:
    downloads.add_table(MOVED_FILE, moved_table)
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
    app.callback(
        Output(ids.MIGRATION_CELL, "data"),
        Input(ids.MIGRATION_HEATMAP, "clickData"),
        Input(ids.MIGRATION_SANKEY, "clickData"),
        State(ids.LATER_PERIOD, "value"),
        State(ids.OVER_TIME_WORK.answer, "data"),
        prevent_initial_call=True,
    )(select_cell)
    app.callback(
        Output(ids.MIGRATION_CELL, "data", allow_duplicate=True),
        Input(ids.OVER_TIME_WORK.answer, "data"),
        Input(ids.LATER_PERIOD, "value"),
        prevent_initial_call=True,
    )(forget_cell)
    app.callback(
        Output(ids.MOVED_VIEW, "data"),
        Output(ids.MOVED_TABLE, "children"),
        Output(ids.MOVED_CAPTION, "children"),
        Input(ids.MIGRATION_CELL, "data"),
        State(ids.OVER_TIME_WORK.answer, "data"),
        prevent_initial_call=True,
    )(show_cell)
    prefix = app.config.url_base_pathname
    app.callback(
        Output(ids.moved_grid(MATCH), "getRowsResponse"),
        Input(ids.moved_grid(MATCH), "getRowsRequest"),
        State(ids.MOVED_VIEW, "data"),
        prevent_initial_call=True,
    )(lambda grid_request, view: moved_rows(grid_request, view, prefix))
    app.callback(
        Output(ids.DOWNLOAD_MOVED, "href"),
        Output(ids.DOWNLOAD_MOVED, "className"),
        Input(ids.MOVED_VIEW, "data"),
    )(lambda _view: (None, DOWNLOAD_WAITING))  # until the new grid's rows are there
