"""Plotly figures of the dashboard; pure builders, one colour per segment everywhere.

A segment's colour depends only on its number, and segments are numbered by
size, so "Segment 2" is the same colour in the scatter, the pie, the bars and
every page, and stays so between views.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.colors import qualitative

if TYPE_CHECKING:
    import pandas as pd

#: Colour of segment i is SEGMENT_COLOURS[i % 15]; "all customers" is grey. The charts keep
#: their own white background under any page theme, and on it every colour reads at 3:1 or
#: more (WCAG's non-text contrast) and stays far from the others (CIELAB distance over 30):
#: chosen from Plotly's qualitative palettes, each the farthest from those before it.
SEGMENT_COLOURS = (
    "#636EFA",
    "#FB0D0D",
    "#1CA71C",
    "#FF0092",
    "#B68E00",
    "#661100",
    "#DA16FF",
    "#0D2A63",
    "#11A579",
    "#94346E",
    "#2E91E5",
    "#ED645A",
    "#6C7C32",
    "#222A2A",
    "#511CFB",
)
ALL_COLOUR = "#7f7f7f"
#: Colours of a category column's values, apart from the segments' (the scatter's "Colour by").
CATEGORY_COLOURS = qualitative.Dark2
TEMPLATE = "plotly_white"
#: The page's font (Bootstrap's variable, which a theme or a host's stylesheet sets), so the
#: charts speak in the same type as the page around them; Plotly's own where it is unset.
PAGE_FONT = 'var(--bs-body-font-family, "Open Sans", verdana, arial, sans-serif)'
_TEMPLATE_DATA = pio.templates[TEMPLATE].to_plotly_json()
_TEMPLATE_DATA["layout"]["font"]["family"] = PAGE_FONT
#: The trace types drawn from plain specs (``_trusted`` here, ``rule_figures``), and the
#: layout parts of other kinds of plots (3D, maps, polar, ternary) they never draw.
SPEC_TRACES = ("scatter", "scattergl", "bar")
OTHER_PLOTS = ("scene", "geo", "map", "mapbox", "polar", "ternary")
#: The template of figures from specs: only what their traces and cartesian axes read,
#: 2.2 of the template's 7.2 KB, which every figure carries to the browser (a Rules
#: click's answer carries four).
SPEC_TEMPLATE = {
    "data": {kind: _TEMPLATE_DATA["data"][kind] for kind in SPEC_TRACES},
    "layout": {k: v for k, v in _TEMPLATE_DATA["layout"].items() if k not in OTHER_PLOTS},
}
DIMMED = 0.15
#: The rules scatter's lift scale, written out as plotly's validation writes the name.
VIRIDIS = [list(stop) for stop in go.scattergl.Marker(colorscale="Viridis").colorscale]


def segment_colour(segment: int) -> str:
    """The fixed colour of a segment number (-1, all customers, is grey).

    >>> segment_colour(0) == segment_colour(15), segment_colour(-1)
    (True, '#7f7f7f')
    """
    return ALL_COLOUR if segment < 0 else SEGMENT_COLOURS[segment % len(SEGMENT_COLOURS)]


#: Pixels at the top of a chart that Plotly's toolbar takes (it covered titles at 1024 px).
TOOLBAR_HEIGHT = 34


def _layout(figure: go.Figure, title: str | None = None, **extra) -> go.Figure:
    """The dashboard's margins and clicks; a title sits below the toolbar, never under it."""
    _apply_template(figure)
    figure.update_layout(**_frame(title), **extra)
    return figure


def _frame(title: str | None) -> dict:
    """The margins, click mode and title every chart has (the title below the toolbar)."""
    if title is None:
        return {"margin": {"l": 40, "r": 10, "t": 40, "b": 40}, "clickmode": "event"}
    return {
        "margin": {"l": 40, "r": 10, "t": TOOLBAR_HEIGHT + 40, "b": 40},
        "clickmode": "event",
        "title": {
            "text": title,
            "x": 0.01,
            "xanchor": "left",
            "yref": "container",
            "y": 1,
            "yanchor": "top",
            "pad": {"t": TOOLBAR_HEIGHT},
        },
    }


def _trusted(traces: list[dict], title: str | None = None, **layout: Any) -> go.Figure:
    """A figure from plain trace and layout specs, as ``_layout`` frames it, which plotly
    is told to trust instead of validating (as it trusts its own default template).

    A Rules page click draws two of these: built through plotly's validated objects,
    a ten-bar chart took 6 ms and the rules scatter about 25 ms, most of the click's
    time on the server; from specs, 0.4 ms each, the same JSON. The template is shared,
    not copied: plotly copies it when writing the figure out, and nothing edits it.
    """
    spec = {"template": SPEC_TEMPLATE, **_frame(title), **layout}
    return go.Figure({"data": traces, "layout": spec}, _validate=False)


