"""In a real browser: the Rules page's product boxes on each side of a rule, and who a
selected rule covers, both checked against pandas on the files the page downloads and
on the file uploaded."""

import ast
import random
import re
from pathlib import Path

import pandas as pd
from dash.testing.wait import until
from selenium.webdriver.common.keys import Keys

from basket_segments import ids
from basket_segments.analytics.stages import ALL_CUSTOMERS
from tests.e2e.helpers import click, grid_rows, sign_up, upload
from tests.e2e.test_rules_browser import wait_for_file

#: Products bought in groups (breakfast, tea, dinner): many rules of lift above one.
GROUPS = [["bread", "milk", "eggs", "butter"], ["tea", "jam", "scones"], ["rice", "beans"]]


def write_shop(folder: Path) -> Path:
    """200 customers with an age and an income, each buying from one or two groups."""
    pick = random.Random(7)
    lines = ["CustomerID,Age,Income,Product"]
    for customer in range(1000, 1200):
        age, income = pick.randint(18, 80), pick.randint(15, 120)
        bought = set()
        for group in pick.sample(GROUPS, pick.randint(1, 2)):
            bought |= {product for product in group if pick.random() < 0.75}
        bought |= {p for group in GROUPS for p in group if pick.random() < 0.05}
        lines += [f"{customer},{age},{income},{product}" for product in sorted(bought)]
    path = folder / "shop_sides.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


#: The products a product box offers (its datalist), and those it filters by (ticked).
OFFERED = "return [...document.getElementById(arguments[0]).options].map(o => o.value);"
TICKED = """
return [...document.getElementById(arguments[0]).querySelectorAll('input:checked')]
    .map(input => input.value);
"""
#: The number of rows the rules grid says it pages through ("1 to 10 of 37").
ROW_COUNT = """
const panel = document.querySelector(arguments[0] + ' .ag-paging-row-summary-panel');
return panel ? panel.textContent : null;
"""


def pick_products(dash_duo, box: str, products: list[str]) -> None:
    """Type each product in a product box, see it offered, and press Enter to filter by it."""
    driver = dash_duo.driver
    search = driver.execute_script(
        "return document.getElementById(arguments[0]);", ids.dom_id(ids.side_search(box))
    )
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", search)
    choices, chosen = ids.dom_id(ids.side_choices(box)), ids.dom_id(ids.side_filter(box))
    for product in products:
        search.send_keys(product[:3])
        until(lambda p=product: p in driver.execute_script(OFFERED, choices), timeout=30)
        search.send_keys(product[3:] + Keys.ENTER)
        until(lambda p=product: p in driver.execute_script(TICKED, chosen), timeout=30)


def as_items(text: str) -> tuple[str, ...]:
    """A side as rules.csv writes it (a Python tuple's text)."""
    return tuple(ast.literal_eval(text))


def download(dash_duo, link: str, name: str) -> Path:
    """Click a download link once it has its address (it has none while its rows load)."""
    until(lambda: dash_duo.find_element(f"#{link}").get_attribute("href"), timeout=60)
    click(dash_duo, f"#{link}")
    return wait_for_file(dash_duo.download_path, name)


def grid_count(dash_duo) -> int | None:
    text = dash_duo.driver.execute_script(ROW_COUNT, f"#{ids.RULES_TABLE}") or ""
    found = re.search(r"of\s+([\d,]+)", text)
    return int(found.group(1).replace(",", "")) if found else None


def test_side_filters_and_who_a_rule_covers(dash_duo, dashboard, tmp_path):
    shop = write_shop(tmp_path)
    dash_duo.start_server(dashboard, navigate=False)
    sign_up(dash_duo, path="/analytics/data")
    upload(dash_duo, shop)
    click(dash_duo, ".nav-link[href='/analytics/rules']")
    grid_rows(dash_duo, f"#{ids.RULES_TABLE}", timeout=180)

    # every rule at the page's thresholds
    every = pd.read_csv(download(dash_duo, ids.DOWNLOAD_RULES, "rules.csv"), dtype={"count": int})
    every["antecedent"] = every["antecedent"].map(as_items)
    every["consequent"] = every["consequent"].map(as_items)
    shown_now = every[(every["segment"] == ALL_CUSTOMERS) & ~every["redundant"]]
    wanted = shown_now[
        shown_now["antecedent"].map(lambda items: "milk" in items)
        & ~shown_now["consequent"].map(lambda items: "bread" in items)
    ]
    assert 0 < len(wanted) < len(shown_now)

    click(dash_duo, f"#{ids.SIDE_FILTERS_OPEN}")  # the boxes are folded under one line
    pick_products(dash_duo, "include_antecedent", ["milk"])
    pick_products(dash_duo, "exclude_consequent", ["bread"])
    until(lambda: grid_count(dash_duo) == len(wanted), timeout=60)
    rows = grid_rows(dash_duo, f"#{ids.RULES_TABLE}")
    shown = pd.read_csv(download(dash_duo, ids.DOWNLOAD_SHOWN_RULES, "rules_shown.csv"))
    listed = set(zip(shown["antecedent"], shown["consequent"], strict=True))
    sides = zip(wanted["antecedent"], wanted["consequent"], strict=True)
    assert listed == {(", ".join(left), ", ".join(right)) for left, right in sides}

    # Who the first listed rule covers: its count, and the customers, from the file.
    first = shown.iloc[0]
    assert first["consequent"] in rows[0].text
    click(dash_duo, f"#{ids.RULES_TABLE} .ag-center-cols-container .ag-row[row-index='0'] .ag-cell")
    dash_duo.wait_for_contains_text(f"#{ids.COVER_CAPTION}", "support count:", timeout=60)
    caption = dash_duo.find_element(f"#{ids.COVER_CAPTION}").text
    people = int(re.match(r"([\d,]+) customer", caption).group(1).replace(",", ""))
    support = int(re.search(r"support count: ([\d,]+)", caption).group(1).replace(",", ""))
    items = first["antecedent"].split(", ") + first["consequent"].split(", ")
    purchases = pd.read_csv(shop, dtype=str)
    held = purchases[purchases["Product"].isin(items)].groupby("CustomerID")["Product"].nunique()
    customers = sorted(held[held == len(items)].index)
    assert people == support == int(first["count"]) == len(customers)

    grid_rows(dash_duo, f"#{ids.COVER_TABLE}")
    covered = pd.read_csv(
        download(dash_duo, ids.DOWNLOAD_COVERED, "rule_customers.csv"), dtype={"customer": str}
    )
    assert covered["customer"].tolist() == customers

    click(dash_duo, f"#{ids.COVER_TABLE} .ag-cell[col-id='customer'] a")
    dash_duo.wait_for_contains_text(f"#{ids.CUSTOMER_BOUGHT}", items[0], timeout=120)
    assert dash_duo.find_element(f"#{ids.CUSTOMER_INPUT}").get_attribute("value") == customers[0]
