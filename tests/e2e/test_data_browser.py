"""In a real browser: upload real files, see what was detected, rename, delete."""

from basket_segments import ids
from tests.e2e.helpers import click, sign_up, upload
from tests.test_callbacks import TABLE


def test_upload_inspect_rename_delete(dash_duo, dashboard, shared_data, tmp_path, screenshot):
    dash_duo.start_server(dashboard, navigate=False)
    sign_up(dash_duo)
    dash_duo.wait_for_contains_text(f"#{ids.DATASET_LIST}", "No datasets yet")

    upload(dash_duo, shared_data / "online_retail_2010-12.csv")
    details = f"#{ids.DATASET_DETAILS}"
    dash_duo.wait_for_contains_text(details, "Dropped 15,631 rows without a customer.")
    dash_duo.wait_for_contains_text(details, "Dropped 728 cancellations.")
    dash_duo.wait_for_contains_text(details, "transactions")
    screenshot("data")

    bad = tmp_path / "broken.csv"
    bad.write_bytes(bytes(range(256)) * 4)
    dash_duo.find_element("#data-upload input[type=file]").send_keys(str(bad))
    dash_duo.wait_for_contains_text(f"#{ids.DATA_MESSAGE}", "binary data")
    assert dash_duo.find_element(f"#{ids.DATASET_LIST}").text.count("Open") == 1

    click(dash_duo, f"#{ids.LOAD_SAMPLE}")
    dash_duo.wait_for_contains_text(f"#{ids.DATA_MESSAGE}", "Stored Sample")
    dash_duo.wait_for_contains_text(details, "combined")

    rename = dash_duo.find_element(f"#{ids.RENAME_INPUT}")
    rename.clear()
    rename.send_keys("Grocery demo")
    click(dash_duo, f"#{ids.RENAME}")
    dash_duo.wait_for_contains_text(f"#{ids.DATASET_LIST}", "Grocery demo")

    click(dash_duo, "#data-dataset-list li:first-child .btn-outline-danger")
    click(dash_duo, f"#{ids.DELETE_CONFIRM}")
    dash_duo.wait_for_contains_text(f"#{ids.DATA_MESSAGE}", "Dataset deleted.")
    listed = dash_duo.find_element(f"#{ids.DATASET_LIST}").text
    assert "Grocery demo" not in listed
    assert "online_retail_2010-12" in listed


#: Each dataset button: its text, whether all of it shows, and whether it is inside the window.
BUTTONS_SHOWN = """
return [...document.querySelectorAll('#data-dataset-items .btn')].map(button => [
    button.textContent,
    button.scrollWidth <= button.clientWidth + 1,
    button.getBoundingClientRect().right <= window.innerWidth,
]);
"""
#: The vertical centre of the navbar's user name and of its "Log out".
NAVBAR_CENTRES = """
const centre = id => {
    const box = document.getElementById(id).getBoundingClientRect();
    return box.top + box.height / 2;
};
return [centre(arguments[0]), centre(arguments[1])];
"""


def test_long_names_keep_the_buttons_and_navbar_whole_at_1400_and_1024_px(
    dash_duo, dashboard, tmp_path
):
    dash_duo.start_server(dashboard, navigate=False)
    sign_up(dash_duo, username="a-rather-long-user-name", path="/analytics/data")
    name = "quarterly_customer_purchases_export_from_the_point_of_sale_system_" + "x" * 30
    shop = tmp_path / f"{name}.csv"
    shop.write_text(TABLE)
    upload(dash_duo, shop)
    for width in (1400, 1024):
        dash_duo.driver.set_window_size(width, 900)
        dash_duo.wait_for_contains_text(f"#{ids.DATASET_ITEMS}", "quarterly")
        shown = dash_duo.driver.execute_script(BUTTONS_SHOWN)
        assert shown == [["Open", True, True], ["Delete", True, True]], (width, shown)
        centres = dash_duo.driver.execute_script(NAVBAR_CENTRES, ids.USER_NAME, ids.LOGOUT_LINK)
        user, logout = centres
        assert abs(user - logout) <= 2, (width, user, logout)
