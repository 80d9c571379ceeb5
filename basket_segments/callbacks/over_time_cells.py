"""The Over time page's clicked cell: a click on the migration's heatmap (or a flow of
its Sankey) names a cell, whose customers the grid lists, page by page from the
server, with their features in both periods, and a CSV of exactly those rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dash import MATCH, Dash, Input, Output, State, no_update, set_props

from basket_segments import ids
from basket_segments.analytics.errors import DataError
from basket_segments.callbacks.common import download_link
from basket_segments.callbacks.grid_rows import filtered, rows_block, sorted_rows
from basket_segments.callbacks.over_time_work import OVER_TIME, answered_query, stored
from basket_segments.layouts import over_time as layout
from basket_segments.layouts.common import DOWNLOAD_WAITING
from basket_segments.queries import whole_number
from basket_segments.store import results
from basket_segments.store.owner import current_owner
from basket_segments.web import downloads

if TYPE_CHECKING:
    import pandas as pd

#: The download of the clicked cell's customers, as the grid lists them.
MOVED_FILE = "moved_customers.csv"
NO_ROWS = {"rowData": [], "rowCount": 0}
DAMAGED = "That request is damaged; change a setting to ask again."


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
        return None, layout.no_moved_grid(), layout.CLICK_A_CELL
    view = {"answer": answer, "cell": cell}
    try:
        table = cell_table(current_owner(), view)
    except DataError as error:
        return None, layout.no_moved_grid(), str(error)
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
        return f"{customers} of {source} made no purchase in {period}."
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
