"""In a real browser: every page for the data shapes beyond the combined purchase table.

A basket file without customers has rules and nothing to segment or look up; a
customer table without products has segments and customers but no rules. Each page
that does not apply says so in one sentence with a link to the page that does, and
placeholder products and category codes never show as products or features.
"""

from basket_segments import ids
from tests.e2e.helpers import click, grid_rows, sign_up, upload
from tests.e2e.test_csp_browser import wait_for_chart
from tests.shapes import bakery_file, headerless_baskets, wholesale_table


def upload_baskets(dash_duo, path) -> None:
    """A basket file has nothing to segment: once stored, the Data page shows its cleaning
    report (what was dropped) and a link on to its rules, which the test follows."""
    dash_duo.find_element(f"#{ids.UPLOAD} input[type=file]").send_keys(str(path))
    dash_duo.wait_for_contains_text(f"#{ids.DATA_MESSAGE}", "cleaning report", timeout=120)
    dash_duo.wait_for_contains_text(f"#{ids.DATASET_DETAILS}", "Cleaning report")
    click(dash_duo, f"#{ids.DATA_MESSAGE} a[href='/analytics/rules']")
    dash_duo.wait_for_contains_text(f"#{ids.RULE_SENTENCES}", "Baskets with", timeout=120)


def test_a_basket_file_leads_to_its_rules(dash_duo, dashboard, tmp_path, screenshot):
    dash_duo.start_server(dashboard, navigate=False)
    sign_up(dash_duo, path="/analytics/data")
    upload_baskets(dash_duo, bakery_file(tmp_path / "bakery.csv"))
    rows = grid_rows(dash_duo, f"#{ids.RULES_TABLE}")
    assert all("NONE" not in row.text for row in rows)
    assert "ustomer" not in dash_duo.find_element(f"#{ids.RULE_SENTENCES}").text  # baskets only
    headers = dash_duo.find_element(f"#{ids.RULES_TABLE}").text
    assert "If a basket holds" in headers and "customer" not in headers
    assert not dash_duo.find_element(f"#{ids.RULES_SEGMENT}").is_displayed()
    wait_for_chart(dash_duo, ids.SEGMENT_PRODUCTS)
    assert not dash_duo.find_element(f"#{ids.OVERALL_PRODUCTS_BOX}").is_displayed()
    screenshot("rules-baskets")

    click(dash_duo, ".nav-link[href='/analytics/segments']")
    dash_duo.wait_for_contains_text(f"#{ids.SEGMENTS_PAGE}", "baskets without customers")
    assert dash_duo.find_elements(f"#{ids.SEGMENT_PIE}") == []  # no empty chart
    click(dash_duo, f"#{ids.SEGMENTS_PAGE} a[href='/analytics/rules']")
    dash_duo.wait_for_contains_text(f"#{ids.RULE_SENTENCES}", "Baskets with")

    click(dash_duo, ".nav-link[href='/analytics/customers']")
    dash_duo.wait_for_contains_text(f"#{ids.CUSTOMERS_PAGE}", "no customer to look up")
    assert dash_duo.find_elements(f"#{ids.CUSTOMER_INPUT}") == []

    click(dash_duo, ".nav-link[href='/analytics/']")  # the placeholder, named where dropped
    dash_duo.wait_for_contains_text(f"#{ids.DATASET_DETAILS}", "NONE")

    # A second basket file, headerless, one basket per line: its rules, without "none".
    upload_baskets(dash_duo, headerless_baskets(tmp_path / "baskets.txt"))
    dash_duo.wait_for_contains_text(f"#{ids.RULE_SENTENCES}", "yogurt")
    rows = grid_rows(dash_duo, f"#{ids.RULES_TABLE}")
    assert any("yogurt" in row.text for row in rows)
    assert all("none" not in row.text.split(", ") for row in rows)


def test_a_customer_table_has_segments_and_customers_but_no_rules(
    dash_duo, dashboard, tmp_path, screenshot
):
    dash_duo.start_server(dashboard, navigate=False)
    sign_up(dash_duo, path="/analytics/data")
    upload(dash_duo, wholesale_table(tmp_path / "wholesale.csv"))
    dash_duo.wait_for_contains_text(f"#{ids.DATASET_DETAILS}", "numbered from 1")

    click(dash_duo, ".nav-link[href='/analytics/rules']")
    dash_duo.wait_for_contains_text(f"#{ids.RULES_PAGE}", "customer table without products")
    assert dash_duo.find_elements(f"#{ids.RULES_TABLE}") == []
    click(dash_duo, f"#{ids.RULES_PAGE} a[href='/analytics/segments']")

    dash_duo.wait_for_contains_text(f"#{ids.FEATURES}", "Grocery")
    features = dash_duo.find_element(f"#{ids.FEATURES}").text
    assert "Channel" not in features and "Region" not in features  # codes, not amounts
    wait_for_chart(dash_duo, ids.SEGMENT_PIE)
    assert len(grid_rows(dash_duo, f"#{ids.PROFILE_TABLE}", at_least=5)) == 5

    click(dash_duo, ".nav-link[href='/analytics/customers']")
    dash_duo.wait_for_element(f"#{ids.CUSTOMER_INPUT}").send_keys("7")
    click(dash_duo, f"#{ids.CUSTOMER_LOOKUP}")
    dash_duo.wait_for_contains_text(f"#{ids.CUSTOMER_RESULT}", "Customer 7", timeout=60)
    assert dash_duo.find_element(f"#{ids.CUSTOMER_SEGMENT}").text.startswith("Segment: ")
    typical = dash_duo.find_element(f"#{ids.CUSTOMER_TYPICALITY}").text  # issue 21
    assert "typical" in typical.lower() or "only customer" in typical
    standing = grid_rows(dash_duo, f"#{ids.CUSTOMER_STANDING}")
    assert any("Grocery" in row.text for row in standing)
    result = dash_duo.find_element(f"#{ids.CUSTOMER_RESULT}").text
    assert "Recommended next" not in result and "Bought" not in result
    screenshot("customers-table")
