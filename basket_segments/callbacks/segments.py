"""Segments page callbacks: controls, charts, selection by click, K suggestion, export."""

from __future__ import annotations

import uuid

import plotly.graph_objects as go
from dash import Dash, Input, Output, Patch, State, ctx, dcc, no_update, set_props

from basket_segments import figures, ids, jobs, results, storage
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.export import neutralise_formulas
from basket_segments.auth import current_owner
from basket_segments.callbacks.progress import background, report_cancel
from basket_segments.layouts import data as data_layout
from basket_segments.layouts import segments as layout

NO_DATASET = "Open a dataset on the Data page first."
PROJECTION = ("PCA 1", "PCA 2")


def segment_params(settings: dict | None) -> results.SegmentParams | None:
    """The stored choice as parameters, or None when nothing usable was chosen.

    >>> segment_params({"features": ["Age"], "k": 4, "scale": True}).k
    4
    >>> segment_params({"features": [], "k": 4}) is None
    True
    """
    if not settings or not settings.get("features"):
        return None
    return results.SegmentParams(
        tuple(settings["features"]), int(settings.get("k") or 5), bool(settings.get("scale", True))
    )


def init_controls(_ready, active, settings):
    """Feature choices of the open dataset, preset from the last choice."""
    if active is None:
        return _no_controls(data_layout.message(NO_DATASET, "info"))
    try:
        features = results.prepared(current_owner(), active).features
    except (DataError, storage.DatasetNotFound) as error:
        return _no_controls(data_layout.message(str(error)))
    if not features:
        text = "This dataset has no customer features; its rules are on the Rules page."
        return _no_controls(data_layout.message(text, "info"))
    chosen = [f for f in (settings or {}).get("features", []) if f in features] or features
    axes = [*features, *PROJECTION]
    x, y = (chosen + chosen)[:2] if len(chosen) > 1 else PROJECTION
    previous = settings or {}
    return (
        features,
        chosen,
        previous.get("k", 5),
        previous.get("scale", True),
        axes,
        axes,
        x,
        y,
        None,
    )


def _no_controls(message):
    return [], [], 5, True, [], [], None, None, message


def save_settings(features, k, scale):
    """Remember the choice for this browser session."""
    return {"features": features or [], "k": k, "scale": bool(scale)}


def ask_for_segments(settings, active):
    """Show stored segments at once; hand missing ones to ``compute_segments``.

    Computing can take a while on large data, so it runs as a background job
    with a progress bar and a Cancel button; either way ``SEGMENTS_COMPUTED``
    ends up naming the segments to draw.
    """
    params = segment_params(settings)
    if active is None or params is None:
        return {"request": None}, no_update, None
    request = {"settings": settings, "dataset": active}
    try:
        ready = results.segments_ready(current_owner(), active, params)
    except storage.DatasetNotFound as error:
        return {"request": None}, no_update, data_layout.message(str(error))
    if ready:
        return {"request": request}, no_update, None
    return {"request": None}, {"request": request, "nonce": uuid.uuid4().hex}, None


def compute_segments(set_progress, asked):
    """Compute and store the asked-for segments, reporting progress (a background job)."""
    request = (asked or {}).get("request")
    if not request:
        return no_update, no_update
    try:
        results.segments(
            current_owner(),
            request["dataset"],
            segment_params(request["settings"]),
            report=jobs.reporter(set_progress),
        )
    except (DataError, storage.DatasetNotFound) as error:
        return no_update, data_layout.message(str(error))
    return {"request": request}, None


def update_charts(computed, x, y, selected, settings):
    """Scatter, pie, profile table and silhouettes of the computed segments."""
    request = (computed or {}).get("request")
    if not request or not x or not y:
        return _empty_charts(None)
    if request["settings"] != settings:
        return (no_update,) * 6  # an answer to an earlier choice
    if set(ctx.triggered_prop_ids) == {f"{ids.SELECTED_SEGMENT}.data"}:
        k = settings.get("k")
        if not isinstance(k, int) or not layout.MIN_K <= k <= layout.MAX_K:
            return (no_update,) * 6  # a forged K: no patch of a billion traces
        return (*_restyle_selection(k, selected), *(no_update,) * 4)
    try:
        result = results.segments(
            current_owner(), request["dataset"], segment_params(request["settings"])
        )
    except (DataError, storage.DatasetNotFound) as error:
        return _empty_charts(data_layout.message(str(error)))
    return _charts(result, x, y, selected)