def _apply_template(figure: go.Figure) -> None:
    """Give the figure a fresh copy of ``TEMPLATE``, without validating it again.

    Setting a template by name makes plotly deep-copy and re-validate all of it,
    about 20 ms per figure and most of a drill-down click's time on the server.
    The data is plotly's own, so we skip the validation as plotly does for its
    default template (``BaseFigure._initialize_layout_template``): 3 ms, same JSON.
    """
    template = go.layout.Template(copy.deepcopy(_TEMPLATE_DATA), _validate=False)
    figure.layout._validate = False
    try:
        figure.layout.template = template
    finally:
        figure.layout._validate = figure._validate


def plain(text: object) -> str:
    """User text (a column, segment or product name) for Plotly to show as it is.

    Plotly renders a little HTML in titles, legends, labels and hover text
    (``<a href>`` becomes a link, ``<b>`` bold); written as entities, the
    markup shows as the characters the user typed.

    >>> plain('<a href="https://evil.example/">EVIL</a> & co')
    '&lt;a href="https://evil.example/"&gt;EVIL&lt;/a&gt; &amp; co'
    """
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def selection_opacity(segment: int, selected: int | None) -> float:
    """Opacity of a segment's points: all full, or the selected one full and others dimmed."""
    return 1.0 if selected in (None, segment) else DIMMED


def selection_pull(segment: int, selected: int | None) -> float:
    """How far a segment's slice of the pie stands out: only the selected one does."""
    return 0.12 if segment == selected else 0


def segment_scatter(
    table: pd.DataFrame,
    x: str,
    y: str,
    selected: int | None = None,
    max_points: int = 5000,
    colour_by: str | None = None,
) -> go.Figure:
    """Customers as points coloured by segment (or by a category column); the selected
    segment stands out.

    Above ``max_points`` customers a fixed-seed sample is drawn in which each
    segment keeps its share and at least one point, so the browser never
    receives a whole large dataset and every segment has its trace: a selection
    then restyles trace i for segment i without redrawing (callbacks).
    """
    from basket_segments.analytics.segmentation import stratified_sample

    shown = table.iloc[stratified_sample(table["segment"].to_numpy(), max_points)]
    figure = go.Figure()
    if colour_by:
        for value, group in shown.groupby(colour_by, sort=True, dropna=False):
            colour = CATEGORY_COLOURS[len(figure.data) % len(CATEGORY_COLOURS)]
            figure.add_trace(_points(group, x, y, f"{plain(colour_by)} {plain(value)}", colour))
    else:
        for segment, group in shown.groupby("segment", sort=True):
            name, colour = plain(group["segment_name"].iat[0]), segment_colour(int(segment))
            opacity = selection_opacity(int(segment), selected)
            figure.add_trace(_points(group, x, y, name, colour, opacity))
    return _layout(
        figure,
        xaxis_title=plain(x),
        yaxis_title=plain(y),
        legend_title=plain(colour_by) if colour_by else "Segment",
        title=f"{len(table):,} customers"
        + (f" (showing {max_points:,})" if len(table) > max_points else ""),
    )


def _points(
    group: pd.DataFrame, x: str, y: str, name: str, colour: str, opacity: float = 1.0
) -> go.Scattergl:
    """One trace of customers; hovering names the customer and its segment."""
    import numpy as np

    return go.Scattergl(
        x=group[x],
        y=group[y],
        mode="markers",
        name=name,
        customdata=np.column_stack(
            [group["segment"], group["customer"].map(plain), group["segment_name"].map(plain)]
        ),
        hovertemplate=(
            f"customer %{{customdata[1]}} (%{{customdata[2]}})<br>{plain(x)}: %{{x}}"
            f"<br>{plain(y)}: %{{y}}<extra>%{{fullData.name}}</extra>"
        ),
        marker={"color": colour, "size": 7, "opacity": opacity},
    )


def segment_pie(profiles: pd.DataFrame, selected: int | None = None) -> go.Figure:
    """Segment sizes in the segments' colours; the selected slice is pulled out."""
    segments = profiles["segment"].astype(int).tolist()
    figure = go.Figure(
        go.Pie(
            labels=profiles["name"].map(plain),
            values=profiles["size"],
            sort=False,
            direction="clockwise",
            customdata=segments,
            marker={"colors": [segment_colour(s) for s in segments]},
            pull=[selection_pull(s, selected) for s in segments],
            hovertemplate="%{label}: %{value:,} customers (%{percent})<extra></extra>",
        )
    )
    return _layout(
        figure, title="Segment sizes", showlegend=True, legend={"orientation": "h", "y": -0.1}
    )


