"""Segments page callbacks: controls, charts, selection by click, K suggestion, export."""

from __future__ import annotations

import math

import plotly.graph_objects as go
from dash import (
    ClientsideFunction,
    Dash,
    Input,
    Output,
    Patch,
    State,
    ctx,
    html,
    no_update,
    set_props,
)

from basket_segments import figures, ids
from basket_segments.analytics.errors import DataError
from basket_segments.callbacks import long_work
from basket_segments.callbacks.common import NO_DATASET, download_link
from basket_segments.layouts import segments as layout
from basket_segments.layouts import words
from basket_segments.layouts.common import DOWNLOAD_WAITING, message
from basket_segments.queries import (
    DEFAULT_K,
    MAX_K,
    MIN_K,
    segment_params,
    texts,
    whole_number,
)
from basket_segments.store import results
from basket_segments.store.owner import current_owner

PROJECTION = ("PCA 1", "PCA 2")
#: "Colour by" the segment, not a category column.
SEGMENT = "segment"


def init_controls(_ready, active):
    """Feature choices of the open dataset, preset from the dataset's own last choice."""
    if active is None:
        return _no_controls(message(NO_DATASET, "info"))
    owner = current_owner()
    try:
        data = results.prepared(owner, active)
        chosen_before = results.current_segments(owner, active)
    except DataError as error:
        return _no_controls(message(str(error)))
    features = data.features
    if not features or chosen_before is None:
        text = "This dataset has no customer features; its rules are on the Rules page."
        return _no_controls(message(text, "info"))
    chosen = [f for f in chosen_before.features if f in features] or features
    axes = [*layout.AUTO_AXES, *features, *PROJECTION]
    x, y = ("auto-1", "auto-2") if len(chosen) > 1 else PROJECTION
    categories = [] if data.categories is None else list(data.categories.columns)
    colours = [{"label": "Segment", "value": SEGMENT}, *categories]
    k, scale = chosen_before.k, chosen_before.scale
    return features, chosen, k, scale, axes, axes, x, y, colours, SEGMENT, None


def _no_controls(note):
    return [], [], DEFAULT_K, "auto", [], [], None, None, [], SEGMENT, note


def save_settings(features, k, scale):
    """The settings the page asks segments for; a cleared K box is the default K, and a K
    outside the range is refused (said next to the box) and asks for nothing."""
    from basket_segments.analytics.segmentation import scaling_mode

    try:
        scale = scaling_mode(scale)
    except DataError:  # not one the page offers: the default
        scale = "auto"
    if k_refused(k):  # said next to the box (``k_refused``); the segments shown stay
        return no_update
    return {"features": texts(features), "k": allowed_k(k), "scale": scale}


def k_refused(k) -> bool:
    """Whether the K box holds a number the page refuses: not whole, or outside MIN_K to
    MAX_K (an empty box is the default K, not a refusal).

    >>> [k_refused(k) for k in (None, 5, 15, 16, 1, 2.5, 3.0)]
    [False, False, False, True, True, True, False]
    """
    if k is None or k == "":
        return False
    number = whole_number(k)
    return number is None or not MIN_K <= number <= MAX_K


def allowed_k(k) -> int:
    """The number of segments to make of what the K box holds.

    >>> allowed_k(40), allowed_k(None), allowed_k(3.6), allowed_k("x"), allowed_k(1)
    (15, 5, 4, 5, 2)
    >>> allowed_k(float("inf")), allowed_k("nan"), allowed_k(True)
    (5, 5, 5)
    """
    try:
        number = float(k)
    except (TypeError, ValueError):
        return DEFAULT_K
    if not math.isfinite(number) or isinstance(k, bool):
        return DEFAULT_K
    return min(max(round(number), MIN_K), MAX_K)


