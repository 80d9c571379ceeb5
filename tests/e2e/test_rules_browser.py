"""In a real browser: RFM segments of the online retail data, drill into one segment's rules
and top products, and download the rules."""

import threading
import time
from pathlib import Path

import pandas as pd

from basket_segments import ids
from tests.e2e.helpers import click, cut_text, grid_rows, sign_up, upload, wait_for_choice


def wait_for_file(folder: Path, name: str, timeout: float = 60) -> Path:
    path = Path(folder) / name
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists() and path.stat().st_size > 0:
            return path
        time.sleep(0.2)
    raise AssertionError(f"{name} was not downloaded")


def stored_rules(tmp_path: Path) -> list[Path]:
    return sorted(tmp_path.glob("data/**/mining-*.pickle"))


def cancel_a_long_mining(dash_duo, tmp_path: Path) -> None:
    """Support 0.005 with rules of up to 5 products is far below what was mined (about four
    seconds of mining and measuring); mining it shows progress, and Cancel stops it."""
    mined = stored_rules(tmp_path)
    length = dash_duo.find_element(f"#{ids.MAX_LENGTH}")
    length.clear()
    length.send_keys("5\n")  # a quick mining at the page's support, stored like any other
    deadline = time.time() + 60
    while len(stored_rules(tmp_path)) == len(mined) and time.time() < deadline:
        time.sleep(0.2)
    before = stored_rules(tmp_path)
    assert len(before) == len(mined) + 1, "the mining of rules of up to 5 products was not stored"
    dash_duo.wait_for_style_to_equal(f"#{ids.RULES_WORK.job.box}", "display", "none")
    support = dash_duo.find_element(f"#{ids.MIN_SUPPORT}")
    support.clear()
    support.send_keys("0.005\n")
    dash_duo.wait_for_style_to_equal(f"#{ids.RULES_WORK.job.box}", "display", "block")
    dash_duo.wait_for_contains_text(f"#{ids.RULES_WORK.job.text}", "Finding the rules of")
    assert dash_duo.find_elements(f"#{ids.RULES_TABLE} .ag-row") == []  # old rules cleared
    click(dash_duo, f"#{ids.RULES_WORK.job.cancel}")
    dash_duo.wait_for_style_to_equal(f"#{ids.RULES_WORK.job.box}", "display", "none")
    dash_duo.wait_for_contains_text(f"#{ids.RULES_MESSAGE}", "Stopped; nothing was stored")
    for thread in threading.enumerate():
        if thread.name.startswith("job-"):
            thread.join(60)
            assert not thread.is_alive(), "the cancelled job kept running"
    assert stored_rules(tmp_path) == before


#: The charts whose title Plotly's toolbar covers (their boxes meet).
COVERED_TITLES = """
const meet = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
return [...document.querySelectorAll('.js-plotly-plot')].filter(plot => {
  const title = plot.querySelector('.gtitle'), bar = plot.querySelector('.modebar');
  return title && bar && meet(title.getBoundingClientRect(), bar.getBoundingClientRect());
}).map(plot => plot.closest('.dash-graph').id);
"""


def assert_rules_read_whole(dash_duo) -> None:
    """Every rule side and header of the visible rows reads whole at 1400 and 1024 px: the
    grid cut product names at about 18 and 8 characters; and no chart's title lies under
    Plotly's toolbar (it covered the top products' titles at 1024 px)."""
    for width in (1400, 1024):
        dash_duo.driver.set_window_size(width, 1000)
        time.sleep(1)  # the grid sizes its columns to the new width
        cut = cut_text(dash_duo, f"#{ids.RULES_TABLE}")
        assert cut == [], f"{width} px: {cut[:5]}"
        covered = dash_duo.driver.execute_script(COVERED_TITLES)
        assert covered == [], f"{width} px: the toolbar covers the titles of {covered}"
    dash_duo.driver.set_window_size(1400, 1000)


