"""The Segments page: controls, K suggestion, scatter, pie, profiles, silhouettes."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from basket_segments import ids
from basket_segments.layouts import words
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
from basket_segments.layouts.grids import Column, column_defs, grid
from basket_segments.queries import DEFAULT_K, MAX_K, MIN_K, SCALING_CHOICES

#: The axes' first choices: the features that set the segments apart the most (short
#: enough to read whole in the select at 1024 px: "Second most telling feature" was cut).
AUTO_AXES = (
    {"label": "Most telling", "value": "auto-1"},
    {"label": "2nd most telling", "value": "auto-2"},
)


def segments_page(shape: str | None, prefix: str) -> html.Div:
    """The Segments page for the open dataset's shape; one sentence where it does not apply."""
    if shape is None:
        return no_dataset_open("Segments", prefix, ids.SEGMENTS_PAGE)
    if shape == "baskets":
        return not_applicable(
            "Segments",
            "This dataset holds baskets without customers, so there is nobody to segment; "
            "its rules are on the",
            "Rules page",
            page_path(prefix, "rules"),
            ids.SEGMENTS_PAGE,
        )
    return html.Div(
        [
            dcc.Store(id=ids.SEGMENTS_READY, data=0),
            dcc.Store(id=ids.SUGGESTED_K),
            page_title("Segments"),
            long_work(ids.SEGMENTS_WORK),
            html.Div(id=ids.SEGMENT_MESSAGE),
            controls(),
            dbc.Row(
                [
                    dbc.Col(
                        html.Div(
                            [
                                html.Span(id=ids.SELECTION_BADGE, className="me-2"),
                                dbc.Button(
                                    "Show all segments",
                                    id=ids.CLEAR_SELECTION,
                                    size="sm",
                                    color="secondary",
                                    outline=True,
                                ),
                            ]
                        ),
                        className="mb-2",
                    ),
                ]
            ),
            dbc.Row(
                [
                    dbc.Col(
                        card(
                            "Customers",
                            [
                                dbc.Row(
                                    [
                                        labelled("Across", ids.X_AXIS, md=4),
                                        labelled("Up", ids.Y_AXIS, md=4),
                                        labelled("Colour by", ids.COLOUR_BY, md=4),
                                    ],
                                    className="g-2 mb-2",
                                ),
                                chart(
                                    ids.SEGMENT_SCATTER,
                                    "Scatter plot of the customers on the two attributes chosen "
                                    "above, one colour per segment; the segment profiles table "
                                    "below gives each segment's figures.",
                                ),
                            ],
                        ),
                        xl=7,  # below 1200 px the scatter takes the width, the pie below
                    ),
                    dbc.Col(
                        card(
                            "Sizes",
                            chart(
                                ids.SEGMENT_PIE,
                                "Pie chart of how many customers each segment holds; the "
                                "segment profiles table below lists the same counts.",
                            ),
                        ),
                        xl=5,
                    ),
                ],
                className="g-3 mb-3",
            ),
            card(
                "Segment profiles",
                [
                    grid(ids.PROFILE_TABLE, label="Segment profiles", region_id=ids.PROFILE_REGION),
                    html.Div(
                        [
                            download_link(ids.DOWNLOAD_PROFILES, "Download these profiles (CSV)"),
                            download_link(
                                ids.DOWNLOAD_SEGMENTS, "Download every segment's customers (CSV)"
                            ),
                        ],
                        className="d-flex flex-wrap gap-3",
                    ),
                ],
            ),
            card(
                "How well separated are the segments?",
                chart(
                    ids.SILHOUETTE_CHART,
                    "Bar chart of each segment's silhouette score, from -1 (its customers are "
                    "mixed with other segments) to 1 (well separated).",
                ),
            ),
        ],
        id=ids.SEGMENTS_PAGE,
    )


def labelled(label: str, component_id: str, md: int) -> dbc.Col:
    """A single choice (a select, filled by ``callbacks.segments``) with its visible label."""
    return dbc.Col(
        [
            dbc.Label(label, html_for=component_id, className="small mb-0"),
            dbc.Select(id=component_id),
        ],
        md=md,
    )


def controls() -> dbc.Card:
    """Features, K, scaling, and the K suggestion."""
    return card(
        "Segment customers",
        [
            choice_group("Features", dbc.Checklist(id=ids.FEATURES, inline=True)),
            dbc.FormText(words.RFM, className="d-block mb-2"),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label(
                                f"Number of segments (K, {MIN_K} to {MAX_K})", html_for=ids.K_INPUT
                            ),
                            dbc.Input(
                                id=ids.K_INPUT,
                                type="number",
                                # No min or max: the browser would send an empty value for 40,
                                # read as the default K; the server refuses it in words instead.
                                step=1,
                                value=DEFAULT_K,
                                debounce=500,  # typing "10" asks for 10 segments, not 1 then 10
                                style={"maxWidth": "8rem"},
                            ),
                            dbc.FormFeedback(
                                f"K is a whole number from {MIN_K} to {MAX_K}; the segments "
                                "shown stay as they were.",
                                type="invalid",
                            ),
                        ],
                        md=8,
                    ),
                    dbc.Col(
                        [
                            choice_group(
                                "Before KMeans, features are",
                                dbc.RadioItems(id=ids.SCALE, options=SCALING_CHOICES, value="auto"),
                            ),
                            dbc.FormText(words.SCALING),
                        ],
                        md=4,
                    ),
                ]
            ),
            dbc.Button(
                "Suggest K", id=ids.SUGGEST_K, color="secondary", size="sm", className="me-2"
            ),
            dbc.Button(
                "Use the suggested K", id=ids.ADOPT_K, color="primary", size="sm", disabled=True
            ),
            long_work(ids.K_WORK),
            chart(
                ids.K_CHART,
                "Line chart of the score of each number of segments tried; the sentence "
                "above names the suggested one.",
                loading=False,
                style={"display": "none"},
            ),
        ],
    )


def profile_columns(profiles_columns: list[str]) -> list[dict]:
    """The profile grid's columns: the segment's name pinned, shares and means formatted."""
    columns = []
    for name in profiles_columns:
        if name == "share":
            columns.append(Column(name, name, ".1%"))
        elif name.startswith(("mean ", "median ")):
            columns.append(Column(name, name, ",.1f"))
        elif name in {"segment", "size"}:
            columns.append(Column(name, name, ",d"))
        else:
            columns.append(Column(name, name, pinned=name == "name", wrap=name == "name"))
    return column_defs(columns)