def segments_ready(owner: str, request: dict) -> bool | None:
    """Whether the asked-for segments are stored (None: nothing chosen yet); stored ones
    become the dataset's segmentation, which its Rules and Customers pages use."""
    params = segment_params(request["settings"])
    if request["dataset"] is None or params is None:
        return None
    ready = results.segments_ready(owner, request["dataset"], params)
    if ready:
        results.remember_segments(owner, request["dataset"], params)
    return ready


def compute_segments(owner: str, request: dict, report) -> None:
    """Compute and store the asked-for segments (in a background job), and make them the
    dataset's segmentation."""
    params = segment_params(request["settings"])
    results.segments(owner, request["dataset"], params, report)
    results.remember_segments(owner, request["dataset"], params)


#: The membership download's label when no segment is selected.
MEMBERS_LABEL = "Download every segment's customers (CSV)"
SEGMENTS = long_work.LongWork(
    ids=ids.SEGMENTS_WORK,
    message=ids.SEGMENT_MESSAGE,
    request={
        "settings": Input(ids.SEGMENT_SETTINGS, "data"),
        "dataset": State(ids.ACTIVE_DATASET, "data"),
    },
    ready=segments_ready,
    compute=compute_segments,
    busy=(ids.PROFILE_REGION,),
)


def update_charts(answer, x, y, colour, selected):
    """Scatter, pie, profile table and silhouettes of the stored segments."""
    request = SEGMENTS.answered(answer)
    if not request or not x or not y:
        return _empty_charts(None)
    colour_by = None if colour in (None, SEGMENT) else colour
    if set(ctx.triggered_prop_ids) == {f"{ids.SELECTED_SEGMENT}.data"} and colour_by is None:
        k = request["settings"].get("k")
        if not isinstance(k, int) or not MIN_K <= k <= MAX_K:
            return (no_update,) * 6  # a forged K: no patch of a billion traces
        return (*_restyle_selection(k, selected), *(no_update,) * 4)
    try:
        params = segment_params(request["settings"])
        result = results.segments(current_owner(), request["dataset"], params, only_cached=True)
        if result is None:
            raise DataError(results.NOT_SEGMENTED)
    except DataError as error:
        return _empty_charts(message(str(error)))
    if colour_by not in result.table.columns:
        colour_by = None  # a forged or stale choice: colour by segment
    return _charts(result, *axes(result, x, y), selected, colour_by)


def axes(result: results.SegmentResult, x: str, y: str) -> tuple[str, str]:
    """The scatter's axes: "auto-1" and "auto-2" are the features that set these segments
    apart the most; any other value is a column, and an unknown one falls back to those."""
    telling = result.telling_features
    chosen = []
    for axis, rank in ((x, 0), (y, 1)):
        auto = telling[min(rank, len(telling) - 1)]
        chosen.append(axis if axis in result.table.columns else auto)
    return chosen[0], chosen[1]


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


def _charts(result: results.SegmentResult, x: str, y: str, selected, colour_by: str | None):
    profiles = result.profiles.round(3)
    labels = result.table.set_index("customer")["segment"]
    return (
        figures.segment_scatter(result.table, x, y, selected, colour_by=colour_by),
        figures.segment_pie(result.profiles, selected),
        profiles.to_dict("records"),
        layout.profile_columns(list(profiles.columns)),
        figures.silhouette_figure(result.silhouettes, labels, result.names, result.silhouette),
        _quality_note(result),
    )


def _empty_charts(note):
    return go.Figure(), go.Figure(), [], [], go.Figure(), note


def _quality_note(result: results.SegmentResult):
    """How well separated the segments are, and what each feature went through."""
    lines = []
    if result.silhouette is not None:
        lines.append(
            f"Silhouette {result.silhouette:.3f} (above 0.5 means well separated segments). "
            + words.SILHOUETTE
        )
    transformed = result.segments.transformations
    if transformed:
        lines.append(
            "Before KMeans: "
            + "; ".join(
                f"{feature} {how.replace('log1p', words.LOGARITHM)}"
                for feature, how in transformed.items()
            )
            + "."
        )
    return message(" ".join(lines), "light") if lines else None


