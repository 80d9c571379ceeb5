"""In a real browser: the sample's rules as a grouped matrix and an item graph; a real
mouse click on a matrix cell and on a product of the graph lists exactly the rules a
pandas computation over the grid's own CSV picks, and Clear lists them all again."""

from __future__ import annotations

import json
import time

import pandas as pd
from dash.testing import errors as dash_errors
from dash.testing.wait import until
from selenium.webdriver.common.action_chains import ActionChains

from basket_segments import ids
from tests.e2e.conftest import save_screenshot
from tests.e2e.helpers import click, grid_rows, sign_up
from tests.e2e.test_csp_browser import wait_for_chart
from tests.e2e.test_rules_browser import wait_for_file

#: A trace's points as the browser holds them: each one's customdata and page position.
POINTS = """
const plot = document.getElementById(arguments[0]).querySelector('.js-plotly-plot');
const box = plot.getBoundingClientRect(), layout = plot._fullLayout;
const trace = plot.data[arguments[1]];
return trace.customdata.map((data, i) => [data,
    box.left + layout._size.l + layout.xaxis.l2p(trace.x[i]),
    box.top + layout._size.t + layout.yaxis.l2p(trace.y[i])]);
"""
#: The grid's rows as (antecedent, consequent) pairs (the first sits in a pinned pane).
GRID_SIDES = """
const rows = {};
for (const cell of document.querySelectorAll(arguments[0] + ' .ag-row[row-index] .ag-cell')) {
    const column = cell.getAttribute('col-id');
    if (column !== 'antecedent' && column !== 'consequent') continue;
    const index = cell.closest('.ag-row').getAttribute('row-index');
    rows[index] = rows[index] || {};
    rows[index][column] = cell.textContent.trim();
}
return Object.values(rows).map(row => [row.antecedent, row.consequent]);
"""


def groups_of(rules: pd.DataFrame) -> list[str]:
    """Each rule's antecedent group as the README defines it, from the CSV's columns."""
    sides = rules["antecedent"].str.split(", ")
    exploded = pd.DataFrame({"item": sides, "lift": rules["lift"], "support": rules["support"]})
    exploded = exploded.explode("item")
    score = exploded.groupby("item")["lift"].mean()
    weight = exploded.groupby("item")["support"].sum()
    return [min(items, key=lambda i: (-score[i], -weight[i], i)) for items in sides]


def click_until(dash_duo, graph: str, trace: int, wanted, chip: str) -> None:
    """Click the point until the chip says ``chip`` (a click while the chart is being
    redrawn, as the last click's answer redraws both views, is lost: click again)."""
    for _ in range(4):
        click_point(dash_duo, graph, trace, wanted)
        try:
            until(lambda: chip in dash_duo.find_element(f"#{ids.RULE_SELECTION_TEXT}").text, 5)
            return
        except dash_errors.TestingTimeoutError:
            time.sleep(1)
    raise AssertionError(f"four clicks on {graph} never showed {chip!r}")


def click_point(dash_duo, graph: str, trace: int, wanted) -> None:
    """Click, with a real mouse, the point of ``trace`` whose selection ``wanted`` accepts."""
    plot = dash_duo.find_element(f"#{graph}")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", plot)
    time.sleep(0.5)
    points = dash_duo.driver.execute_script(POINTS, graph, trace)
    _data, x, y = next(point for point in points if wanted(json.loads(point[0])))
    drag = dash_duo.find_element(f"#{graph} .nsewdrag")
    left, top = dash_duo.driver.execute_script(
        "const box = arguments[0].getBoundingClientRect(); return [box.left, box.top];", drag
    )
    ActionChains(dash_duo.driver).move_to_element_with_offset(
        drag, x - left, y - top
    ).click().perform()


def scroll_to_card(dash_duo, component: str) -> None:
    """Scroll the card holding ``component`` to the top of the window (for a screenshot)."""
    script = "document.getElementById(arguments[0]).closest('.card').scrollIntoView();"
    dash_duo.driver.execute_script(script, component)