def _restyle_selection(k: int, selected) -> tuple[Patch, Patch]:
    """A drill-down click changes only opacities and one slice's pull.

    Patches of those properties answer it without reading the segments or
    sending thousands of points to the browser again.
    """
    scatter, pie = Patch(), Patch()
    for segment in range(k):  # trace i is segment i (figures.segment_scatter)
        scatter["data"][segment]["marker"]["opacity"] = figures.selection_opacity(segment, selected)
    pie["data"][0]["pull"] = [figures.selection_pull(segment, selected) for segment in range(k)]
    return scatter, pie


def _charts(result: results.SegmentResult, x: str, y: str, selected):
    profiles = result.profiles.round(3)
    labels = result.table.set_index("customer")["segment"]
    return (
        figures.segment_scatter(result.table, x, y, selected),
        figures.segment_pie(result.profiles, selected),
        profiles.to_dict("records"),
        layout.profile_columns(list(profiles.columns)),
        figures.silhouette_figure(result.silhouettes, labels, result.names),
        _quality_note(result),
    )


def _empty_charts(message):
    return go.Figure(), go.Figure(), [], [], go.Figure(), message


def _quality_note(result: results.SegmentResult):
    if result.silhouette is None:
        return None
    text = (
        f"Silhouette {result.silhouette:.3f} (from -1 to 1; above 0.5 means well "
        f"separated segments)."
    )
    return data_layout.message(text, "light")


def select_segment(scatter_click, pie_click, _clear):
    """Clicking a point or a slice selects its segment; the button clears it."""
    trigger = ctx.triggered_id
    if trigger == ids.CLEAR_SELECTION:
        return None
    click = scatter_click if trigger == ids.SEGMENT_SCATTER else pie_click
    if not click or not click.get("points"):
        return no_update
    point = click["points"][0]
    data = point.get("customdata")
    return int(data[0] if isinstance(data, list) else data)


def show_selection(selected, settings, _computed, active):
    """Name the selected segment, in its colour."""
    params = segment_params(settings)
    if selected is None or params is None or active is None:
        return "All segments"
    try:
        result = results.segments(current_owner(), active, params, only_cached=True)
    except (DataError, storage.DatasetNotFound):
        return "All segments"
    name = result.names.get(selected) if result is not None else None
    if name is None:
        return "All segments"
    return dcc.Markdown(
        f"Selected: **{name}**",
        style={
            "display": "inline-block",
            "borderLeft": f"6px solid {figures.segment_colour(selected)}",
            "paddingLeft": "0.5rem",
        },
    )


def suggest(set_progress, _clicks, settings, active):
    """Silhouette and inertia for K = 2..10 and the best K (a background job)."""
    params = segment_params(settings)
    if params is None or active is None:
        return no_update, no_update, no_update, no_update
    try:
        found = results.k_scores(
            current_owner(),
            active,
            params.features,
            params.scale,
            report=jobs.reporter(set_progress),
        )
    except (DataError, storage.DatasetNotFound) as error:
        return no_update, no_update, no_update, str(error)
    best = found["suggested_k"]
    figure = figures.k_scores_figure(found["scores"], best)
    return figure, {"display": "block"}, best, f"Use K={best}"


def adopt_k(_clicks, suggested):
    return suggested if suggested else no_update


def download_segments(_clicks, settings, active):
    """Segment membership as CSV, safe to open in a spreadsheet."""
    params = segment_params(settings)
    if params is None or active is None:
        return no_update
    try:
        table = results.segments(current_owner(), active, params).table
    except (DataError, storage.DatasetNotFound) as error:
        set_props(ids.SEGMENT_MESSAGE, {"children": data_layout.message(str(error))})
        return no_update
    return dcc.send_data_frame(neutralise_formulas(table).to_csv, "segments.csv", index=False)


