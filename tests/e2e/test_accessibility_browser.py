"""In a real browser: axe-core (the current release from npm) finds no critical or serious
accessibility problem on the login and sign-up forms or on any dashboard page, with the
sample data analysed, and nothing is left out of the scan: not the controls, not the grids,
not Plotly's charts. Headings go down one level at a time under one level-one heading."""

import time

import pytest
from dash.testing.wait import until
from selenium.common.exceptions import TimeoutException

from basket_segments import ids
from tests.e2e.helpers import axe_source, axe_violations, click, grid_rows, sign_up, upload
from tests.e2e.test_csp_browser import SAMPLE_CUSTOMER, wait_for_chart
from tests.e2e.test_over_time_browser import FILE, click_cell

#: The impacts that fail the test; "moderate" and "minor" are reported, not failed...
BLOCKING = {"critical", "serious"}
#: ...except these rules, which fail whatever their impact.
ALWAYS_FAILED = {"heading-order", "page-has-heading-one", "landmark-one-main"}
#: The charts of the page that have no caption saying what they show.
UNDESCRIBED_CHARTS = """
return [...document.querySelectorAll('.dash-graph')]
    .filter(graph => !(graph.closest('figure')?.querySelector('figcaption')?.textContent.trim()))
    .map(graph => graph.id);
"""
#: The row and column of the heatmap's fullest cell.
LARGEST_CELL = """
const z = document.getElementById(arguments[0]).querySelector('.js-plotly-plot').data[0].z;
let best = [0, 0, -1];
Array.from(z, (row, i) => Array.from(row, (v, j) => {
    if ((v || 0) > best[2]) best = [i, j, v || 0];
}));
return best.slice(0, 2);
"""
#: The grids AG Grid has not finished drawing, by the id of the box that holds them.
STILL_RENDERING = """
return [...document.querySelectorAll('.ag-delay-render')]
    .map(grid => grid.closest('[id]')?.id || '?');
"""
#: Landmarks and headings a screen reader user jumps by: one main, one level-one heading
#: first, and no level skipped on the way down (h2 then h4 is a skip; h4 then h2 is not).
MISSING_LANDMARKS = """
const problems = [];
if (document.querySelectorAll('main').length !== 1) problems.push('not one main landmark');
if (document.querySelectorAll('h1').length !== 1) problems.push('not one level-one heading');
let level = 0;
for (const heading of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    const next = Number(heading.tagName[1]);
    if (next > level + 1) problems.push(`h${next} "${heading.textContent.trim()}" after h${level}`);
    level = next;
}
return problems;
"""


@pytest.fixture(scope="module")
def axe():
    return axe_source()


def problems(driver, axe: str) -> list[str]:
    """axe-core's failing violations on the whole current page, one readable line each,
    then the charts without a text alternative and the landmarks or headings amiss."""
    _version, violations = axe_violations(driver, axe)
    return [
        f"{rule['id']} ({rule['impact']}, {len(rule['nodes'])}): {rule['help']} at "
        + "; ".join(" ".join(map(str, node["target"])) for node in rule["nodes"][:3])
        for rule in violations
        if rule["impact"] in BLOCKING or rule["id"] in ALWAYS_FAILED
    ] + [
        *(f"chart {name} has no caption" for name in driver.execute_script(UNDESCRIBED_CHARTS)),
        *driver.execute_script(MISSING_LANDMARKS),
    ]


def listed_cell(dash_duo) -> bool:
    """Click the heatmap's fullest cell; whether its customers are then listed (a click
    while the page still moves can miss: the caller clicks again)."""
    row, column = dash_duo.driver.execute_script(LARGEST_CELL, ids.MIGRATION_HEATMAP)
    if not click_cell(dash_duo, row, column):
        return False
    try:
        return bool(grid_rows(dash_duo, f"#{ids.MOVED_TABLE}", timeout=15))
    except TimeoutException:
        return False