def segment_downloads(prefix: str, answer: dict | None, selected) -> tuple:
    """The profiles the grid shows, and the customers of the segment the page selects
    (every segment's when none is), each link named as what it holds."""
    request = SEGMENTS.answered(answer)
    if request is None:
        return None, DOWNLOAD_WAITING, None, DOWNLOAD_WAITING, MEMBERS_LABEL
    segment = whole_number(selected)
    name = _selected_name(request, segment)
    members = {"request": {**request, "segment": segment if name else None}}
    label = MEMBERS_LABEL if name is None else f"Download the customers of {name} (CSV)"
    return (
        *download_link(prefix, "segment_profiles.csv", answer),
        *download_link(prefix, "segments.csv", members),
        label,
    )


def _selected_name(request: dict, segment: int | None) -> str | None:
    """The selected segment's name, from the stored segments the request names."""
    if segment is None:
        return None
    try:
        params = segment_params(request.get("settings"))
        found = results.segments(current_owner(), request["dataset"], params, only_cached=True)
    except DataError:
        return None
    return None if found is None else found.names.get(segment)


def show_selection(selected, settings, _answer, active):
    """Name the selected segment, in its colour."""
    try:
        params = segment_params(settings)
        if selected is None or params is None or active is None:
            return "All segments"
        result = results.segments(current_owner(), active, params, only_cached=True)
    except DataError:
        return "All segments"
    name = result.names.get(selected) if result is not None else None
    if name is None:
        return "All segments"
    return html.Span(  # components, not Markdown: a segment name is data, never markup
        ["Selected: ", html.B(name)],
        style={
            "display": "inline-block",
            "borderLeft": f"6px solid {figures.segment_colour(selected)}",
            "paddingLeft": "0.5rem",
        },
    )


def k_ready(owner: str, request: dict) -> bool | None:
    """Whether the K suggestion for the chosen features is stored (None: none chosen)."""
    params = segment_params(request["settings"])
    if request["dataset"] is None or params is None:
        return None
    return results.k_scores_ready(owner, request["dataset"], list(params.features), params.scale)


def compute_k_scores(owner: str, request: dict, report) -> None:
    """Silhouette and inertia for K = 2..15 (in a background job)."""
    params = segment_params(request["settings"])
    results.k_scores(owner, request["dataset"], list(params.features), params.scale, report)


SUGGEST_K = long_work.LongWork(
    ids=ids.K_WORK,
    message=ids.SEGMENT_MESSAGE,
    request={
        "settings": State(ids.SEGMENT_SETTINGS, "data"),
        "dataset": State(ids.ACTIVE_DATASET, "data"),
    },
    triggers=[Input(ids.SUGGEST_K, "n_clicks")],
    ready=k_ready,
    compute=compute_k_scores,
)


def show_k_scores(answer):
    """The K chart, and the suggested K to adopt."""
    request = SUGGEST_K.answered(answer)
    if request is None:
        return no_update, no_update, no_update, no_update
    try:
        params = segment_params(request.get("settings"))
        if params is None:
            return no_update, no_update, no_update, no_update
        found = results.k_scores(
            current_owner(),
            request.get("dataset"),
            list(params.features),
            params.scale,
            only_cached=True,
        )
    except DataError as error:
        set_props(ids.SEGMENT_MESSAGE, {"children": message(str(error))})
        return no_update, no_update, no_update, no_update
    best = found["suggested_k"]
    figure = figures.k_scores_figure(found["scores"], best)
    if found.get("reason"):
        set_props(ids.SEGMENT_MESSAGE, {"children": message(found["reason"], "info")})
    return figure, {"display": "block"}, best, f"Use K={best}"


def adopt_k(_clicks, suggested):
    return suggested if suggested else no_update


