"""In a real browser: the five-month online retail file on the Over time page; a click on
the largest move between two segments lists exactly its customers, as the analytics
functions count them; below, a segment's rules and products in both periods."""

import re
import time

from dash.testing.wait import until
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from basket_segments import ids
from basket_segments.analytics.over_time import segments_over_time, split_by_period
from basket_segments.analytics.periods import PeriodRule
from basket_segments.analytics.prepare import load_dataset
from basket_segments.layouts.over_time import CLICK_A_CELL
from tests.e2e.helpers import click, grid_rows, sign_up, upload

FILE = "online_retail_2011-02_to_2011-06.csv"
#: The page coordinates of a heatmap cell's centre (arguments: the row and the column).
CELL_POINT = """
const plot = document.getElementById(arguments[0]).querySelector('.js-plotly-plot');
const box = plot.getBoundingClientRect(), layout = plot._fullLayout;
return [box.left + layout._size.l + layout.xaxis.l2p(arguments[2]),
        box.top + layout._size.t + layout.yaxis.l2p(arguments[1])];
"""
#: Whether a chart's heatmap is drawn and no longer loading (a click then reaches Plotly).
DRAWN = """
const graph = document.getElementById(arguments[0]);
const plot = graph.querySelector('.js-plotly-plot');
return !!plot && !!plot._fullLayout && (plot.data || [])[0]?.type === 'heatmap'
    && !graph.closest('[data-dash-is-loading]') && !graph.querySelector('[data-dash-is-loading]');
"""
CUSTOMERS = f"#{ids.MOVED_TABLE} .ag-row:not(.ag-row-loading) .ag-cell[col-id='customer']"


def expected_move(path):
    """The largest move between two segments, and its customers, recomputed with the
    analytics functions as the page's defaults ask (every feature, K = 5, auto scaling,
    split in the middle of the dates)."""
    data = load_dataset(path)
    found = segments_over_time(
        split_by_period(data, PeriodRule()), data.features, 5, data.feature_kinds
    )
    cells = found.migration
    moves = cells[cells["from_segment"].notna() & cells["to_segment"].notna()]
    moves = moves[moves["from_segment"] != moves["to_segment"]]
    biggest = moves.sort_values("customers", ascending=False, kind="stable").iloc[0]
    source, target = int(biggest["from_segment"]), int(biggest["to_segment"])
    first, later = found.periods.labels
    table = found.by_period.pivot(index="customer", columns="period", values="segment")
    members = table[(table[first] == source) & (table[later] == target)].index
    assert len(members) == biggest["customers"] > 0
    return source, target, set(members)


def listed_customers(dash_duo, count: int) -> set[str]:
    """Every customer the cell's grid lists, page by page."""
    seen: list[str] = []
    while True:
        shown = until(lambda: [e.text for e in dash_duo.find_elements(CUSTOMERS)] or None, 30)
        seen += shown
        if len(seen) >= count:
            return set(seen)
        click(dash_duo, f"#{ids.MOVED_TABLE} .ag-paging-button[aria-label='Next Page']")
        first = shown[:1]
        until(
            lambda first=first: [e.text for e in dash_duo.find_elements(CUSTOMERS)][:1] != first, 30
        )


def click_cell(dash_duo, row: int, column: int) -> bool:
    """Click the heatmap's cell with a real mouse; whether its customers are then named
    (a click while the chart is still being redrawn is lost: the caller clicks again)."""
    if not dash_duo.driver.execute_script(DRAWN, ids.MIGRATION_HEATMAP):
        return False
    plot = dash_duo.find_element(f"#{ids.MIGRATION_HEATMAP}")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", plot)
    x, y = dash_duo.driver.execute_script(CELL_POINT, ids.MIGRATION_HEATMAP, row, column)
    drag = dash_duo.find_element(f"#{ids.MIGRATION_HEATMAP} .nsewdrag")
    # Selenium 4.2 offsets from the element's top left corner (its warning says so).
    left, top = dash_duo.driver.execute_script(
        "const box = arguments[0].getBoundingClientRect(); return [box.left, box.top];", drag
    )
    ActionChains(dash_duo.driver).move_to_element_with_offset(
        drag, x - left, y - top
    ).click().perform()
    time.sleep(1)
    return dash_duo.find_element(f"#{ids.MOVED_CAPTION}").text != CLICK_A_CELL


def test_a_click_on_the_largest_move_lists_exactly_its_customers(
    dash_duo, dashboard, shared_data, screenshot
):
    source, target, members = expected_move(shared_data / FILE)
    dash_duo.start_server(dashboard, navigate=False)
    dash_duo.driver.set_window_size(1400, 1000)
    sign_up(dash_duo)
    upload(dash_duo, shared_data / FILE)
    click(dash_duo, ".nav-link[href='/analytics/over-time']")
    dash_duo.wait_for_contains_text(f"#{ids.OVER_TIME_SEGMENTATION}", "K = 5")
    dash_duo.wait_for_contains_text(f"#{ids.MIGRATION_SUMMARY}", "2 periods", timeout=120)
    dash_duo.wait_for_element(f"#{ids.MIGRATION_HEATMAP} .nsewdrag")
    dash_duo.wait_for_element(f"#{ids.MIGRATION_SANKEY} .sankey-link")

    until(lambda: click_cell(dash_duo, source, target), 60)
    dash_duo.driver.execute_script("window.scrollTo(0, 0);")
    screenshot("over-time")
    caption = dash_duo.find_element(f"#{ids.MOVED_CAPTION}").text
    assert int(re.match(r"([\d,]+) customer", caption).group(1).replace(",", "")) == len(members)
    assert listed_customers(dash_duo, len(members)) == members
    link = dash_duo.find_element(f"#{ids.DOWNLOAD_MOVED}")
    until(lambda: "disabled" not in link.get_attribute("class"), 30)
    assert dash_duo.driver.find_elements(By.CSS_SELECTOR, f"#{ids.OVER_TIME_MESSAGE} .alert") == []

    # Below, a segment's rules and top products in both periods, as rows (the first
    # segment, recent customers of few purchases, has no rules at the default thresholds).
    dash_duo.wait_for_contains_text(f"#{ids.PERIOD_CHANGES_CAPTION}", "rules in", timeout=120)
    Select(dash_duo.find_element(f"#{ids.PERIOD_SEGMENT}")).select_by_value("1")
    dash_duo.wait_for_contains_text(f"#{ids.PERIOD_CHANGES_CAPTION}", "Frequent, big spend")
    changes = grid_rows(dash_duo, f"#{ids.PERIOD_RULES_TABLE}")
    assert re.search(r"appeared|disappeared|lift [\d.]+ -> [\d.]+", changes[0].text)
    assert grid_rows(dash_duo, f"#{ids.PERIOD_PRODUCTS_TABLE}")
    assert "Customers in " in dash_duo.find_element(f"#{ids.PERIOD_RULE_SENTENCES}").text
