"""In a real browser: the five-month online retail file on the Over time page; a click on
the largest move between two segments lists exactly its customers, as the analytics
functions count them; below, a segment's rules and products in both periods."""

import re
import time

from dash.testing.wait import until
from selenium.common.exceptions import MoveTargetOutOfBoundsException, TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from basket_segments import ids
from basket_segments.analytics.over_time import segments_over_time, split_by_period
from basket_segments.analytics.periods import PeriodRule
from basket_segments.analytics.prepare import load_dataset
from basket_segments.layouts.customers import NO_PURCHASE_IN_PERIOD
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


def page_defaults(source):
    """The comparison the page's defaults ask for (every feature, K = 5, auto scaling,
    split in the middle of the dates), recomputed with the analytics functions."""
    data = load_dataset(source, "sample.csv")
    return segments_over_time(
        split_by_period(data, PeriodRule()), data.features, 5, data.feature_kinds
    )


def expected_move(path):
    """The largest move between two segments, and its customers, as the page's defaults
    ask; then the comparison itself."""
    found = page_defaults(path)
    cells = found.migration
    moves = cells[cells["from_segment"].notna() & cells["to_segment"].notna()]
    moves = moves[moves["from_segment"] != moves["to_segment"]]
    biggest = moves.sort_values("customers", ascending=False, kind="stable").iloc[0]
    source, target = int(biggest["from_segment"]), int(biggest["to_segment"])
    first, later = found.periods.labels
    table = found.by_period.pivot(index="customer", columns="period", values="segment")
    members = table[(table[first] == source) & (table[later] == target)].index
    assert len(members) == biggest["customers"] > 0
    return source, target, set(members), found


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
    try:
        ActionChains(dash_duo.driver).move_to_element_with_offset(
            drag, x - left, y - top
        ).click().perform()
    except MoveTargetOutOfBoundsException:  # the page moved under the pointer: again
        return False
    time.sleep(1)
    return dash_duo.find_element(f"#{ids.MOVED_CAPTION}").text != CLICK_A_CELL


def cell_listed(dash_duo, row: int, column: int, caption: str) -> bool:
    """Click a cell; whether the grid then lists the customers of the cell the caption
    names (a click while the page still moves may hit another: the caller clicks again)."""
    if not click_cell(dash_duo, row, column):
        return False
    if caption not in dash_duo.find_element(f"#{ids.MOVED_CAPTION}").text:
        return False
    try:
        return bool(grid_rows(dash_duo, f"#{ids.MOVED_TABLE}", timeout=15))
    except TimeoutException:
        return False


def test_a_click_on_the_largest_move_lists_exactly_its_customers(
    dash_duo, dashboard, shared_data, screenshot
):
    source, target, members, found = expected_move(shared_data / FILE)
    dash_duo.start_server(dashboard, navigate=False)
    dash_duo.driver.set_window_size(1400, 1000)
    sign_up(dash_duo)
    upload(dash_duo, shared_data / FILE)
    click(dash_duo, ".nav-link[href='/analytics/over-time']")
    dash_duo.wait_for_contains_text(f"#{ids.OVER_TIME_SEGMENTATION}", "K = 5")
    dash_duo.wait_for_contains_text(f"#{ids.MIGRATION_SUMMARY}", "2 periods", timeout=120)
    dash_duo.wait_for_element(f"#{ids.MIGRATION_HEATMAP} .nsewdrag")
    dash_duo.wait_for_element(f"#{ids.MIGRATION_SANKEY} .sankey-link")

    # A click while the page still moves may hit the cell beside it: click until the
    # caption names this one (a wrong count for it still fails, here or below).
    moved = f"customers moved from {found.names[source]} to {found.names[target]}"
    until(lambda: cell_listed(dash_duo, source, target, moved), 60)
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

    # One of them opens on the Customers page, with their segment in every period.
    customer = open_first_customer(dash_duo, timeout=180)
    assert shown_periods(dash_duo) == expected_periods(found, customer)
    assert [p.split(": ")[1] for p in shown_periods(dash_duo)] == [
        found.names[source],
        found.names[target],
    ]


def open_first_customer(dash_duo, timeout=120) -> str:
    """Click the first customer the cell's grid lists; the Customers page then shows them."""
    cell = dash_duo.find_elements(CUSTOMERS)[0]
    customer = cell.text
    dash_duo.driver.execute_script("arguments[0].click();", cell)  # the grid's cellClicked
    dash_duo.wait_for_contains_text(f"#{ids.CUSTOMER_RESULT}", f"Customer {customer}", timeout)
    assert dash_duo.driver.current_url.endswith(f"/analytics/customers?customer={customer}")
    return customer


def shown_periods(dash_duo) -> list[str]:
    """The Customers page's strip of periods: each period and the customer's segment."""
    items = until(lambda: dash_duo.find_elements(f"#{ids.CUSTOMER_PERIODS} li") or None, 60)
    return [" ".join(item.text.split()).split(" (")[0] for item in items]


def expected_periods(found, customer: str) -> list[str]:
    """What the strip should say: each period, the customer's segment there or none."""
    rows = found.by_period[found.by_period["customer"] == customer].set_index("period")
    names = rows["segment_name"].to_dict()
    return [f"{label}: {names.get(label, NO_PURCHASE_IN_PERIOD)}" for label in found.periods.labels]


def test_the_sample_opens_a_working_over_time_page(dash_duo, dashboard):
    """No file of one's own: *Try the sample dataset*, then Over time shows the migration
    the analytics functions find in the sample, and a cell's customers."""
    from basket_segments.analytics.sample import generate_sample

    found = page_defaults(generate_sample().to_csv(index=False).encode())
    first = found.migration[found.migration["period"] == found.periods.labels[1]]
    new = int(first.loc[first["from_segment"].isna(), "customers"].sum())
    gone = int(first.loc[first["to_segment"].isna(), "customers"].sum())
    dash_duo.start_server(dashboard, navigate=False)
    dash_duo.driver.set_window_size(1400, 1000)
    sign_up(dash_duo, path="/analytics/data")
    click(dash_duo, f"#{ids.LOAD_SAMPLE}")
    dash_duo.wait_for_contains_text(f"#{ids.DATA_MESSAGE}", "Stored", timeout=60)
    click(dash_duo, ".nav-link[href='/analytics/over-time']")
    dash_duo.wait_for_contains_text(f"#{ids.MIGRATION_SUMMARY}", "2 periods", timeout=120)
    summary = dash_duo.find_element(f"#{ids.MIGRATION_SUMMARY}").text
    assert f"{new:,} are new and {gone:,} made no purchase" in summary
    dash_duo.wait_for_element(f"#{ids.MIGRATION_SANKEY} .sankey-link")
    stayed = f"of {found.names[0]} stayed there"  # the first segment's, still there later
    until(lambda: cell_listed(dash_duo, 0, 0, stayed), 120)
    customer = open_first_customer(dash_duo)
    assert shown_periods(dash_duo) == expected_periods(found, customer)
    assert [p.split(": ")[1] for p in shown_periods(dash_duo)] == [found.names[0]] * 2
