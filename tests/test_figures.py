"""Chart builders on shapes that once broke them."""

import numpy as np
import pandas as pd
import plotly.io as pio
import pytest

from basket_segments import figures


def test_a_sampled_scatter_keeps_a_trace_for_every_segment():
    """9,002 customers, one of them alone in its segment: the 5,000-point sample missed it
    and drawing its trace raised IndexError."""
    n = 9_002
    table = pd.DataFrame(
        {
            "customer": [f"c{i}" for i in range(n)],
            "segment": [2] + [0] * 6_000 + [1] * (n - 6_001),
            "segment_name": ["Outlier"] + ["Young"] * 6_000 + ["Older"] * (n - 6_001),
            "Age": np.arange(n, dtype=float),
            "Income": np.arange(n, dtype=float),
        }
    )
    figure = figures.segment_scatter(table, "Age", "Income", selected=2)
    assert [trace.name for trace in figure.data] == ["Young", "Older", "Outlier"]
    assert sum(len(trace.x) for trace in figure.data) <= 5_000
    assert len(figure.data[2].x) == 1 and figure.data[2].marker.opacity == 1.0
    shares = [len(trace.x) / 5_000 for trace in figure.data[:2]]
    assert np.allclose(shares, [6_000 / n, 3_001 / n], atol=0.01)


EVIL_LINK = '<a href="https://evil.example/">EVIL</a>'


