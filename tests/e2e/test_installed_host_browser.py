"""In a real browser: examples/host_site with the dashboard installed from its wheel.

The host runs as its own server from the venv (the ``host_server`` fixture), so
``dash_br`` drives only the browser.
"""

from selenium.webdriver.common.by import By

from basket_segments import ids
from tests.host_site import MEMBER, MEMBER_PASSWORD


def test_a_member_signs_in_uses_the_dashboard_and_signs_out(dash_br, host_server):
    driver = dash_br.driver
    driver.get(f"{host_server}/")
    dash_br.wait_for_element("#host-login")
    assert "/auth/login?next=" in driver.current_url
    driver.find_element(By.ID, "host-email").send_keys(MEMBER)
    driver.find_element(By.ID, "host-password").send_keys(MEMBER_PASSWORD)
    driver.find_element(By.ID, "host-login").click()
    dash_br.wait_for_element("#open-dashboard").click()

    dash_br.wait_for_text_to_equal(f"#{ids.USER_NAME}", MEMBER)
    dash_br.find_element(".nav-link[href='/analytics/customers']").click()
    dash_br.wait_for_contains_text(f"#{ids.PAGE}", "Customers")
    dash_br.find_element(f"#{ids.LOGOUT_LINK}").click()  # a POST with the CSRF token
    dash_br.wait_for_element("#host-login")
    driver.get(f"{host_server}/analytics/")
    dash_br.wait_for_element("#host-login")
    assert "/auth/login?next=" in driver.current_url
