"""In a real browser: the dashboard inside the example host site, with the host's login."""

from selenium.webdriver.common.by import By

from basket_segments.app import DASH_EXTENSION
from examples.host_site import create_app, create_member
from tests.conftest import host_config

PASSWORD = "host password 1"


def test_host_login_leads_to_the_embedded_dashboard(dash_duo, tmp_path):
    host = create_app(host_config(tmp_path))
    with host.app_context():
        create_member("alice@acme.test", PASSWORD)
    dash_duo.start_server(host.extensions[DASH_EXTENSION][0], navigate=False)
    driver = dash_duo.driver

    driver.get(dash_duo.server.url + "/")
    dash_duo.wait_for_element("#host-login")
    driver.find_element(By.ID, "host-email").send_keys("alice@acme.test")
    driver.find_element(By.ID, "host-password").send_keys(PASSWORD)
    driver.find_element(By.ID, "host-login").click()
    dash_duo.find_element("#open-dashboard").click()

    dash_duo.wait_for_text_to_equal("#frame-user-name", "alice@acme.test")
    dash_duo.find_element(".nav-link[href='/analytics/customers']").click()
    dash_duo.wait_for_contains_text("#frame-page", "Customers")
    dash_duo.find_element("#frame-logout-link").click()
    dash_duo.wait_for_element("#host-login")
    driver.get(dash_duo.server.url + "/analytics/")
    dash_duo.wait_for_element("#host-login")
    assert "/auth/login?next=" in driver.current_url