def listed(dash_duo, count: int) -> set[tuple[str, str]]:
    """The grid's rows once the chip says it lists ``count`` rules."""
    dash_duo.wait_for_contains_text(f"#{ids.RULE_SELECTION_TEXT}", f"Showing {count} rule")
    grid = f"#{ids.RULES_TABLE}"
    grid_rows(dash_duo, grid, at_least=count)
    return {
        tuple(row) for row in until(lambda: dash_duo.driver.execute_script(GRID_SIDES, grid), 30)
    }


def test_clicks_on_the_matrix_and_the_graph_list_exactly_their_rules(dash_duo, dashboard):
    dash_duo.start_server(dashboard, navigate=False)
    dash_duo.driver.set_window_size(1400, 1000)
    sign_up(dash_duo, path="/analytics/data")
    click(dash_duo, f"#{ids.LOAD_SAMPLE}")
    dash_duo.wait_for_contains_text(f"#{ids.DATA_MESSAGE}", "Stored", timeout=60)
    click(dash_duo, ".nav-link[href='/analytics/rules']")
    grid_rows(dash_duo, f"#{ids.RULES_TABLE}", timeout=180)
    wait_for_chart(dash_duo, ids.RULE_MATRIX)
    click(dash_duo, f"#{ids.DOWNLOAD_SHOWN_RULES}")  # every rule the grid lists, in its order
    rules = pd.read_csv(wait_for_file(dash_duo.download_path, "rules_shown.csv"))
    rules["group"] = groups_of(rules)

    cells = rules.groupby(["group", "consequent"]).size()
    drawn = [json.loads(p[0]) for p in dash_duo.driver.execute_script(POINTS, ids.RULE_MATRIX, 0)]
    drawn = [(cell["left"][0], ", ".join(cell["right"])) for cell in drawn]
    assert drawn and set(drawn) <= set(cells.index)
    group, consequent = max((c for c in drawn if cells[c] <= 10), key=lambda c: cells[c])
    assert cells[(group, consequent)] >= 2
    expected = rules[(rules["group"] == group) & (rules["consequent"] == consequent)]
    click_until(
        dash_duo,
        ids.RULE_MATRIX,
        0,
        lambda s: s["left"] == [group] and s["right"] == [consequent],
        f'Showing {len(expected)} rules of the group "{group}"',
    )
    assert listed(dash_duo, len(expected)) == set(
        zip(expected["antecedent"], expected["consequent"], strict=True)
    )
    dash_duo.wait_for_contains_text(f"#{ids.RULE_SENTENCES}", f"also buy {consequent} (")
    sentences = dash_duo.find_element(f"#{ids.RULE_SENTENCES}").text.splitlines()
    assert sentences and all(f"also buy {consequent} (" in line for line in sentences)
    scroll_to_card(dash_duo, ids.RULE_SELECTION)
    save_screenshot(dash_duo.driver, "rules-views", height=2150)  # the chip, grid and matrix

    wait_for_chart(dash_duo, ids.RULE_GRAPH)
    top = (
        rules.assign(order=range(len(rules)))
        .sort_values(["lift", "support", "order"], ascending=[False, False, True], kind="stable")
        .head(20)
    )
    item = top["consequent"].iat[0]
    holding = top[
        [
            item in a.split(", ") or item == c
            for a, c in zip(top["antecedent"], top["consequent"], strict=True)
        ]
    ]
    chip = f'rule{"s" * (len(holding) > 1)} of the graph\'s rules with "{item}"'
    click_until(dash_duo, ids.RULE_GRAPH, 2, lambda s: s["left"] == [item], chip)
    assert listed(dash_duo, len(holding)) == set(
        zip(holding["antecedent"], holding["consequent"], strict=True)
    )
    scroll_to_card(dash_duo, ids.RULE_GRAPH)
    save_screenshot(dash_duo.driver, "rules-graph", height=1000)

    click(dash_duo, f"#{ids.RULE_SELECTION_CLEAR}")
    until(lambda: not dash_duo.find_element(f"#{ids.RULE_SELECTION}").is_displayed(), 30)
    dash_duo.wait_for_contains_text(f"#{ids.RULES_TABLE}", f"of {len(rules):,}")