def strings_in(value) -> list[str]:
    """Every string inside a figure's JSON."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings_in(item)]
    if isinstance(value, list | tuple | np.ndarray):
        return [s for item in value for s in strings_in(item)]
    return []


def test_names_from_users_files_are_never_markup_in_charts():
    """A header or product name with HTML became a clickable link in legends, axis titles
    and product bars, and <b> rendered bold."""
    table = pd.DataFrame(
        {
            "customer": ["<b>c1</b>", "c2"],
            "segment": [0, 1],
            "segment_name": [EVIL_LINK, "<b>Older</b>"],
            "<b>Age</b>": [20.0, 60.0],
            EVIL_LINK: [1.0, 2.0],
        }
    )
    profiles = pd.DataFrame({"segment": [0, 1], "name": [EVIL_LINK, "<b>x</b>"], "size": [1, 1]})
    products = pd.DataFrame(
        {
            "segment": [0],
            "segment_name": [EVIL_LINK],
            "product": [EVIL_LINK],
            "share": [0.5],
            "share_vs_all": [1.2],
        }
    )
    values = pd.Series([0.5, 0.4], index=["c1", "c2"])
    drawn = [
        figures.segment_scatter(table, "<b>Age</b>", EVIL_LINK),
        figures.segment_pie(profiles),
        figures.products_bar(products, 0),
        figures.silhouette_figure(values, pd.Series([0, 1], index=["c1", "c2"]), {0: EVIL_LINK}),
    ]
    texts = [s for figure in drawn for s in strings_in(figure.to_plotly_json())]
    assert not [s for s in texts if "<a" in s or "<b>" in s]
    assert any("&lt;a href=" in s for s in texts)


def test_the_silhouette_plot_shows_each_customers_value_sorted_within_its_segment():
    """Before: the bars of a segment's customers were stacked end to end, so the axis
    titled -1 to 1 ran to 270. Now one bar per customer, as silhouette_samples gives it."""
    from sklearn.metrics import silhouette_samples

    rng = np.random.default_rng(0)
    points = np.concatenate([rng.normal(centre, 1.0, (40, 2)) for centre in (0, 6, 12)])
    labels = np.repeat([0, 1, 2], 40)
    labels[:3] = 1  # three customers closer to another segment: negative values
    values = silhouette_samples(points, labels)
    index = [f"c{i}" for i in range(len(points))]
    names = {0: "Low", 1: "Mid", 2: "High"}
    figure = figures.silhouette_figure(pd.Series(values, index), pd.Series(labels, index), names)
    assert [trace.name for trace in figure.data] == ["Low", "Mid", "High"]
    rows = []
    for segment, trace in enumerate(figure.data):
        assert np.allclose(trace.x, np.sort(values[labels == segment]))
        rows += list(trace.y)
    assert len(rows) == len(set(rows)) == len(points)  # a row per customer, none stacked
    assert figure.layout.barmode == "overlay" and tuple(figure.layout.xaxis.range) == (-1, 1)
    assert min(values) < 0 and all(-1 <= x <= 1 for trace in figure.data for x in trace.x)
    (line,) = figure.layout.shapes
    assert line.x0 == line.x1 == pytest.approx(values.mean())
    assert list(figure.layout.yaxis.ticktext) == ["Low", "Mid", "High"]


def relative_luminance(colour: str) -> float:
    """WCAG's relative luminance of ``#rrggbb``."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    light, dark = sorted((relative_luminance(one), relative_luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def lab(colour: str) -> tuple[float, float, float]:
    """CIELAB (D65) of ``#rrggbb``, for telling colours apart."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    xyz = (
        (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047,
        0.2126 * r + 0.7152 * g + 0.0722 * b,
        (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883,
    )
    x, y, z = (v ** (1 / 3) if v > 0.008856 else 7.787 * v + 16 / 116 for v in xyz)
    return 116 * y - 16, 500 * (x - y), 200 * (y - z)


def test_segment_colours_read_on_the_charts_background_and_stay_apart():
    """The charts draw their own white background whatever the page's Bootstrap theme, so
    each segment's colour (and the grey of all customers) keeps 3:1 against it (WCAG's
    non-text contrast) and the colours stay far apart (CIELAB distance over 30)."""
    template = pio.templates[figures.TEMPLATE].layout
    backgrounds = {template.paper_bgcolor, template.plot_bgcolor}
    assert backgrounds == {"white"}
    colours = [*figures.SEGMENT_COLOURS, figures.ALL_COLOUR]
    assert len(set(colours)) == len(colours) == 16
    assert min(contrast(colour, "#ffffff") for colour in colours) >= 3
    distances = [
        sum((a - b) ** 2 for a, b in zip(lab(one), lab(other), strict=True)) ** 0.5
        for i, one in enumerate(colours)
        for other in colours[i + 1 :]
    ]
    assert min(distances) > 30


def test_trusted_figures_write_what_plotly_validation_would():
    """The Rules page's scatter and bars are built from plain specs that plotly does not
    validate (a tenth of the time): validating them must change nothing."""
    import json

    import plotly.graph_objects as go
    import plotly.io as pio

    rng = np.random.default_rng(0)
    rules = pd.DataFrame(
        {
            "support": rng.random(30),
            "confidence": rng.random(30),
            "lift": rng.random(30) * 3,
            "sentence": [f"{EVIL_LINK} & {i}" for i in range(30)],
        },
        index=np.arange(30) * 3,
    )
    products = pd.DataFrame(
        {
            "segment": [0] * 12 + [1] * 3,
            "segment_name": [EVIL_LINK] * 12 + ["Old"] * 3,
            "product": [f"<b>p{i}</b>" for i in range(15)],
            "share": rng.random(15),
            "share_vs_all": rng.random(15),
        }
    )
    drawn = [
        figures.rules_scatter(rules),
        figures.rules_scatter(rules.head(0)),
        figures.products_bar(products, 0),
        figures.products_bar(products, 7),  # no products: an empty chart
    ]
    for figure in drawn:
        validated = go.Figure(figure.to_plotly_json())
        written = [json.loads(pio.to_json(f, validate=False)) for f in (validated, figure)]
        assert written[0] == written[1]
        template = written[1]["layout"]["template"]  # the trimmed one: its traces are in it
        assert {trace["type"] for trace in written[1]["data"]} <= set(template["data"])
        full = pio.templates[figures.TEMPLATE].to_plotly_json()
        for kind, defaults in template["data"].items():
            assert defaults == full["data"][kind]
    assert drawn[0].layout.title.text == "30 rules" and len(drawn[2].data[0].y) == 10
