"""In a real browser, as an analyst reads them: every page of the retail file and of a
bakery-style basket file at 1400 and 1024 px, with no product name in the rules grid and
no grid header cut. With ``SCREENSHOT_DIR`` set, each page at each width is saved there
(``docs/screenshots/`` holds them: ``SCREENSHOT_DIR=docs/screenshots pytest -k pages_read``).
"""

import os
import time
from pathlib import Path

import pytest

from basket_segments import ids
from tests.e2e.helpers import click, cut_text, grid_rows, sign_up, upload
from tests.e2e.test_csp_browser import wait_for_chart
from tests.shapes import bakery_file

WIDTHS = (1400, 1024)
#: Tall enough that one screenshot holds most of a page.
HEIGHT = 2000


def look_at(dash_duo, name: str) -> None:
    """At each width: nothing in a grid is cut; the page is saved when asked."""
    folder = os.environ.get("SCREENSHOT_DIR")
    for width in WIDTHS:
        dash_duo.driver.set_window_size(width, HEIGHT)
        time.sleep(1.5)  # grids size their columns and charts reflow to the width
        cut = cut_text(dash_duo)
        assert cut == [], f"{name} at {width} px: {cut[:5]}"
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            dash_duo.driver.save_screenshot(str(Path(folder) / f"{name}-{width}.png"))


def test_retail_pages_read_whole(dash_duo, dashboard, shared_data):
    dash_duo.start_server(dashboard, navigate=False)
    sign_up(dash_duo, path="/analytics/data")
    upload(dash_duo, shared_data / "online_retail_2010-12.csv")
    grid_rows(dash_duo, f"#{ids.DATA_PREVIEW}")
    look_at(dash_duo, "retail-data")

    click(dash_duo, ".nav-link[href='/analytics/segments']")
    wait_for_chart(dash_duo, ids.SEGMENT_PIE)
    grid_rows(dash_duo, f"#{ids.PROFILE_TABLE}", at_least=2)
    look_at(dash_duo, "retail-segments")

    click(dash_duo, ".nav-link[href='/analytics/rules']")
    grid_rows(dash_duo, f"#{ids.RULES_TABLE}", timeout=180)
    wait_for_chart(dash_duo, ids.SEGMENT_PRODUCTS)
    look_at(dash_duo, "retail-rules")

    click(dash_duo, ".nav-link[href='/analytics/customers']")
    dash_duo.wait_for_element(f"#{ids.CUSTOMER_INPUT}").send_keys("17850")
    click(dash_duo, f"#{ids.CUSTOMER_LOOKUP}")
    grid_rows(dash_duo, f"#{ids.CUSTOMER_RECOMMENDATIONS}", timeout=120)
    look_at(dash_duo, "retail-customers")


@pytest.mark.parametrize("page", ["data", "rules", "segments", "customers"])
def test_bakery_pages_read_whole(dash_duo, dashboard, tmp_path, page):
    dash_duo.start_server(dashboard, navigate=False)
    sign_up(dash_duo, path="/analytics/data")
    dash_duo.find_element(f"#{ids.UPLOAD} input[type=file]").send_keys(
        str(bakery_file(tmp_path / "bakery.csv"))
    )
    dash_duo.wait_for_contains_text(f"#{ids.DATASET_DETAILS}", "Cleaning report", timeout=120)
    if page != "data":
        click(dash_duo, f".nav-link[href='/analytics/{page}']")
    if page == "data":
        grid_rows(dash_duo, f"#{ids.DATA_PREVIEW}")
    elif page == "rules":
        grid_rows(dash_duo, f"#{ids.RULES_TABLE}", timeout=120)
        wait_for_chart(dash_duo, ids.SEGMENT_PRODUCTS)
    else:  # a basket file has nobody to segment or look up: the page says so
        dash_duo.wait_for_contains_text(f"#{ids.PAGE}", "without customers")
    look_at(dash_duo, f"bakery-{page}")
