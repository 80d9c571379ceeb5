"""In a real browser: examples/host_site with the dashboard installed from its wheel.

The host runs as its own server from the venv (the ``host_server`` fixture), so
``dash_br`` drives only the browser. The site's own header stays above the
dashboard's pages; a tab left open after signing out elsewhere goes to the login.
"""

from urllib.parse import parse_qs, urlsplit

from selenium.webdriver.common.by import By

from basket_segments import ids
from tests.e2e.conftest import save_screenshot
from tests.host_site import MEMBER, MEMBER_PASSWORD


def sign_in_through_the_site(dash_br) -> None:
    """The site's own form, from whatever page sent the browser to it."""
    driver = dash_br.driver
    dash_br.wait_for_element("#host-login")
    driver.find_element(By.ID, "host-email").send_keys(MEMBER)
    driver.find_element(By.ID, "host-password").send_keys(MEMBER_PASSWORD)
    driver.find_element(By.ID, "host-login").click()


def sign_out_through_the_site(dash_br) -> None:
    dash_br.find_element("#site-sign-out").click()  # a GET asks; the POST carries the token
    dash_br.wait_for_element("#host-logout").click()
    dash_br.wait_for_element("#host-login")


def test_a_member_signs_in_uses_the_dashboard_and_signs_out(dash_br, host_server):
    driver = dash_br.driver
    driver.get(f"{host_server}/")
    dash_br.wait_for_element("#host-login")
    assert "/auth/login?next=" in driver.current_url
    sign_in_through_the_site(dash_br)
    dash_br.wait_for_element("#open-dashboard").click()

    dash_br.wait_for_text_to_equal("#site-user", MEMBER)
    dash_br.wait_for_element(f"#{ids.PAGE_LINKS} a[href='/analytics/customers']").click()
    dash_br.wait_for_contains_text(f"#{ids.PAGE}", "Customers")
    sign_out_through_the_site(dash_br)
    driver.get(f"{host_server}/analytics/")
    dash_br.wait_for_element("#host-login")
    assert "/auth/login?next=" in driver.current_url


def test_the_sites_header_stays_above_the_dashboards_pages(dash_br, host_server):
    driver = dash_br.driver
    driver.get(f"{host_server}/analytics/segments")
    sign_in_through_the_site(dash_br)
    dash_br.wait_for_contains_text(f"#{ids.PAGE}", "Segments")
    header = dash_br.find_element("#site-header")
    assert MEMBER in header.text and "Acme Retail intranet" in header.text
    driver.execute_script("window.stillThisPage = true;")  # gone if the page reloads

    dash_br.find_element(f"#{ids.PAGE_LINKS} a[href='/analytics/rules']").click()
    dash_br.wait_for_contains_text(f"#{ids.PAGE}", "Rules")
    assert driver.execute_script("return window.stillThisPage === true;")
    assert dash_br.find_element("#site-header").text == header.text
    assert driver.find_elements(By.ID, ids.NAVBAR) == []  # one header: the site's
    # The site's look: its font and link colour, on the dashboard's own elements too.
    font = driver.execute_script(
        "return getComputedStyle(document.getElementById(arguments[0])).fontFamily;", ids.PAGE
    )
    assert font.startswith('"DejaVu Serif"')
    active = dash_br.find_element(f"#{ids.PAGE_LINKS} a.active")
    assert active.text == "Rules"
    assert [entry for entry in dash_br.get_logs() if "/analytics/" in entry["message"]] == []
    save_screenshot(driver, "host-header", height=520)
    sign_out_through_the_site(dash_br)


def test_a_tab_left_open_after_signing_out_elsewhere_goes_to_the_login(dash_br, host_server):
    driver = dash_br.driver
    driver.get(f"{host_server}/analytics/segments")
    sign_in_through_the_site(dash_br)
    dash_br.wait_for_contains_text(f"#{ids.PAGE}", "Segments")
    dashboard_tab = driver.current_window_handle

    driver.switch_to.new_window("tab")
    driver.get(f"{host_server}/auth/logout")
    dash_br.wait_for_element("#host-logout").click()
    dash_br.wait_for_element("#host-login")
    driver.close()
    driver.switch_to.window(dashboard_tab)

    dash_br.find_element(f"#{ids.PAGE_LINKS} a[href='/analytics/rules']").click()  # a callback
    dash_br.wait_for_contains_text(".bs-logged-out", "You were logged out")
    dash_br.wait_for_element("#host-login")
    login = urlsplit(driver.current_url)
    assert login.path == "/auth/login"
    assert parse_qs(login.query)["next"] == ["/analytics/rules"]

    sign_in_through_the_site(dash_br)
    dash_br.wait_for_contains_text(f"#{ids.PAGE}", "Rules")
    assert urlsplit(driver.current_url).path == "/analytics/rules"
    sign_out_through_the_site(dash_br)
