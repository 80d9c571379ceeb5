"""The grouped matrix and the item graph of the Rules page, linked to its rules grid.

Both views draw the rules the grid lists for the page's filters (segment,
thresholds, product filter, redundant and significant switches): the grid's
first block of a view (``callbacks.rules.rules_rows``) has them in hand and
draws them (``views_drawing``), so a move of a control still loads the stored
mining once.
A click on a cell, a product or a rule puts its ``Selection`` in the view and
draws a new grid, without storage; that grid's rows are the selected rules
(``picked_rules``), the sentences follow them, and a chip above the grid names
the selection with a Clear button.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
from dash import Dash, Input, Output, State, ctx, set_props
from dash.exceptions import PreventUpdate

from basket_segments import ids, rule_figures
from basket_segments.analytics.rule_graph import graph_size, item_graph
from basket_segments.analytics.rule_views import Selection, grouped_matrix, selected_rules
from basket_segments.callbacks import long_work
from basket_segments.layouts import rule_views as layout
from basket_segments.layouts import rules as rules_layout

if TYPE_CHECKING:
    import pandas as pd

NO_RULES = "No rules to draw at these settings."


def selection_of(view: Any) -> Selection | None:
    """The selection a view holds; None without one (or with one that is not)."""
    data = view.get("selection") if isinstance(view, dict) else None
    if data is None:
        return None
    try:
        return Selection.from_json(data)
    except ValueError:
        return None


def picked_rules(shown: pd.DataFrame, view: Any) -> pd.DataFrame:
    """The rules of ``shown`` the view's selection picks (all of them without one)."""
    return selected_rules(shown, selection_of(view)).reset_index(drop=True)


def views_drawing(shown: pd.DataFrame, view: dict, picked: int) -> dict[str, dict]:
    """Both views of a view's rules (``shown``, before the selection), its selection
    outlined, and the chip naming the ``picked`` rules it selected: the properties to set,
    by component id (figures as the JSON they are sent as)."""
    selection = selection_of(view)
    matrix = grouped_matrix(shown)
    graph = item_graph(shown, graph_size(view.get("top")))
    drawn = not shown.empty
    empty = go.Figure().to_plotly_json()
    matrix_figure = rule_figures.grouped_matrix_figure(matrix, selection) if drawn else empty
    graph_figure = rule_figures.item_graph_figure(graph, selection) if drawn else empty
    text = None if selection is None else layout.selection_text(selection.label(), picked)
    return {
        ids.RULE_MATRIX: {"figure": matrix_figure},
        ids.RULE_MATRIX_NOTE: {"children": matrix_note(matrix) if drawn else NO_RULES},
        ids.RULE_GRAPH: {"figure": graph_figure},
        ids.RULE_GRAPH_NOTE: {"children": graph_note(graph) if drawn else NO_RULES},
        ids.RULE_SELECTION_TEXT: {"children": text},
        ids.RULE_SELECTION: {"hidden": selection is None},
    }


def clear_views() -> None:
    """No rules to show (no answer yet, or a new request on its way): old views go."""
    for graph in (ids.RULE_MATRIX, ids.RULE_GRAPH):
        set_props(graph, {"figure": go.Figure()})
    for note in (ids.RULE_MATRIX_NOTE, ids.RULE_GRAPH_NOTE, ids.RULE_SELECTION_TEXT):
        set_props(note, {"children": None})
    set_props(ids.RULE_SELECTION, {"hidden": True})


def matrix_note(matrix) -> str:
    """What the matrix leaves out, if anything."""
    if len(matrix.groups) == matrix.all_groups and len(matrix.consequents) == (
        matrix.all_consequents
    ):
        return (
            f"Every group and recommended product of these {matrix.cells['rules'].sum():,} rules."
        )
    return (
        f"Showing the {len(matrix.groups)} of {matrix.all_groups:,} groups and "
        f"{len(matrix.consequents)} of {matrix.all_consequents:,} recommended products of "
        "highest mean lift; the table lists every rule."
    )


def graph_note(graph) -> str:
    """How many rules the graph draws of how many."""
    return (
        f"Drawing {len(graph.rules)} of {graph.all_rules:,} rules, those of highest lift; "
        "the table lists every rule."
    )


def clicked_selection(click: Any) -> Selection | None:
    """The selection a click on a view carries (its point's customdata); None for a
    click on nothing, or anything that is not one of the views' points.

    >>> clicked_selection({"points": [{"customdata": '{"kind":"item","left":["tea"]}'}]})
    Selection(kind='item', left=('tea',), right=(), top=20)
    >>> clicked_selection({"points": [{"customdata": "nonsense"}]}) is None
    True
    """
    points = click.get("points") if isinstance(click, dict) else None
    point = points[0] if isinstance(points, list) and points else None
    data = point.get("customdata") if isinstance(point, dict) else None
    try:
        return Selection.from_json(json.loads(data)) if isinstance(data, str) else None
    except ValueError:
        return None


def select_rules(matrix_click, graph_click, _clear, view):
    """A click on a view selects its rules (Clear selects none): the view holds the
    selection and a new grid asks for its rows. No storage is read here."""
    if not isinstance(view, dict) or not isinstance(view.get("answer"), dict):
        raise PreventUpdate
    trigger = ctx.triggered_id
    if trigger == ids.RULE_SELECTION_CLEAR:
        if "selection" not in view:
            raise PreventUpdate
        chosen = {key: value for key, value in view.items() if key != "selection"}
    else:
        selection = clicked_selection(graph_click if trigger == ids.RULE_GRAPH else matrix_click)
        if selection is None:
            raise PreventUpdate
        chosen = {**view, "selection": selection.to_json()}
    chosen["everyone"] = False  # everyone's top products stay as drawn
    segmented = (long_work.result_of(view["answer"]) or {}).get("segments") is not None
    measures = view.get("measures") if isinstance(view.get("measures"), list) else []
    grid = rules_layout.rules_grid(ids.view_token(chosen), segmented, measures)
    return chosen, grid


def register(app: Dash) -> None:
    app.callback(
        Output(ids.RULES_VIEW, "data", allow_duplicate=True),
        Output(ids.RULES_TABLE, "children", allow_duplicate=True),
        Input(ids.RULE_MATRIX, "clickData"),
        Input(ids.RULE_GRAPH, "clickData"),
        Input(ids.RULE_SELECTION_CLEAR, "n_clicks"),
        State(ids.RULES_VIEW, "data"),
        prevent_initial_call=True,
    )(select_rules)