def test_retail_segment_rules_and_products(dash_duo, dashboard, shared_data, screenshot, tmp_path):
    dash_duo.start_server(dashboard, navigate=False)
    sign_up(dash_duo)
    upload(dash_duo, shared_data / "online_retail_2010-12.csv")
    click(dash_duo, ".nav-link[href='/analytics/segments']")
    dash_duo.wait_for_contains_text(f"#{ids.FEATURES}", "Recency")
    dash_duo.wait_for_element("#segments-pie .slice")

    largest = dash_duo.find_elements("#segments-pie .slice path")[0]
    dash_duo.driver.execute_script(
        "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}));", largest
    )
    dash_duo.wait_for_contains_text(f"#{ids.SELECTION_BADGE}", "Selected:")
    selected = dash_duo.find_element(f"#{ids.SELECTION_BADGE}").text.removeprefix("Selected: ")

    click(dash_duo, ".nav-link[href='/analytics/rules']")
    wait_for_choice(dash_duo, ids.RULES_SEGMENT, selected)
    dash_duo.wait_for_contains_text(
        f"#{ids.RULE_SENTENCES}", f"Customers in {selected} who buy", timeout=180
    )
    rows = grid_rows(dash_duo, f"#{ids.RULES_TABLE}", at_least=2)
    assert all(row.text for row in rows)
    assert_rules_read_whole(dash_duo)
    rows = grid_rows(dash_duo, f"#{ids.RULES_TABLE}", at_least=2)
    dash_duo.wait_for_contains_text(f"#{ids.SEGMENT_PRODUCTS}", "Top products")
    assert selected in dash_duo.find_element(f"#{ids.SEGMENT_PRODUCTS}").text
    screenshot("rules")

    click(dash_duo, f"#{ids.DOWNLOAD_RULES}")  # a link to the streamed CSV
    rules = pd.read_csv(wait_for_file(dash_duo.download_path, "rules.csv"))
    assert {"antecedent", "consequent", "support", "confidence", "lift"} <= set(rules.columns)
    assert selected in set(rules["segment_name"])
    click(dash_duo, f"#{ids.DOWNLOAD_SHOWN_RULES}")  # what the grid lists, in its order
    shown = pd.read_csv(wait_for_file(dash_duo.download_path, "rules_shown.csv"))
    assert 0 < len(shown) < len(rules) and "segment_name" not in shown.columns
    first = shown.iloc[0]  # the grid's first row (its text columns sit in their own pane)
    assert f"{first['lift']:.2f}" in rows[0].text
    assert first["consequent"] in rows[0].text or first["antecedent"] in rows[0].text

    cancel_a_long_mining(dash_duo, tmp_path)

    click(dash_duo, ".nav-link[href='/analytics/customers']")
    dash_duo.wait_for_element(f"#{ids.CUSTOMER_INPUT}").send_keys("17850")
    click(dash_duo, f"#{ids.CUSTOMER_LOOKUP}")
    dash_duo.wait_for_contains_text(f"#{ids.CUSTOMER_BOUGHT}", "WHITE HANGING HEART T-LIGHT HOLDER")
    recommendations = grid_rows(dash_duo, f"#{ids.CUSTOMER_RECOMMENDATIONS}", at_least=5)
    assert len(recommendations) == 5
    assert "Customers in" in dash_duo.find_element(f"#{ids.CUSTOMER_RECOMMENDATIONS}").text or (
        "popular" in dash_duo.find_element(f"#{ids.CUSTOMER_RECOMMENDATIONS}").text
    )
    screenshot("customers")

    dash_duo.find_element(f"#{ids.CUSTOMER_INPUT}").clear()
    dash_duo.find_element(f"#{ids.CUSTOMER_INPUT}").send_keys("no-such-customer")
    click(dash_duo, f"#{ids.CUSTOMER_LOOKUP}")
    dash_duo.wait_for_contains_text(
        f"#{ids.CUSTOMER_RESULT}", "There is no customer 'no-such-customer'"
    )

    click(dash_duo, f"#{ids.LOGOUT_LINK}")
    dash_duo.wait_for_element("#login-form")
