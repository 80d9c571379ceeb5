"""Steps shared by the browser tests."""

import os
from pathlib import Path

import pytest
from dash.testing.wait import until
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from basket_segments import ids

PASSWORD = "browser password"
#: axe-core as npm installs it for the accessibility check (``.ci/run``; README, Tests).
AXE_SCRIPT = Path(__file__).resolve().parents[2] / ".ci/node/node_modules/axe-core/axe.min.js"
AXE_INSTALL = "npm install --prefix .ci/node axe-core"
#: Runs axe on the whole document, nothing left out; answers its violations.
AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']})
    .then(found => done({version: axe.version, violations: found.violations}))
    .catch(error => done({error: String(error)}));
"""


def fill_and_submit(driver, form_id, **fields):
    for name, value in fields.items():
        box = driver.find_element(By.CSS_SELECTOR, f"#{form_id} [name={name}]")
        box.clear()
        box.send_keys(value)
    button = driver.find_element(By.CSS_SELECTOR, f"#{form_id} button[type=submit]")
    driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", button
    )
    button.click()


def sign_up(dash_duo, username="maria", path="/analytics/"):
    """Start at ``path`` logged out, sign up, and land back on it."""
    dash_duo.driver.get(dash_duo.server.url + "/signup?next=" + path)
    dash_duo.wait_for_element("#signup-form")
    fill_and_submit(
        dash_duo.driver, "signup-form", username=username, password=PASSWORD, confirm=PASSWORD
    )
    dash_duo.wait_for_text_to_equal(f"#{ids.USER_NAME}", username)


def upload(dash_duo, path):
    """Send a file to the Data page's upload and wait for the success message."""
    dash_duo.find_element(f"#{ids.UPLOAD} input[type=file]").send_keys(str(path))
    dash_duo.wait_for_contains_text(f"#{ids.DATA_MESSAGE}", "Stored", timeout=60)


def open_name(dash_duo) -> str | None:
    """The name of the open dataset, as the Data page's details show it (read in one
    step: the details are drawn anew as datasets open)."""
    script = "return document.getElementById(arguments[0])?.value;"
    return dash_duo.driver.execute_script(script, ids.RENAME_INPUT)


def click(dash_duo, selector):
    """Scroll an element into view and click it (the test window is small)."""
    element = dash_duo.wait_for_element(selector)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    dash_duo.driver.execute_script("arguments[0].click();", element)


def wait_for_choice(dash_duo, select_id: str, label: str, timeout=30) -> None:
    """Wait until a select shows ``label`` as its chosen option."""
    chosen = f"return document.getElementById('{select_id}')?.selectedOptions[0]?.textContent;"
    until(lambda: dash_duo.driver.execute_script(chosen) == label, timeout=timeout)


def grid_rows(dash_duo, grid_selector, at_least=1, timeout=60):
    """The loaded rows of an AG Grid, once it shows ``at_least`` of them and no row is
    still loading (an infinite grid first draws a placeholder row while it asks)."""
    rows = f"{grid_selector} .ag-center-cols-container .ag-row"

    def loaded(driver):
        if driver.find_elements(By.CSS_SELECTOR, f"{rows}.ag-row-loading"):
            return False
        found = driver.find_elements(By.CSS_SELECTOR, rows)
        return found if len(found) >= at_least else False

    return WebDriverWait(dash_duo.driver, timeout).until(loaded)


def axe_source(script: Path = AXE_SCRIPT, environ=os.environ) -> str:
    """axe-core's script from npm; without it the test skips locally and fails under CI
    (``CI=true``), where ``.ci/run`` must have installed it."""
    if not script.is_file():
        reason = f"axe-core is not installed (from the repository root: {AXE_INSTALL})"
        if environ.get("CI"):
            pytest.fail(f"CI needs axe-core: {reason}", pytrace=False)
        pytest.skip(reason)
    return script.read_text(encoding="utf-8")


def axe_violations(driver, source: str) -> tuple[str, list[dict]]:
    """axe-core's version and its violations on the whole current page (``source`` is
    ``axe_source()``, put into the page unless it is there already)."""
    if not driver.execute_script("return !!window.axe;"):
        driver.execute_script(source)
    found = driver.execute_async_script(AXE_RUN)
    if "error" in found:
        raise AssertionError(f"axe-core failed: {found['error']}")
    return found["version"], found["violations"]


#: Grid text that does not fit (cut, or hidden under an ellipsis) inside the element
#: ``arguments[0]`` selects (the whole page without one): every rule side, product and
#: segment name, and every header.
CUT_TEXT = """
const scope = arguments[0] ? document.querySelector(arguments[0]) : document;
const over = (e) => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1;
const overflows = (e) => [e, ...e.querySelectorAll('*')].some(over);
const whole = ['antecedent', 'consequent', 'product', 'name']
    .map((column) => `.ag-cell[col-id="${column}"]`).join(', ');
const cut = [];
for (const cell of scope.querySelectorAll(whole)) {
  if (overflows(cell)) cut.push(cell.textContent);
}
for (const header of scope.querySelectorAll('.ag-header-cell-text')) {
  if (overflows(header)) cut.push('header: ' + header.textContent);
}
const ruler = document.createElement('canvas').getContext('2d');
for (const select of scope.querySelectorAll('select')) {
  const chosen = select.options[select.selectedIndex];
  if (!chosen || !select.clientWidth) continue;
  const style = getComputedStyle(select);
  ruler.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  if (ruler.measureText(chosen.text).width > room + 1) cut.push('select: ' + chosen.text);
}
return cut;
"""


def cut_text(dash_duo, selector: str | None = None) -> list[str]:
    """The grid text and chosen options that do not fit, within ``selector`` (or the page)."""
    return dash_duo.driver.execute_script(CUT_TEXT, selector)
