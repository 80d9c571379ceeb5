"""In a real browser: upload real files, see what was detected, rename, delete."""

from basket_segments import ids
from tests.e2e.helpers import click, sign_up, upload


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