def k_scores_figure(scores: pd.DataFrame, suggested: int) -> go.Figure:
    """Silhouette (higher is better) and inertia over K, with the suggested K marked."""
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(x=scores["k"], y=scores["silhouette"], name="silhouette", mode="lines+markers")
    )
    figure.add_trace(
        go.Scatter(
            x=scores["k"],
            y=scores["inertia"],
            name="inertia",
            mode="lines+markers",
            yaxis="y2",
            line={"dash": "dot"},
        )
    )
    figure.add_vline(x=suggested, line_dash="dash", annotation_text=f"suggested K={suggested}")
    return _layout(
        figure,
        title="Choosing K",
        xaxis_title="K",
        yaxis={"title": "silhouette"},
        yaxis2={"title": "inertia", "overlaying": "y", "side": "right"},
    )


def silhouette_figure(
    values: pd.Series, labels: pd.Series, names: dict[int, str], average: float | None = None
) -> go.Figure:
    """A silhouette plot: one thin bar per customer, sorted within its segment, the
    segments one above the other in their colours, on a -1..1 axis, with the average as a
    dashed line (``average``: the segmentation's own, else the customers' mean).

    A customer near 1 sits well inside its segment, near 0 on a border, below 0 closer to
    another segment than to its own.
    """
    import numpy as np
    import pandas as pd

    figure = go.Figure()
    frame = pd.DataFrame({"value": values, "segment": labels.reindex(values.index)}).dropna()
    gap = max(1, len(frame) // 50)  # white space between segments
    start, ticks, names_at = 0, [], []
    for segment, group in frame.groupby("segment", sort=True):
        ordered = np.sort(group["value"].to_numpy())
        name = plain(names.get(int(segment), segment))
        rows = np.arange(start, start + len(ordered))
        figure.add_trace(
            go.Bar(
                x=ordered,
                y=rows,
                orientation="h",
                width=1.0,
                name=name,
                marker={"color": segment_colour(int(segment)), "line": {"width": 0}},
                hovertemplate=f"{name}<br>silhouette %{{x:.2f}}<extra></extra>",
            )
        )
        ticks.append(start + (len(ordered) - 1) / 2)
        names_at.append(name)
        start += len(ordered) + gap
    if len(frame):
        mean = float(frame["value"].mean()) if average is None else float(average)
        figure.add_vline(
            x=mean,
            line={"dash": "dash", "color": "#333"},
            annotation_text=f"average {mean:.2f}",
            annotation_position="top",
        )
    return _layout(
        figure,
        title="Silhouette per customer",
        barmode="overlay",
        bargap=0,
        showlegend=False,
        xaxis={"title": "silhouette (-1 to 1)", "range": [-1, 1], "zeroline": True},
        yaxis={"tickvals": ticks, "ticktext": names_at, "autorange": "reversed"},
    )


def rules_scatter(rules: pd.DataFrame) -> go.Figure:
    """Rules by support and confidence, coloured by lift; a click shows the sentence
    (each point carries its row, ``callbacks.rules.show_clicked_rule`` the sentence)."""
    points = {
        "type": "scattergl",
        "x": rules["support"].to_numpy(),
        "y": rules["confidence"].to_numpy(),
        "mode": "markers",
        "customdata": list(range(len(rules))),
        "marker": {
            "color": rules["lift"].to_numpy(),
            "colorscale": VIRIDIS,
            "showscale": True,
            "colorbar": {"title": {"text": "lift"}},
            "size": 8,
        },
        "hovertemplate": "support %{x:.3f}, confidence %{y:.2f}<extra></extra>",
    }
    return _trusted(
        [points],
        title=f"{len(rules):,} rules",
        xaxis={"title": {"text": "support"}},
        yaxis={"title": {"text": "confidence"}},
    )


def products_bar(products: pd.DataFrame, segment: int) -> go.Figure:
    """A segment's top products by share of its baskets, titled with its name."""
    top = products[products["segment"] == segment].head(10).iloc[::-1]
    name = top["segment_name"].iat[0] if len(top) else ""
    bars = {
        "type": "bar",
        "x": top["share"].to_numpy(),
        "y": [plain(product) for product in top["product"].tolist()],
        "orientation": "h",
        "marker": {"color": segment_colour(segment)},
        "customdata": top["share_vs_all"].to_numpy(),
        "hovertemplate": "%{y}: %{x:.0%} of baskets, %{customdata:.1f}x all customers"
        "<extra></extra>",
    }
    title = f"Top products: {plain(name)}"
    return _trusted([bars], title=title, xaxis={"tickformat": ".0%"}, height=380)


#: New and lapsed customers, in the migration's charts: no segment's colour.
OUTSIDE_COLOUR = ALL_COLOUR


def _cell_codes(cells: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Each migration cell's segments, -1 for new (from) and lapsed (to)."""
    return (
        cells["from_segment"].fillna(-1).astype(int).reset_index(drop=True),
        cells["to_segment"].fillna(-1).astype(int).reset_index(drop=True),
    )


def migration_heatmap(cells: pd.DataFrame, value: str, reference: str) -> go.Figure:
    """One later period's migration (``migration.migration_table``'s rows of that period):
    the reference period's segments and new down, the later period's and lapsed across,
    each cell written in numbers; a click carries the cell's row and column (the segments
    in order, then new or lapsed)."""
    import pandas as pd

    from basket_segments.analytics.migration import LAPSED, NEW

    source, target = _cell_codes(cells)
    rows, columns = list(dict.fromkeys(source)), list(dict.fromkeys(target))
    names_from = dict(zip(source, cells["from"], strict=True))
    names_to = dict(zip(target, cells["to"], strict=True))
    values = pd.DataFrame({"a": source, "b": target, "v": cells[value].to_numpy()})
    matrix = values.pivot(index="a", columns="b", values="v").reindex(index=rows, columns=columns)
    text = [["" if v != v else format(v, ",.0f") for v in row] for row in matrix.to_numpy()]
    period = plain(cells["period"].iat[0]) if len(cells) else ""
    figure = go.Figure(
        go.Heatmap(
            z=matrix.to_numpy(),
            x=list(range(len(columns))),
            y=list(range(len(rows))),
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            colorbar={"title": value},
            hovertemplate="%{text}<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    return _layout(
        figure,
        title=f"{plain(reference)} → {plain(period)}: {value}",
        xaxis={
            "title": f"segment in the later period (and {LAPSED})",
            "tickvals": list(range(len(columns))),
            "ticktext": [plain(names_to[b]) for b in columns],
        },
        yaxis={
            "title": f"segment in the first period (and {NEW})",
            "tickvals": list(range(len(rows))),
            "ticktext": [plain(names_from[a]) for a in rows],
            "autorange": "reversed",
            "automargin": True,
        },
        height=120 + 50 * len(rows),
    )


def _faded(colour: str, alpha: float = 0.4) -> str:
    """A hex colour as rgba with ``alpha``.

    >>> _faded("#FF0000")
    'rgba(255, 0, 0, 0.4)'
    """
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


def migration_sankey(cells: pd.DataFrame, value: str, reference: str) -> go.Figure:
    """The same cells as flows: the reference period's segments and new on the left, the
    later period's and lapsed on the right, each segment in its colour (new and lapsed
    grey), each flow in its source's; a click on a flow carries its cell's segments as text
    ("from,to", -1 for new and lapsed: Dash passes a point's plain values only)."""
    source, target = _cell_codes(cells)
    left, right = list(dict.fromkeys(source)), list(dict.fromkeys(target))
    names_from = dict(zip(source, cells["from"], strict=True))
    names_to = dict(zip(target, cells["to"], strict=True))
    colours = [OUTSIDE_COLOUR if s < 0 else segment_colour(s) for s in (*left, *right)]
    flows = cells[value].fillna(0).to_numpy()
    drawn = [i for i in range(len(cells)) if flows[i] > 0]
    period = plain(cells["period"].iat[0]) if len(cells) else ""
    figure = go.Figure(
        go.Sankey(
            arrangement="fixed",
            node={
                "label": [plain(names_from[a]) for a in left] + [plain(names_to[b]) for b in right],
                "color": colours,
                "pad": 12,
                "hovertemplate": "%{label}: %{value:,.0f}<extra></extra>",
            },
            link={
                "source": [left.index(source[i]) for i in drawn],
                "target": [len(left) + right.index(target[i]) for i in drawn],
                "value": [float(flows[i]) for i in drawn],
                "color": [_faded(colours[left.index(source[i])]) for i in drawn],
                "customdata": [f"{source[i]},{target[i]}" for i in drawn],
                "hovertemplate": "%{source.label} to %{target.label}: %{value:,.0f}<extra></extra>",
            },
        )
    )
    return _layout(figure, title=f"{plain(reference)} → {plain(period)}: {value}", height=420)


def period_sizes(by_period: pd.DataFrame, labels: list[str], names: dict[int, str]) -> go.Figure:
    """Each period's customers per segment, stacked, in the segments' colours."""
    counts = by_period.groupby(["segment", "period"], sort=False).size()
    figure = go.Figure()
    for segment, name in sorted(names.items()):
        figure.add_trace(
            go.Bar(
                x=[plain(label) for label in labels],
                y=[int(counts.get((segment, label), 0)) for label in labels],
                name=plain(name),
                marker={"color": segment_colour(segment)},
                hovertemplate=f"{plain(name)}: %{{y:,}} customers<extra></extra>",
            )
        )
    return _layout(
        figure,
        title="Customers per segment in each period",
        barmode="stack",
        yaxis_title="customers",
        legend={"orientation": "h", "y": -0.2},
    )
