"""The Data page: upload or pick the sample, list stored datasets, inspect one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import dash_bootstrap_components as dbc
from dash import dcc, html

from basket_segments import ids
from basket_segments.layouts.common import choice_group, long_work, page_title
from basket_segments.layouts.grids import grid, text_columns

if TYPE_CHECKING:
    import pandas as pd

#: The value of a role's "(none)" choice: no column has that role.
NO_COLUMN = ""
UPLOAD_STYLE = {
    "borderStyle": "dashed",
    "borderWidth": "2px",
    "borderRadius": "8px",
    "padding": "1.5rem",
    "textAlign": "center",
    "cursor": "pointer",
}


def data_page(max_upload_bytes: int, upload_url: str) -> html.Div:
    """Upload area, sample button, messages, the dataset list and the details pane.

    The browser posts a dropped file to ``upload_url`` (``callbacks.data``).
    """
    upload = dcc.Upload(
        id=ids.UPLOAD,
        style=UPLOAD_STYLE,
        className="upload-zone",  # assets/upload.js names its file input
        multiple=False,
        children=html.Div(
            [
                html.B("Drag and drop a file here, or click to choose one"),
                html.Div(
                    f"CSV, Excel, Parquet or a basket file; up to "
                    f"{max_upload_bytes / 2**20:,.0f} MB",
                    className="text-muted small",
                ),
            ]
        ),
    )
    return html.Div(
        [
            dcc.Store(id=ids.UPLOAD_URL, data=upload_url),
            dcc.Store(id=ids.UPLOADED),
            page_title("Data"),
            dbc.Row(
                [
                    dbc.Col(upload, md=8),
                    dbc.Col(
                        dbc.Button(
                            "Try the sample dataset",
                            id=ids.LOAD_SAMPLE,
                            color="secondary",
                            className="w-100 h-100",
                        ),
                        md=4,
                    ),
                ],
                className="g-3 mb-3",
            ),
            long_work(ids.DATA_WORK),
            html.Div(id=ids.DATA_MESSAGE),
            dbc.Row(
                [
                    dbc.Col(
                        [html.H2("Your datasets", className="h4"), html.Div(id=ids.DATASET_LIST)],
                        lg=5,
                    ),
                    dbc.Col(html.Div(id=ids.DATASET_DETAILS), lg=7),
                ],
                className="g-4",
            ),
            html.Div(id=ids.DATASET_PREVIEW_BOX),
            delete_modal(),
        ],
        id=ids.DATA_PAGE,
    )


def delete_modal() -> dbc.Modal:
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Delete this dataset?")),
            dbc.ModalBody("The dataset and all its results will be removed for good."),
            dbc.ModalFooter(
                [
                    dbc.Button("Cancel", id=ids.DELETE_CANCEL, color="secondary"),
                    dbc.Button("Delete", id=ids.DELETE_CONFIRM, color="danger"),
                ]
            ),
            dcc.Store(id=ids.DELETE_PENDING),
        ],
        id=ids.DELETE_MODAL,
        is_open=False,
    )


def dataset_list(datasets: Sequence, active: int | None) -> html.Div:
    """One item per stored dataset: its name (wrapped, however long), what it holds and
    when it came, and Open and Delete buttons that keep their size at any width."""
    if not datasets:
        return html.P("No datasets yet: upload one or try the sample.", className="text-muted")
    items = [
        html.Li(
            [
                html.Div(
                    [
                        html.Div(
                            d.name,
                            className="fw-semibold text-break"
                            + (" active-name" if d.id == active else ""),
                        ),
                        html.Small(
                            f"{d.shape} · {size_text(d)} · {d.created:%Y-%m-%d %H:%M}",
                            className="text-body-secondary",
                        ),
                    ],
                    className="flex-grow-1 me-2",
                    style={"minWidth": 0},
                ),
                html.Div(
                    [
                        dbc.Button(
                            "Open",
                            id=ids.open_button(d.id),
                            size="sm",
                            className="me-1",
                            color="primary",
                            outline=d.id != active,
                            title=f"Open {d.name}",
                        ),
                        dbc.Button(
                            "Delete",
                            id=ids.delete_button(d.id),
                            size="sm",
                            color="danger",
                            outline=True,
                            title=f"Delete {d.name}",
                        ),
                    ],
                    className="text-nowrap flex-shrink-0",
                ),
            ],
            className="list-group-item d-flex align-items-center"
            + (" border-start border-4 border-primary" if d.id == active else ""),
            **({"aria-current": "true"} if d.id == active else {}),
        )
        for d in datasets
    ]
    return html.Ul(items, className="list-group", id=ids.DATASET_ITEMS)


def size_text(info) -> str:
    """A dataset's size in what it holds: baskets, customers, or purchase rows.

    >>> from types import SimpleNamespace as Info
    >>> size_text(Info(shape="baskets", rows=29363, customers=0, report={"baskets": 7501}))
    '7,501 baskets'
    """
    if info.shape == "baskets":
        return f"{info.report.get('baskets', info.rows):,} baskets"
    if info.shape == "customers":
        return f"{info.customers:,} customers"
    return f"{info.rows:,} purchase rows"


def counts_text(info) -> str:
    """What the dataset holds, each count saying what it counts.

    >>> from types import SimpleNamespace as Info
    >>> counts_text(Info(shape="baskets", rows=29363, customers=0, products=119,
    ...                  report={"baskets": 7501, "product_lines": 28577}))
    '7,501 baskets · 28,577 product lines · 119 products'
    >>> counts_text(Info(shape="transactions", rows=42481, customers=885, products=2610,
    ...                  report={"rows_kept": 26056}))
    '26,056 usable purchase rows of 42,481 read · 885 customers · 2,610 products'
    """
    report = info.report
    if info.shape == "baskets":
        lines = report.get("product_lines", info.rows)
        baskets = report.get("baskets", 0)
        return f"{baskets:,} baskets · {lines:,} product lines · {info.products:,} products"
    if info.shape == "customers":
        return f"{info.customers:,} customers · {info.rows:,} rows read"
    kept = report.get("rows_kept", info.rows)
    rows = (
        f"{kept:,} purchase rows"
        if kept == info.rows
        else (f"{kept:,} usable purchase rows of {info.rows:,} read")
    )
    return f"{rows} · {info.customers:,} customers · {info.products:,} products"


def dataset_details(info, columns: list[str]) -> dbc.Card:
    """Name (renamable), shape, counts, cleaning report and column roles."""
    from basket_segments.analytics.cleaning import describe_report
    from basket_segments.analytics.prepare import SHAPES

    counts = counts_text(info)
    return dbc.Card(
        dbc.CardBody(
            [
                dbc.Label("Dataset name", html_for=ids.RENAME_INPUT),
                dbc.InputGroup(
                    [
                        dbc.Input(id=ids.RENAME_INPUT, value=info.name, maxLength=120),
                        dbc.Button("Rename", id=ids.RENAME, color="secondary"),
                    ],
                    className="mb-2",
                ),
                html.P(
                    [
                        dbc.Badge(info.shape, color="info", text_color="dark", className="me-2"),
                        SHAPES.get(info.shape, ""),
                    ],
                    className="mb-1",
                ),
                html.P(counts, className="text-muted"),
                html.H2("Cleaning report", className="h5"),
                html.Ul([html.Li(line) for line in describe_report(info.report)]),
                html.H2("Column roles", className="h5"),
                role_controls(info.roles, columns),
            ]
        )
    )


def dataset_preview(preview: pd.DataFrame) -> html.Div:
    """The first rows as read, across the page's width (each value whole, wrapped)."""
    return html.Div(
        [
            html.H2("First rows", className="h5 mt-3"),
            grid(
                ids.DATA_PREVIEW,
                text_columns(preview.columns),
                preview.astype(str)
                .set_axis([str(c) for c in preview.columns], axis=1)
                .to_dict("records"),
                label="The first rows of the file, as read",
                page_size=10,
            ),
        ]
    )


