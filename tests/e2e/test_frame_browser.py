"""In a real browser: sign up, see the frame, log out, log in; logged-out visits."""

from urllib.parse import urlsplit

from basket_segments import ids
from tests.e2e.helpers import PASSWORD, fill_and_submit


def test_sign_up_log_out_log_in(dash_duo, dashboard, screenshot):
    dash_duo.start_server(dashboard, navigate=False)
    driver = dash_duo.driver
    driver.get(dash_duo.server.url + "/analytics/segments")
    dash_duo.wait_for_element("#login-form")
    assert "/login?next=" in driver.current_url

    dash_duo.find_element("#signup-link").click()
    dash_duo.wait_for_element("#signup-form")
    fill_and_submit(driver, "signup-form", username="maria", password="short", confirm="short")
    dash_duo.wait_for_contains_text(".invalid-feedback", "at least 8 characters")
    fill_and_submit(driver, "signup-form", username="maria", password=PASSWORD, confirm=PASSWORD)

    dash_duo.wait_for_text_to_equal(f"#{ids.USER_NAME}", "maria")
    assert driver.current_url.endswith("/analytics/segments")
    dash_duo.wait_for_contains_text(f"#{ids.PAGE}", "Segments")
    for label in ("Data", "Segments", "Rules", "Customers", "Log out"):
        assert label in dash_duo.find_element(f"#{ids.NAVBAR}").text
    screenshot("frame")

    dash_duo.find_element(f"#{ids.LOGOUT_LINK}").click()
    dash_duo.wait_for_element("#login-form")
    driver.get(dash_duo.server.url + "/analytics/")
    dash_duo.wait_for_element("#login-form")

    fill_and_submit(driver, "login-form", username="maria", password="wrong password")
    dash_duo.wait_for_contains_text(".alert", "Wrong username or password")
    fill_and_submit(driver, "login-form", username="maria", password=PASSWORD)
    dash_duo.wait_for_text_to_equal(f"#{ids.USER_NAME}", "maria")
    dash_duo.find_element(".nav-link[href='/analytics/rules']").click()
    dash_duo.wait_for_contains_text(f"#{ids.PAGE}", "Rules")
    # Rejected forms answer 400/401 on purpose; the dashboard itself logs no error.
    errors = [
        entry["message"]
        for entry in dash_duo.get_logs()
        if urlsplit(entry["message"].split(" ")[0]).path.startswith("/analytics/")
    ]
    assert errors == []