def register(app: Dash) -> None:
    app.callback(
        Output(ids.FEATURES, "options"),
        Output(ids.FEATURES, "value"),
        Output(ids.K_SLIDER, "value"),
        Output(ids.SCALE, "value"),
        Output(ids.X_AXIS, "options"),
        Output(ids.Y_AXIS, "options"),
        Output(ids.X_AXIS, "value"),
        Output(ids.Y_AXIS, "value"),
        Output(ids.SEGMENT_MESSAGE, "children"),
        Input(ids.SEGMENTS_READY, "data"),
        State(ids.ACTIVE_DATASET, "data"),
        State(ids.SEGMENT_SETTINGS, "data"),
    )(init_controls)
    app.callback(
        Output(ids.SEGMENT_SETTINGS, "data"),
        Input(ids.FEATURES, "value"),
        Input(ids.K_SLIDER, "value"),
        Input(ids.SCALE, "value"),
        prevent_initial_call=True,
    )(save_settings)
    app.callback(
        Output(ids.SEGMENTS_COMPUTED, "data"),
        Output(ids.SEGMENTS_REQUEST, "data"),
        Output(ids.SEGMENT_MESSAGE, "children", allow_duplicate=True),
        Input(ids.SEGMENT_SETTINGS, "data"),
        State(ids.ACTIVE_DATASET, "data"),
        prevent_initial_call=True,
    )(ask_for_segments)
    app.callback(
        Output(ids.SEGMENTS_COMPUTED, "data", allow_duplicate=True),
        Output(ids.SEGMENT_MESSAGE, "children", allow_duplicate=True),
        Input(ids.SEGMENTS_REQUEST, "data"),
        prevent_initial_call=True,
        **background(ids.SEGMENTS_JOB),
    )(compute_segments)
    report_cancel(app, ids.SEGMENTS_JOB, ids.SEGMENT_MESSAGE)
    app.callback(
        Output(ids.SEGMENT_SCATTER, "figure"),
        Output(ids.SEGMENT_PIE, "figure"),
        Output(ids.PROFILE_TABLE, "data"),
        Output(ids.PROFILE_TABLE, "columns"),
        Output(ids.SILHOUETTE_CHART, "figure"),
        Output(ids.SEGMENT_MESSAGE, "children", allow_duplicate=True),
        Input(ids.SEGMENTS_COMPUTED, "data"),
        Input(ids.X_AXIS, "value"),
        Input(ids.Y_AXIS, "value"),
        Input(ids.SELECTED_SEGMENT, "data"),
        State(ids.SEGMENT_SETTINGS, "data"),
        prevent_initial_call=True,
    )(update_charts)
    app.callback(
        Output(ids.SELECTED_SEGMENT, "data"),
        Input(ids.SEGMENT_SCATTER, "clickData"),
        Input(ids.SEGMENT_PIE, "clickData"),
        Input(ids.CLEAR_SELECTION, "n_clicks"),
        prevent_initial_call=True,
    )(select_segment)
    app.callback(
        Output(ids.SELECTION_BADGE, "children"),
        Input(ids.SELECTED_SEGMENT, "data"),
        Input(ids.SEGMENT_SETTINGS, "data"),
        Input(ids.SEGMENTS_COMPUTED, "data"),
        State(ids.ACTIVE_DATASET, "data"),
    )(show_selection)
    app.callback(
        Output(ids.K_CHART, "figure"),
        Output(ids.K_CHART, "style"),
        Output(ids.SUGGESTED_K, "data"),
        Output(ids.ADOPT_K, "children"),
        Input(ids.SUGGEST_K, "n_clicks"),
        State(ids.SEGMENT_SETTINGS, "data"),
        State(ids.ACTIVE_DATASET, "data"),
        prevent_initial_call=True,
        **background(ids.K_JOB),
    )(suggest)
    report_cancel(app, ids.K_JOB, ids.SEGMENT_MESSAGE)
    app.callback(Output(ids.ADOPT_K, "disabled"), Input(ids.SUGGESTED_K, "data"))(
        lambda suggested: not suggested
    )
    app.callback(
        Output(ids.K_SLIDER, "value", allow_duplicate=True),
        Input(ids.ADOPT_K, "n_clicks"),
        State(ids.SUGGESTED_K, "data"),
        prevent_initial_call=True,
    )(adopt_k)
    app.callback(
        Output(ids.DOWNLOAD_SEGMENTS, "data"),
        Input(ids.DOWNLOAD_SEGMENTS_BUTTON, "n_clicks"),
        State(ids.SEGMENT_SETTINGS, "data"),
        State(ids.ACTIVE_DATASET, "data"),
        prevent_initial_call=True,
    )(download_segments)


def params_or_default(owner: str, active, settings) -> results.SegmentParams | None:
    """The chosen segmentation, else all features with K=5; None without features."""
    chosen = segment_params(settings)
    if chosen is not None:
        return chosen
    features = results.prepared(owner, active).features
    return results.SegmentParams(tuple(features), 5, True) if features else None