def role_controls(roles: dict, columns: list[str]) -> html.Div:
    """A choice per role, preset to the detected column ("(none)": no column has the
    role), and for data with customer attributes a checkbox per column that is a
    category; "Apply" re-reads the data."""
    from basket_segments.analytics.columns import ROLE_SYNONYMS
    from basket_segments.analytics.prepare import CATEGORIES

    options = [{"label": "(none)", "value": NO_COLUMN}, *columns]
    fields = [
        dbc.Col(
            [
                dbc.Label(role.replace("_", " "), html_for=ids.dom_id(ids.role_choice(role))),
                dbc.Select(
                    id=ids.role_choice(role),
                    options=options,
                    value=roles.get(role) or NO_COLUMN,
                ),
            ],
            md=4,
        )
        for role in ROLE_SYNONYMS
    ]
    if CATEGORIES in roles:  # data with customer attributes: which are codes, not amounts
        fields.append(
            dbc.Col(
                choice_group(
                    "category columns (codes, ids: not features)",
                    dbc.Checklist(
                        id=ids.role_choice(CATEGORIES),
                        options=columns,
                        value=list(roles[CATEGORIES]),
                        inline=True,
                    ),
                ),
                md=12,
            )
        )
    return (
        html.Div(
            [
                dbc.Row(fields, className="g-2"),
                dbc.Button(
                    "Apply roles", id=ids.APPLY_ROLES, color="primary", size="sm", className="mt-2"
                ),
            ]
        )
        if columns
        else html.P("A basket file has no columns to assign.", className="text-muted")
    )
