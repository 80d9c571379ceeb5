"""In a real browser, what a returning user meets: the dataset they last opened opens
again at their next login, and the customer box suggests one of its own customer ids."""

from dash.testing.wait import until

from basket_segments import ids
from tests.e2e.helpers import PASSWORD, click, fill_and_submit, open_name, sign_up, upload


def shop_file(path, prefix: str):
    """Customers with attributes and purchases, their ids starting with ``prefix``."""
    rows = "".join(
        f"{prefix}-{i:03d},{20 + i % 50},{30 + (i * 7) % 90},{product}\n"
        for i in range(60)
        for product in (["bread", "milk"] if i % 3 else ["tea", "jam"])
    )
    path.write_text("CustomerID,Age,Income,Product\n" + rows)
    return path


def placeholder(dash_duo) -> str | None:
    script = "return document.getElementById(arguments[0])?.placeholder;"
    return dash_duo.driver.execute_script(script, ids.CUSTOMER_INPUT)


def test_the_next_login_opens_the_dataset_last_opened(dash_duo, dashboard, tmp_path):
    dash_duo.start_server(dashboard, navigate=False)
    driver = dash_duo.driver
    sign_up(dash_duo)
    upload(dash_duo, shop_file(tmp_path / "north.csv", "N"))
    upload(dash_duo, shop_file(tmp_path / "south.csv", "S"))
    until(lambda: open_name(dash_duo) == "south", timeout=30)
    click(dash_duo, "button[title='Open north']")
    until(lambda: open_name(dash_duo) == "north", timeout=30)

    click(dash_duo, f"#{ids.LOGOUT_LINK}")
    dash_duo.wait_for_element("#login-form")
    driver.execute_script("sessionStorage.clear();")  # what a new tab or browser has
    driver.get(dash_duo.server.url + "/analytics/customers")
    dash_duo.wait_for_element("#login-form")
    fill_and_submit(driver, "login-form", username="maria", password=PASSWORD)

    until(lambda: placeholder(dash_duo) == "Customer id, e.g. N-000", timeout=30)
    click(dash_duo, ".nav-link[href='/analytics/']")
    until(lambda: open_name(dash_duo) == "north", timeout=30)


def test_the_next_user_in_the_same_tab_gets_their_own_last_dataset(dash_duo, dashboard, tmp_path):
    """Logging out forgets what the tab kept open: whoever logs in next in it gets the
    dataset they last opened (before, the tab kept the other user's, and nothing opened)."""
    dash_duo.start_server(dashboard, navigate=False)
    driver = dash_duo.driver
    sign_up(dash_duo)
    upload(dash_duo, shop_file(tmp_path / "north.csv", "N"))
    until(lambda: open_name(dash_duo) == "north", timeout=30)
    click(dash_duo, f"#{ids.LOGOUT_LINK}")
    dash_duo.wait_for_element("#login-form")

    sign_up(dash_duo, username="ana")
    upload(dash_duo, shop_file(tmp_path / "south.csv", "S"))
    until(lambda: open_name(dash_duo) == "south", timeout=30)
    click(dash_duo, f"#{ids.LOGOUT_LINK}")
    dash_duo.wait_for_element("#login-form")

    driver.get(dash_duo.server.url + "/login?next=/analytics/")
    fill_and_submit(driver, "login-form", username="maria", password=PASSWORD)
    dash_duo.wait_for_text_to_equal(f"#{ids.USER_NAME}", "maria")
    until(lambda: open_name(dash_duo) == "north", timeout=30)
