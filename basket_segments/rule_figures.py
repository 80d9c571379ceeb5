"""Plotly figures of the Rules page's grouped matrix and item graph; pure builders.

Each clickable point carries, as its ``customdata``, the selection a click on it
makes (``analytics.rule_views.Selection`` as JSON text): the callback reads it back
and checks it, and the rules grid then lists exactly those rules.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np

from basket_segments.analytics.rule_views import Selection
from basket_segments.figures import SPEC_TEMPLATE, TOOLBAR_HEIGHT, plain

if TYPE_CHECKING:
    from basket_segments.analytics.rule_graph import ItemGraph
    from basket_segments.analytics.rule_views import GroupedMatrix

#: Lift's colours, as in the rules scatter.
LIFT_SCALE = "Viridis"
#: Longest product name on an axis or beside a node (the hover has it whole).
SHORT_NAME = 28
#: The outline of the points a selection holds, and of the others.
SELECTED_LINE, PLAIN_LINE = {"width": 3, "color": "#d62728"}, {"width": 0.5, "color": "#ffffff"}
ITEM_COLOUR = "#4c78a8"
EDGE_COLOUR = "#9a9a9a"


def short(name: str) -> str:
    """A product name cut to ``SHORT_NAME`` characters, for an axis or a label.

    >>> short("tea"), short("x" * 40)[-3:]
    ('tea', 'xx…')
    """
    text = str(name)
    return plain(text if len(text) <= SHORT_NAME else text[: SHORT_NAME - 1] + "…")


def _figure(traces: list[dict], title: str, **layout) -> dict:
    """A figure as Plotly's JSON, in the dashboard's template, margins and clicks (as
    ``figures._layout`` lays out its own): built through plotly's objects, a few hundred
    points and arrows were validated again and copied, most of a click's time."""
    return {
        "data": traces,
        "layout": {
            "template": SPEC_TEMPLATE,
            "title": {
                "text": title,
                "x": 0.01,
                "xanchor": "left",
                "yref": "container",
                "y": 1,
                "yanchor": "top",
                "pad": {"t": TOOLBAR_HEIGHT},
            },
            "margin": {"l": 40, "r": 10, "t": TOOLBAR_HEIGHT + 40, "b": 40},
            "clickmode": "event",
            "hovermode": "closest",
            **layout,
        },
    }


def _selection_text(selection: Selection) -> str:
    return json.dumps(selection.to_json(), separators=(",", ":"))


def _sizes(support, low: float, high: float) -> np.ndarray:
    """Marker diameters by support: the largest support gets ``high`` pixels, area-true."""
    values = np.asarray(support, dtype=float)
    top = values.max() if len(values) and values.max() > 0 else 1.0
    return low + (high - low) * np.sqrt(values / top)


def grouped_matrix_figure(matrix: GroupedMatrix, selection: Selection | None = None) -> dict:
    """Antecedent groups down, consequents across: a circle per cell, coloured by mean lift
    and sized by mean support; a click selects the cell's rules."""
    cells = matrix.cells
    rows = {group: i for i, group in enumerate(matrix.groups)}
    columns = {name: i for i, name in enumerate(matrix.consequents)}
    chosen = selection if selection is not None and selection.kind == "cell" else None
    picked = [
        chosen is not None and (g,) == chosen.left and tuple(r) == chosen.right
        for g, r in zip(cells["group"], cells["right"], strict=True)
    ]
    hover = [
        f"{plain(g)} (and {a - 1} more antecedents) -> {plain(c)}<br>{n} rules, mean lift "
        f"{lift:.2f}, mean support {sup:.3f}"
        if a > 1
        else f"{plain(g)} -> {plain(c)}<br>{n} rules, mean lift {lift:.2f}, mean support {sup:.3f}"
        for g, c, n, lift, sup, a in zip(
            cells["group"],
            cells["consequent"],
            cells["rules"],
            cells["lift"],
            cells["support"],
            cells["antecedents"],
            strict=True,
        )
    ]
    trace = dict(
        type="scatter",
        x=cells["consequent"].map(columns).tolist(),
        y=cells["group"].map(rows).tolist(),
        mode="markers",
        customdata=[
            _selection_text(Selection("cell", (g,), tuple(r)))
            for g, r in zip(cells["group"], cells["right"], strict=True)
        ],
        text=hover,
        hovertemplate="%{text}<extra></extra>",
        marker={
            "size": _sizes(cells["support"], 8, 34).tolist(),
            "color": cells["lift"].tolist(),
            "colorscale": LIFT_SCALE,
            "showscale": True,
            "colorbar": {"title": {"text": "mean lift"}},
            "line": {
                "width": [SELECTED_LINE["width"] if p else PLAIN_LINE["width"] for p in picked],
                "color": [SELECTED_LINE["color"] if p else PLAIN_LINE["color"] for p in picked],
            },
        },
    )
    title = (
        f"{len(matrix.groups)} of {matrix.all_groups} antecedent groups x "
        f"{len(matrix.consequents)} of {matrix.all_consequents} consequents"
    )
    return _figure(
        [trace],
        title,
        height=200 + 28 * max(len(matrix.groups), 3),
        xaxis={
            "tickvals": list(columns.values()),
            "ticktext": [short(name) for name in columns],
            "tickangle": -40,
            "title": {"text": "they also buy"},
            "showgrid": True,
        },
        yaxis={
            "tickvals": list(rows.values()),
            "ticktext": [short(name) for name in rows],
            "autorange": "reversed",
            "showgrid": True,
        },
    )


