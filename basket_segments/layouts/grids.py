"""Every table of the dashboard, as an AG Grid (dash-ag-grid): text left, numbers right
and formatted, with column filters, sorting, resizing and pinning.

Small tables travel whole (``rows``); the rules table asks the server for one
block at a time (``infinite=True``, answered by ``grid_rows.rows_block``), so a
segment's tens of thousands of rules never reach the browser at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import dash_ag_grid as dag
from dash import html

#: Rows per page of a paged grid, and rows per block the rules grid fetches.
PAGE_SIZE = 15
BLOCK_SIZE = 100
#: The height of a grid whose rows come from the server (its page fills it).
INFINITE_HEIGHT = "640px"
#: Rows of a grid whose rows come from the server have one height (AG Grid's infinite
#: model places rows it has not loaded yet): three lines of wrapped text.
WRAPPED_ROW_HEIGHT = 64
#: Text columns to read whole (product names, rule sides) are at least this wide.
TEXT_MIN_WIDTH = 200
#: What an empty grid says (AG Grid's own "No Rows To Show" reads like a result).
NO_ROWS = "Nothing to show yet."


@dataclass(frozen=True)
class Column:
    """One column: its field, its header, and for numbers a d3 format (``.2f``, ``.0%``)."""

    field: str
    header: str
    number: str | None = None
    pinned: bool = False
    #: Text to read whole (names of products): wrapped over lines, never cut.
    wrap: bool = False
    #: What the header means, in one line of plain words (a tooltip on the header).
    tip: str | None = None
    #: Left out of view until the user asks for it (its values still travel with the rows).
    hidden: bool = False
    #: Values written as a Markdown link (``[name](address)``), shown as the link.
    link: bool = False


def column_defs(columns: Sequence[Column]) -> list[dict]:
    """AG Grid column definitions: numbers right-aligned, formatted and filtered as numbers;
    text left-aligned with a text filter; pinned columns stay put when scrolling sideways."""
    defs = []
    for column in columns:
        spec: dict = {
            "field": column.field,
            "headerName": column.header,
            "minWidth": header_width(column.header),
        }
        if column.number:
            spec.update(
                type="rightAligned",
                cellDataType="number",
                filter="agNumberColumnFilter",
                valueFormatter={
                    "function": (
                        f"params.value == null ? '' : d3.format('{column.number}')(params.value)"
                    )
                },
            )
        else:
            spec.update(cellDataType="text", filter="agTextColumnFilter")
        if column.wrap:
            spec.update(
                wrapText=True,
                minWidth=max(TEXT_MIN_WIDTH, header_width(column.header)),
                flex=2,
                tooltipField=column.field,
                cellStyle={"lineHeight": "1.35", "wordBreak": "normal"},
            )
        if column.pinned:
            spec["pinned"] = "left"
        if column.tip:
            spec["headerTooltip"] = column.tip
        if column.hidden:
            spec["hide"] = True
        if column.link:
            spec["cellRenderer"] = "markdown"
        defs.append(spec)
    return defs


def header_width(header: str) -> int:
    """The narrowest a column may be so that its header wraps between words, never inside
    one ("confide / nce"): the longest word, at about 7.5 px a character, plus the filter
    and sort icons.

    >>> header_width("confidence"), header_width("lift"), header_width("lift vs all customers")
    (137, 100, 130)
    """
    longest = max((len(word) for word in header.split()), default=0)
    return max(100, round(7.5 * longest + 62))


def text_columns(names: Sequence[str], pinned_first: bool = True) -> list[Column]:
    """Columns of text, one per name (a preview of a file: every value as read, wrapped)."""
    return [
        Column(str(name), str(name), pinned=pinned_first and i == 0, wrap=True)
        for i, name in enumerate(names)
    ]


def grid(
    grid_id: str | dict,
    columns: Sequence[Column] = (),
    rows: list[dict] | None = None,
    *,
    label: str,
    page_size: int | None = None,
    infinite: bool = False,
    region_id: str | None = None,
    selectable: bool = False,
) -> html.Div:
    """A grid with the dashboard's defaults, in a region that ``label`` names for screen
    readers (callbacks address the grid by ``grid_id``; a job marks the region busy by
    ``region_id`` while it computes the grid's rows: ``long_work.LongWork.busy``); in a
    ``selectable`` grid a click on a row selects it (one at a time: ``selectedRows``)."""
    options: dict = {
        "animateRows": False,
        "enableCellTextSelection": True,
        "ensureDomOrder": True,  # screen readers and tests read rows in order
        "suppressDragLeaveHidesColumns": True,
        "suppressFieldDotNotation": True,  # "Score 1.5" is a column, not a path
    }
    if selectable:
        options["rowSelection"] = {
            "mode": "singleRow",
            "checkboxes": False,
            "enableClickSelection": True,
        }
    if page_size:
        options.update(pagination=True, paginationPageSize=page_size)
        options["paginationPageSizeSelector"] = False
    extra: dict = {}
    style = {"width": "100%"}
    options["overlayNoRowsTemplate"] = NO_ROWS
    defs = column_defs(columns)
    if infinite:  # its rows arrive as the grid scrolls, so it needs a height of its own
        # One request at a time: dash-ag-grid answers the latest request it made.
        options.update(
            cacheBlockSize=BLOCK_SIZE, maxBlocksInCache=20, maxConcurrentDatasourceRequests=1
        )
        if any(column.wrap for column in columns):
            options["rowHeight"] = WRAPPED_ROW_HEIGHT
        extra["rowModelType"] = "infinite"
        style["height"] = INFINITE_HEIGHT
    else:
        options["domLayout"] = "autoHeight"
        extra["rowData"] = rows or []
        for spec in defs:  # rows of the whole table grow to their text
            if spec.get("wrapText"):
                spec["autoHeight"] = True
    table = dag.AgGrid(
        id=grid_id,
        columnDefs=defs,
        # Headers wrap instead of being cut ("me..." for every one of 16 columns).
        defaultColDef={
            "sortable": True,
            "resizable": True,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
        },
        columnSize="responsiveSizeToFit",
        dashGridOptions=options,
        style=style,
        className="bs-grid",
        **extra,
    )
    region = {"id": region_id} if region_id else {}
    return html.Div(table, role="region", **{"aria-label": label}, **region)
