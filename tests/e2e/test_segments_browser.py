"""In a real browser: segment Mall_Customers with K=5, click a slice, see its profile."""

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
    screenshot("segments")

    click(dash_duo, "#segments-clear-selection")
    dash_duo.wait_for_text_to_equal("#segments-selection", "All segments")
    assert dash_duo.driver.find_element(By.ID, "segments-k").is_displayed()
