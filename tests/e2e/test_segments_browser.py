"""In a real browser: segment Mall_Customers with K=5, click a slice, see its profile."""

import time

from selenium.webdriver.common.by import By

from basket_segments import ids
from tests.e2e.helpers import click, grid_rows, sign_up, upload

#: Records the ids of the regions marked busy from now on (a job's "Computing..." overlay).
WATCH_BUSY = """
window.busySeen = [];
new MutationObserver(changes => changes.forEach(change => {
    const target = change.target;
    if (target.classList && target.classList.contains('bs-busy')
        && !window.busySeen.includes(target.id)) window.busySeen.push(target.id);
})).observe(document.body, {attributes: true, attributeFilter: ['class'], subtree: true});
"""


def test_mall_customers_five_segments_and_drill_down(dash_duo, dashboard, shared_data, screenshot):
    dash_duo.start_server(dashboard, navigate=False)
    sign_up(dash_duo)
    upload(dash_duo, shared_data / "Mall_Customers.csv")
    dash_duo.driver.execute_script(WATCH_BUSY)
    click(dash_duo, ".nav-link[href='/analytics/segments']")

    dash_duo.wait_for_contains_text(f"#{ids.FEATURES}", "Spending Score")
    dash_duo.wait_for_element("#segments-pie .slice")
    slices = dash_duo.find_elements("#segments-pie .slice")
    assert len(slices) == 5
    dash_duo.wait_for_contains_text(f"#{ids.PROFILE_TABLE}", "mean Age")
    rows = grid_rows(dash_duo, f"#{ids.PROFILE_TABLE}", at_least=5)
    assert len(rows) == 5  # one per segment
    # While the job ran, the empty grid said "Computing..." (it said "No Rows To Show").
    assert dash_duo.driver.execute_script("return window.busySeen") == [ids.PROFILE_REGION]
    region = dash_duo.find_element(f"#{ids.PROFILE_REGION}")
    assert region.get_attribute("aria-busy") == "false" and "bs-busy" not in region.get_attribute(
        "class"
    )
    assert dash_duo.find_element(f"#{ids.SELECTION_BADGE}").text == "All segments"
    # The charts' text is in the page's font (Bootstrap's, or a theme's), not Plotly's own.
    page_font, chart_font = dash_duo.driver.execute_script(
        "return [getComputedStyle(document.body).fontFamily, getComputedStyle("
        "document.querySelector('#segments-pie .legendtext')).fontFamily];"
    )
    assert chart_font == page_font and "Open Sans" not in chart_font

    # Click the third slice: its segment becomes the selection, named in the badge.
    target = dash_duo.find_elements("#segments-pie .slice path")[2]
    dash_duo.driver.execute_script(
        "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}));", target
    )
    dash_duo.wait_for_contains_text(f"#{ids.SELECTION_BADGE}", "Selected:")
    selected = dash_duo.find_element(f"#{ids.SELECTION_BADGE}").text.removeprefix("Selected: ")
    profile = dash_duo.find_element(f"#{ids.PROFILE_TABLE}").text
    assert selected in profile
    # The click restyles the drawn charts: the third segment stands out in both.
    until(lambda: drawn(dash_duo, ids.SEGMENT_PIE, "pull") == [[0, 0, 0.12, 0, 0]])
    until(lambda: drawn(dash_duo, ids.SEGMENT_SCATTER, "opacity") == [0.15, 0.15, 1, 0.15, 0.15])
    screenshot("segments")

    click(dash_duo, f"#{ids.CLEAR_SELECTION}")
    dash_duo.wait_for_text_to_equal(f"#{ids.SELECTION_BADGE}", "All segments")
    until(lambda: drawn(dash_duo, ids.SEGMENT_SCATTER, "opacity") == [1] * 5)
    box = dash_duo.driver.find_element(By.ID, ids.K_INPUT)
    assert box.is_displayed()
    # A K the page does not offer is refused next to the box; the segments shown stay.
    box.clear()
    box.send_keys("40")
    dash_duo.wait_for_contains_text(".invalid-feedback", "K is a whole number from 2 to 15")
    assert dash_duo.find_element(".invalid-feedback").is_displayed()
    assert len(drawn(dash_duo, ids.SEGMENT_SCATTER, "opacity")) == 5


def drawn(dash_duo, graph: str, what: str) -> list:
    """Per trace of a drawn Plotly chart: its pull, or its markers' opacity."""
    path = "trace.pull" if what == "pull" else "trace.marker.opacity"
    script = f"return document.querySelector('#{graph} .js-plotly-plot').data.map(trace => {path})"
    return dash_duo.driver.execute_script(script)


def until(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the chart never changed"
        time.sleep(0.1)