def register(app: Dash) -> None:
    app.callback(
        Output(ids.FEATURES, "options"),
        Output(ids.FEATURES, "value"),
        Output(ids.K_INPUT, "value"),
        Output(ids.SCALE, "value"),
        Output(ids.X_AXIS, "options"),
        Output(ids.Y_AXIS, "options"),
        Output(ids.X_AXIS, "value"),
        Output(ids.Y_AXIS, "value"),
        Output(ids.COLOUR_BY, "options"),
        Output(ids.COLOUR_BY, "value"),
        Output(ids.SEGMENT_MESSAGE, "children"),
        Input(ids.SEGMENTS_READY, "data"),
        State(ids.ACTIVE_DATASET, "data"),
    )(init_controls)
    app.callback(
        Output(ids.SEGMENT_SETTINGS, "data"),
        Input(ids.FEATURES, "value"),
        Input(ids.K_INPUT, "value"),
        Input(ids.SCALE, "value"),
        prevent_initial_call=True,
    )(save_settings)
    app.callback(Output(ids.K_INPUT, "invalid"), Input(ids.K_INPUT, "value"))(k_refused)
    long_work.register(app, SEGMENTS)
    app.callback(
        Output(ids.SEGMENT_SCATTER, "figure"),
        Output(ids.SEGMENT_PIE, "figure"),
        Output(ids.PROFILE_TABLE, "rowData"),
        Output(ids.PROFILE_TABLE, "columnDefs"),
        Output(ids.SILHOUETTE_CHART, "figure"),
        Output(ids.SEGMENT_MESSAGE, "children", allow_duplicate=True),
        Input(ids.SEGMENTS_WORK.answer, "data"),
        Input(ids.X_AXIS, "value"),
        Input(ids.Y_AXIS, "value"),
        Input(ids.COLOUR_BY, "value"),
        Input(ids.SELECTED_SEGMENT, "data"),
        prevent_initial_call=True,
    )(update_charts)
    app.clientside_callback(  # assets/segments.js: the click's one trip is the charts'
        ClientsideFunction("basket_segments_segments", "select_segment"),
        Output(ids.SELECTED_SEGMENT, "data"),
        Input(ids.SEGMENT_SCATTER, "clickData"),
        Input(ids.SEGMENT_PIE, "clickData"),
        Input(ids.CLEAR_SELECTION, "n_clicks"),
        prevent_initial_call=True,
    )
    app.callback(
        Output(ids.SELECTION_BADGE, "children"),
        Input(ids.SELECTED_SEGMENT, "data"),
        Input(ids.SEGMENT_SETTINGS, "data"),
        Input(ids.SEGMENTS_WORK.answer, "data"),
        State(ids.ACTIVE_DATASET, "data"),
    )(show_selection)
    long_work.register(app, SUGGEST_K)
    app.callback(
        Output(ids.K_CHART, "figure"),
        Output(ids.K_CHART, "style"),
        Output(ids.SUGGESTED_K, "data"),
        Output(ids.ADOPT_K, "children"),
        Input(ids.K_WORK.answer, "data"),
        prevent_initial_call=True,
    )(show_k_scores)
    app.callback(Output(ids.ADOPT_K, "disabled"), Input(ids.SUGGESTED_K, "data"))(
        lambda suggested: not suggested
    )
    app.callback(
        Output(ids.K_INPUT, "value", allow_duplicate=True),
        Input(ids.ADOPT_K, "n_clicks"),
        State(ids.SUGGESTED_K, "data"),
        prevent_initial_call=True,
    )(adopt_k)
    prefix = app.config.url_base_pathname
    app.callback(
        Output(ids.DOWNLOAD_PROFILES, "href"),
        Output(ids.DOWNLOAD_PROFILES, "className"),
        Output(ids.DOWNLOAD_SEGMENTS, "href"),
        Output(ids.DOWNLOAD_SEGMENTS, "className"),
        Output(ids.DOWNLOAD_SEGMENTS, "children"),
        Input(ids.SEGMENTS_WORK.answer, "data"),
        Input(ids.SELECTED_SEGMENT, "data"),
    )(lambda answer, selected: segment_downloads(prefix, answer, selected))