def test_axe_finds_no_serious_problem_on_any_page(dash_duo, dashboard, axe):
    dash_duo.start_server(dashboard, navigate=False)
    driver = dash_duo.driver
    driver.set_script_timeout(120)  # axe reads every element of a page with a grid
    found = {}
    driver.get(dash_duo.server.url + "/login")
    dash_duo.wait_for_element("#login-form")
    found["login"] = problems(driver, axe)
    driver.get(dash_duo.server.url + "/signup")
    dash_duo.wait_for_element("#signup-form")
    found["sign-up"] = problems(driver, axe)

    sign_up(dash_duo, path="/analytics/data")
    click(dash_duo, f"#{ids.LOAD_SAMPLE}")
    dash_duo.wait_for_contains_text(f"#{ids.DATA_MESSAGE}", "Stored", timeout=60)
    grid_rows(dash_duo, f"#{ids.DATA_PREVIEW}")
    found["Data"] = problems(driver, axe)

    click(dash_duo, ".nav-link[href='/analytics/segments']")
    for graph in (ids.SEGMENT_SCATTER, ids.SEGMENT_PIE, ids.SILHOUETTE_CHART):
        wait_for_chart(dash_duo, graph)
    grid_rows(dash_duo, f"#{ids.PROFILE_TABLE}")
    found["Segments"] = problems(driver, axe)

    click(dash_duo, ".nav-link[href='/analytics/rules']")
    grid_rows(dash_duo, f"#{ids.RULES_TABLE}", timeout=180)
    for graph in (ids.RULES_SCATTER, ids.SEGMENT_PRODUCTS, ids.RULE_MATRIX, ids.RULE_GRAPH):
        wait_for_chart(dash_duo, graph)
    found["Rules"] = problems(driver, axe)

    click(dash_duo, ".nav-link[href='/analytics/customers']")
    dash_duo.wait_for_element(f"#{ids.CUSTOMER_INPUT}").send_keys(SAMPLE_CUSTOMER)
    click(dash_duo, f"#{ids.CUSTOMER_LOOKUP}")
    grid_rows(dash_duo, f"#{ids.CUSTOMER_RECOMMENDATIONS}")
    found["Customers"] = problems(driver, axe)

    click(dash_duo, ".nav-link[href='/analytics/over-time']")  # the sample has dates
    dash_duo.wait_for_contains_text(f"#{ids.MIGRATION_SUMMARY}", "2 periods", timeout=120)
    wait_for_chart(dash_duo, ids.MIGRATION_SANKEY)
    grid_rows(dash_duo, f"#{ids.PERIOD_PRODUCTS_TABLE}", timeout=120)
    until(lambda: not driver.execute_script(STILL_RENDERING), 30)
    # Before a click: no empty grid, and the waiting download link legible.
    found["Over time, no cell clicked"] = problems(driver, axe)
    until(lambda: listed_cell(dash_duo), 120)  # a cell's grid, scanned too
    link = dash_duo.find_element(f"#{ids.DOWNLOAD_MOVED}")
    until(lambda: "disabled" not in link.get_attribute("class"), 30)
    dash_duo.wait_for_contains_text(f"#{ids.PERIOD_CHANGES_CAPTION}", "rules in", timeout=120)
    grid_rows(dash_duo, f"#{ids.PERIOD_PRODUCTS_TABLE}", timeout=120)  # a segment's products
    grid_rows(dash_duo, f"#{ids.PERIOD_RULES_TABLE}", timeout=120)  # and its rules
    for box in (ids.PERIOD_RULES_TABLE, ids.MOVED_TABLE):  # AG Grid draws a grid in view
        driver.execute_script("document.getElementById(arguments[0]).scrollIntoView();", box)
        time.sleep(1)
    until(lambda: not driver.execute_script(STILL_RENDERING), 30)
    found["Over time"] = problems(driver, axe)

    failing = {page: lines for page, lines in found.items() if lines}
    assert not failing, "\n".join(
        f"{page}: {line}" for page, lines in failing.items() for line in lines
    )


def test_axe_finds_no_serious_problem_on_the_over_time_page(dash_duo, dashboard, axe, shared_data):
    """The Over time page of a file with dates: controls, both charts and a cell's grid."""
    dash_duo.start_server(dashboard, navigate=False)
    dash_duo.driver.set_window_size(1400, 1000)
    dash_duo.driver.set_script_timeout(120)
    sign_up(dash_duo)
    upload(dash_duo, shared_data / FILE)
    click(dash_duo, ".nav-link[href='/analytics/over-time']")
    dash_duo.wait_for_contains_text(f"#{ids.MIGRATION_SUMMARY}", "2 periods", timeout=120)
    wait_for_chart(dash_duo, ids.MIGRATION_SANKEY)
    until(lambda: click_cell(dash_duo, 0, 0), 60)  # who stayed in the largest segment
    grid_rows(dash_duo, f"#{ids.MOVED_TABLE}")
    grid_rows(dash_duo, f"#{ids.PERIOD_PRODUCTS_TABLE}", timeout=120)  # a segment, then and later
    found = problems(dash_duo.driver, axe)
    assert not found, "\n".join(found)
