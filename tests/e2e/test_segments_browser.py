"""In a real browser: segment Mall_Customers with K=5, click a slice, see its profile."""

import time

from selenium.webdriver.common.by import By

from tests.e2e.helpers import click, sign_up, upload


def test_mall_customers_five_segments_and_drill_down(dash_duo, dashboard, shared_data, screenshot):
    dash_duo.start_server(dashboard, navigate=False)
    sign_up(dash_duo)
    upload(dash_duo, shared_data / "Mall_Customers.csv")
    click(dash_duo, ".nav-link[href='/analytics/segments']")

    dash_duo.wait_for_contains_text("#segments-features", "Spending Score")
    dash_duo.wait_for_element("#segments-pie .slice")
    slices = dash_duo.find_elements("#segments-pie .slice")
    assert len(slices) == 5
    dash_duo.wait_for_contains_text("#segments-profile-table", "mean Age")
    rows = dash_duo.find_elements("#segments-profile-table tbody tr")
    assert len(rows) == 1 + 5  # header row + one per segment
    assert dash_duo.find_element("#segments-selection").text == "All segments"

    # Click the third slice: its segment becomes the selection, named in the badge.
    target = dash_duo.find_elements("#segments-pie .slice path")[2]
    dash_duo.driver.execute_script(
        "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}));", target
    )
    dash_duo.wait_for_contains_text("#segments-selection", "Selected:")
    selected = dash_duo.find_element("#segments-selection").text.removeprefix("Selected: ")
    profile = dash_duo.find_element("#segments-profile-table").text
    assert selected in profile
    # The click restyles the drawn charts: the third segment stands out in both.
    until(lambda: drawn(dash_duo, "segments-pie", "pull") == [[0, 0, 0.12, 0, 0]])
    until(lambda: drawn(dash_duo, "segments-scatter", "opacity") == [0.15, 0.15, 1, 0.15, 0.15])
    screenshot("segments")

    click(dash_duo, "#segments-clear-selection")
    dash_duo.wait_for_text_to_equal("#segments-selection", "All segments")
    until(lambda: drawn(dash_duo, "segments-scatter", "opacity") == [1] * 5)
    assert dash_duo.driver.find_element(By.ID, "segments-k").is_displayed()


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
