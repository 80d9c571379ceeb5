"""Every control of every page, for every shape of data, has a visible name tied to it: a
select or a text box the ``<label for=...>`` of its id, a group of checkboxes or radio
buttons the legend of the fieldset it sits in. axe checks what one page shows in a
browser; this checks each page's layout, built without an app."""

from types import SimpleNamespace

import pytest

from basket_segments.analytics.prepare import SHAPES
from basket_segments.ids import dom_id
from basket_segments.layouts import customers, data, over_time, rules, segments

#: Controls named by a label, and groups named by their fieldset's legend.
LABELLED = {"Dropdown", "Input", "Select", "Textarea"}
GROUPS = {"Checklist", "RadioItems"}
PREFIX = "/analytics/"


def walk(component, legend=None):
    """Each component of a tree with the legend of the fieldset it sits in, if any."""
    yield component, legend
    children = getattr(component, "children", None)
    children = children if isinstance(children, list | tuple) else [children]
    if type(component).__name__ == "Fieldset":
        legend = next((c.children for c in children if type(c).__name__ == "Legend"), None)
    for child in children:
        if hasattr(child, "to_plotly_json"):
            yield from walk(child, legend)


def pages():
    details = SimpleNamespace(
        name="shop",
        shape="combined",
        rows=240,
        customers=120,
        products=4,
        report={"rows_kept": 240},
        roles={"customer": "CustomerID", "product": "Product", "categories": ["Region"]},
    )
    yield "data", data.data_page(2**20, "/upload")
    yield "data details", data.dataset_details(details, ["CustomerID", "Region", "Product"])
    for shape in SHAPES:
        for page in (segments.segments_page, rules.rules_page, customers.customers_page):
            yield f"{page.__name__} {shape}", page(shape, PREFIX)
        yield f"over_time_page {shape}", over_time.over_time_page(shape, PREFIX, dated=True)


@pytest.mark.parametrize("name, page", list(pages()), ids=[name for name, _ in pages()])
def test_every_control_has_a_visible_label_tied_to_it(name, page):
    tree = list(walk(page))
    labels = {
        dom_id(c.html_for): c
        for c, _ in tree
        if type(c).__name__ == "Label" and getattr(c, "html_for", None)
    }
    unnamed = []
    for component, legend in tree:
        kind = type(component).__name__
        if kind in LABELLED:
            label = labels.get(dom_id(component.id))
            hidden = label is not None and "visually-hidden" in str(getattr(label, "className", ""))
            if label is None or hidden or not label.children:
                unnamed.append(f"{kind} {component.id}")
        elif kind in GROUPS and not legend:
            unnamed.append(f"{kind} {component.id}")
    assert not unnamed, f"{name}: no visible label for " + ", ".join(unnamed)
