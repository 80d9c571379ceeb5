"""In a real browser: sign up, see the frame, log out, log in; logged-out visits; the
password page."""

from urllib.parse import urlsplit

from basket_segments import ids
from tests.e2e.helpers import PASSWORD, click, fill_and_submit, sign_up

NEW_PASSWORD = "a different browser passphrase"


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
    for label in ("Data", "Segments", "Rules", "Customers", "Password", "Log out"):
        assert label in dash_duo.find_element(f"#{ids.NAVBAR}").text
    screenshot("frame")

    # Log out posts a form with the CSRF token (on in this app): a refused token would
    # end on the "Log out?" page instead of the login page.
    dash_duo.find_element(f"#{ids.LOGOUT_LINK}").click()
    dash_duo.wait_for_element("#login-form")
    dash_duo.wait_for_contains_text(".alert", "You are logged out")
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


def test_change_the_password_and_log_out_everywhere(dash_duo, dashboard):
    dash_duo.start_server(dashboard, navigate=False)
    driver = dash_duo.driver
    sign_up(dash_duo)
    dash_duo.find_element(f"#{ids.NAVBAR} a[href='/password']").click()
    dash_duo.wait_for_element("#password-form")
    assert "maria" in dash_duo.find_element("#password-username").text

    fill_and_submit(
        driver, "password-form", current=PASSWORD, password="password1", confirm="password1"
    )
    dash_duo.wait_for_contains_text(".invalid-feedback", "too easy to guess")
    fill_and_submit(
        driver, "password-form", current=PASSWORD, password=NEW_PASSWORD, confirm=NEW_PASSWORD
    )
    dash_duo.wait_for_contains_text(".alert", "Your password is changed")
    click(dash_duo, "#password-back")
    dash_duo.wait_for_text_to_equal(f"#{ids.USER_NAME}", "maria")

    driver.get(dash_duo.server.url + "/password")
    click(dash_duo, "#logout-everywhere-submit")
    dash_duo.wait_for_contains_text(".alert", "logged out everywhere")
    driver.get(dash_duo.server.url + "/analytics/")
    dash_duo.wait_for_element("#login-form")
    fill_and_submit(driver, "login-form", username="maria", password=NEW_PASSWORD)
    dash_duo.wait_for_text_to_equal(f"#{ids.USER_NAME}", "maria")