def item_graph_figure(graph: ItemGraph, selection: Selection | None = None) -> dict:
    """Items and rules as nodes: lines lead from a rule's antecedent items to the rule's
    node, an arrow from the node to its consequent; rule nodes are coloured by lift and
    sized by support. A click on an item or a rule selects its rules."""
    rules, items = graph.rules, graph.items
    places = zip(items["x"].tolist(), items["y"].tolist(), strict=True)
    at = dict(zip(items["item"], places, strict=True))
    line_x, line_y, arrows = [], [], []
    for left, right, x, y in zip(
        rules["antecedent"],
        rules["consequent"],
        rules["x"].tolist(),
        rules["y"].tolist(),
        strict=True,
    ):
        for item in left:
            line_x += [at[item][0], x, None]
            line_y += [at[item][1], y, None]
        arrows += [_arrow(x, y, *at[item]) for item in right]
    lines = dict(
        type="scatter",
        x=line_x,
        y=line_y,
        mode="lines",
        line={"color": EDGE_COLOUR, "width": 1},
        hoverinfo="skip",
    )
    return _figure(
        [lines, _rule_nodes(rules, selection), _item_nodes(items, selection, graph)],
        f"The {len(rules)} rules of highest lift, of {graph.all_rules:,}",
        height=600,
        showlegend=False,
        annotations=arrows,
        xaxis={"visible": False, "range": [-0.08, 1.08]},
        yaxis={"visible": False, "range": [-0.08, 1.08]},
    )


def _arrow(x0: float, y0: float, x1: float, y1: float) -> dict:
    """An arrow from a rule's node to one of its consequent's items."""
    return {
        "x": x1,
        "y": y1,
        "ax": x0,
        "ay": y0,
        "xref": "x",
        "yref": "y",
        "axref": "x",
        "ayref": "y",
        "showarrow": True,
        "arrowhead": 2,
        "arrowsize": 1.2,
        "arrowwidth": 1,
        "arrowcolor": EDGE_COLOUR,
        "standoff": 9,
        "text": "",
    }


def _rule_nodes(rules, selection: Selection | None) -> dict:
    chosen = selection if selection is not None and selection.kind == "rule" else None
    picked = [
        chosen is not None and tuple(a) == chosen.left and tuple(c) == chosen.right
        for a, c in zip(rules["antecedent"], rules["consequent"], strict=True)
    ]
    return dict(
        type="scatter",
        x=rules["x"].tolist(),
        y=rules["y"].tolist(),
        mode="markers",
        customdata=[
            _selection_text(Selection("rule", tuple(a), tuple(c)))
            for a, c in zip(rules["antecedent"], rules["consequent"], strict=True)
        ],
        text=[
            f"{plain(', '.join(a))} -> {plain(', '.join(c))}<br>lift {lift:.2f}, support "
            f"{sup:.3f}, confidence {conf:.0%}"
            for a, c, lift, sup, conf in zip(
                rules["antecedent"],
                rules["consequent"],
                rules["lift"],
                rules["support"],
                rules["confidence"],
                strict=True,
            )
        ],
        hovertemplate="%{text}<extra></extra>",
        marker={
            "symbol": "diamond",
            "size": _sizes(rules["support"], 7, 20).tolist(),
            "color": rules["lift"].tolist(),
            "colorscale": LIFT_SCALE,
            "showscale": True,
            "colorbar": {"title": {"text": "lift"}},
            "line": {
                "width": [SELECTED_LINE["width"] if p else PLAIN_LINE["width"] for p in picked],
                "color": [SELECTED_LINE["color"] if p else PLAIN_LINE["color"] for p in picked],
            },
        },
    )


def _item_nodes(items, selection: Selection | None, graph: ItemGraph) -> dict:
    chosen = selection if selection is not None and selection.kind == "item" else None
    picked = [chosen is not None and (name,) == chosen.left for name in items["item"]]
    top = len(graph.rules)
    return dict(
        type="scatter",
        x=items["x"].tolist(),
        y=items["y"].tolist(),
        mode="markers+text",
        text=[short(name) for name in items["item"]],
        textposition="top center",
        customdata=[_selection_text(Selection("item", (name,), top=top)) for name in items["item"]],
        hovertext=[
            f"{plain(name)}: in {n} of the rules drawn"
            for name, n in zip(items["item"], items["rules"], strict=True)
        ],
        hovertemplate="%{hovertext}<extra></extra>",
        marker={
            "size": 14,
            "color": ITEM_COLOUR,
            "line": {
                "width": [SELECTED_LINE["width"] if p else PLAIN_LINE["width"] for p in picked],
                "color": [SELECTED_LINE["color"] if p else PLAIN_LINE["color"] for p in picked],
            },
        },
    )
