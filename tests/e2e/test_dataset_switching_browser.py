"""In a real browser: switching datasets of the four shapes, in every order, leaves no trace.

An analyst opened a customer file and segmented it, then opened a basket file: the
Rules page said "This dataset has no customer features to segment on." above "No
rules meet these thresholds", because the previous dataset's Segments settings were
applied to it (a browser store). Here one session opens four datasets (customers
with purchases, purchases only, a customer table, a basket file) along a walk that
takes every ordered pair of them once, and each time the Segments and Rules pages
must say exactly what they say for that dataset in a fresh session (the browser's
storage cleared and the page reloaded).
"""

import json
import time

from dash.testing.wait import until

from basket_segments import ids
from basket_segments.analytics.sample import generate_sample
from tests.e2e.helpers import click, open_name, sign_up
from tests.shapes import bakery_file, wholesale_table

#: A walk over the 4 datasets that takes each of the 12 ordered pairs once.
WALK = [0, 1, 0, 2, 0, 3, 1, 2, 1, 3, 2, 3, 0]


def datasets(folder) -> list:
    combined = folder / "shop.csv"
    generate_sample(300, 25, seed=2).to_csv(combined, index=False)
    purchases = folder / "purchases.csv"
    generate_sample(300, 25, seed=3)[["CustomerID", "Product"]].to_csv(purchases, index=False)
    return [
        combined,
        purchases,
        wholesale_table(folder / "wholesale.csv"),
        bakery_file(folder / "bakery.csv"),
    ]


#: Whether a job or a grid is still at work, and the page's text, read in one go.
PAGE_STATE = """
const busy = [...document.querySelectorAll("[id$='-job-box']")]
  .some((box) => getComputedStyle(box).display !== "none");
const loading = document.querySelectorAll(".ag-row-loading, ._dash-loading").length > 0;
const page = document.getElementById(arguments[0]);
return [busy || loading, page ? page.innerText : ""];
"""


def settled_text(dash_duo, timeout: float = 120) -> str:
    """The page's text once no job runs and it has not changed for a second and a half."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        working, text = dash_duo.driver.execute_script(PAGE_STATE, ids.PAGE)
        if working or text != last:
            last, since = text, time.monotonic()
        elif time.monotonic() - since > 1.5:
            return text
        time.sleep(0.25)
    raise AssertionError(f"the page never settled:\n{last}")


OPEN_BUTTONS = "return [...document.querySelectorAll(\"[id*='data-open']\")].map((e) => e.id)"
#: Press dataset ``arguments[0]``'s Open button, found and pressed in one step (the list is
#: drawn anew as datasets open: a button found in one call was gone by the next).
PRESS_OPEN = """
const wanted = [...document.querySelectorAll("[id*='data-open']")]
  .find((button) => JSON.parse(button.id).index === arguments[0]);
if (!wanted) return false;
wanted.click();
return true;
"""


def open_dataset(dash_duo, dataset_id: int, name: str) -> None:
    """Open a dataset from the Data page's list, until its details name it (a press while
    the list is drawn anew can be lost, so it is pressed again after a while)."""
    click(dash_duo, ".nav-link[href='/analytics/']")
    deadline = time.monotonic() + 60
    pressed = 0.0
    while open_name(dash_duo) != name:
        assert time.monotonic() < deadline, f"dataset {dataset_id} ({name}) never opened"
        if time.monotonic() - pressed > 10 and dash_duo.driver.execute_script(
            PRESS_OPEN, dataset_id
        ):
            pressed = time.monotonic()
        time.sleep(0.2)
    dash_duo.wait_for_contains_text(f"#{ids.DATASET_DETAILS}", "Cleaning report")


def answers(dash_duo) -> tuple[str, str]:
    """What the Segments and the Rules page say for the open dataset."""
    said = []
    for page in ("segments", "rules"):
        click(dash_duo, f".nav-link[href='/analytics/{page}']")
        said.append(settled_text(dash_duo))
    return said[0], said[1]


def test_every_order_of_four_shapes_gives_each_its_own_answers(dash_duo, dashboard, tmp_path):
    dash_duo.start_server(dashboard, navigate=False)
    sign_up(dash_duo, path="/analytics/data")
    paths = datasets(tmp_path)
    for path in paths:
        dash_duo.find_element(f"#{ids.UPLOAD} input[type=file]").send_keys(str(path))
        dash_duo.wait_for_contains_text(f"#{ids.DATA_MESSAGE}", f"Stored {path.stem}", timeout=60)
    numbers = sorted(
        json.loads(found)["index"] for found in dash_duo.driver.execute_script(OPEN_BUTTONS)
    )
    assert len(numbers) == 4
    fresh = {}
    # A fresh session for each: opened, the browser's storage cleared, the page reloaded;
    # the server opens it again, the dataset last opened, in a page that saw no other.
    for number, path in zip(numbers, paths, strict=True):
        open_dataset(dash_duo, number, path.stem)
        dash_duo.driver.execute_script("sessionStorage.clear(); localStorage.clear();")
        dash_duo.driver.get(dash_duo.server.url + "/analytics/")
        until(lambda name=path.stem: open_name(dash_duo) == name, timeout=30)
        fresh[number] = answers(dash_duo)
    assert "baskets without customers" in fresh[numbers[3]][0]  # the basket file: nobody
    assert "without products" in fresh[numbers[2]][1]  # the customer table's Rules page
    for step in WALK:  # one session: every ordered pair of datasets once
        number = numbers[step]
        open_dataset(dash_duo, number, paths[step].stem)
        assert answers(dash_duo) == fresh[number], f"after the walk reached {number}"
