"""In a real browser: every page works under the Content Security Policy, and a page on
another origin (another port of this host) cannot frame the logged-in dashboard."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from dash.testing.wait import until

from basket_segments import ids
from tests.e2e.helpers import click, grid_rows, sign_up, upload
from tests.test_callbacks import TABLE

#: What Chromium logs when a policy refuses a script, an eval, a style, an image or a frame.
REFUSALS = ("Content Security Policy", "Refused to", "violates", "EvalError")
SAMPLE_CUSTOMER = "C000001"


#: True once Plotly has drawn the chart: traces laid out, and WebGL traces not replaced
#: by Plotly's "WebGL is not supported" notice, which is what regl shows when refused eval.
DRAWN = """
const plot = document.querySelector(arguments[0]);
return !!plot && !!plot._fullData && plot._fullData.length > 0
    && !!plot.querySelector('.main-svg') && !plot.querySelector('.no-webgl');
"""
PNG_EXPORT = """
const done = arguments[arguments.length - 1];
Plotly.toImage(document.querySelector(arguments[0]), {format: 'png', width: 400, height: 300})
    .then(done, error => done('error: ' + error));
"""
INJECTED_SCRIPT = """
const script = document.createElement('script');
script.textContent = 'window.injected = true;';
document.body.appendChild(script);
return window.injected;
"""


class Console:
    """The browser's console, read as the test goes (reading empties Chromium's log)."""

    def __init__(self, driver):
        self.driver = driver
        self.messages: list[str] = []

    def read(self) -> list[str]:
        self.messages += [entry["message"] for entry in self.driver.get_log("browser")]
        return self.messages

    def refusals(self) -> list[str]:
        return [message for message in self.read() if any(word in message for word in REFUSALS)]


def wait_for_chart(dash_duo, graph: str) -> None:
    selector = f"#{graph} .js-plotly-plot"
    dash_duo.wait_for_element(selector, timeout=60)
    until(lambda: dash_duo.driver.execute_script(DRAWN, selector), timeout=60)


def test_every_page_works_under_the_policy(dash_duo, dashboard, tmp_path):
    dash_duo.start_server(dashboard, navigate=False)
    console = Console(dash_duo.driver)
    sign_up(dash_duo, path="/analytics/data")
    shop = tmp_path / "shop.csv"
    shop.write_text(TABLE)
    upload(dash_duo, shop)  # dcc.Upload's file, posted to the upload route by upload.js
    assert console.refusals() == []
    click(dash_duo, f"#{ids.LOAD_SAMPLE}")
    dash_duo.wait_for_contains_text(f"#{ids.DATA_MESSAGE}", "Stored", timeout=60)
    assert console.refusals() == []

    click(dash_duo, ".nav-link[href='/analytics/segments']")
    for graph in (ids.SEGMENT_SCATTER, ids.SEGMENT_PIE, ids.SILHOUETTE_CHART):
        wait_for_chart(dash_duo, graph)
    scatter = f"#{ids.SEGMENT_SCATTER} .js-plotly-plot"
    png = dash_duo.driver.execute_async_script(PNG_EXPORT, scatter)
    assert png.startswith("data:image/png;base64,"), png
    assert console.refusals() == []

    click(dash_duo, ".nav-link[href='/analytics/rules']")
    grid_rows(dash_duo, f"#{ids.RULES_TABLE}", timeout=180)
    for graph in (ids.RULES_SCATTER, ids.SEGMENT_PRODUCTS, ids.OVERALL_PRODUCTS):
        wait_for_chart(dash_duo, graph)
    assert console.refusals() == []

    click(dash_duo, ".nav-link[href='/analytics/customers']")
    dash_duo.wait_for_element(f"#{ids.CUSTOMER_INPUT}").send_keys(SAMPLE_CUSTOMER)
    click(dash_duo, f"#{ids.CUSTOMER_LOOKUP}")
    grid_rows(dash_duo, f"#{ids.CUSTOMER_RECOMMENDATIONS}")
    assert console.refusals() == []
    # The policy was in force all along: a script injected into the page does not run.
    assert dash_duo.driver.execute_script(INJECTED_SCRIPT) is None
    assert console.refusals() != []


@contextmanager
def framing_page(target: str) -> Iterator[str]:
    """A page on another port of ``target``'s host, so another origin but the same site (the
    session cookie, SameSite=Lax, still goes with the frame's request), that frames it."""
    body = f'<!doctype html><title>Framer</title><iframe id="victim" src="{target}"></iframe>'

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{urlsplit(target).hostname}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def refused_framing(message: str) -> bool:
    """Chromium's word for a frame its ancestors may not hold (older: "Refused to frame";
    156: "Framing '...' violates ... "frame-ancestors 'self'". The request has been blocked.")."""
    return "Refused to frame" in message or ("frame-ancestors" in message and "Framing" in message)


def test_another_origin_cannot_frame_the_dashboard(dash_duo, dashboard):
    dash_duo.start_server(dashboard, navigate=False)
    driver = dash_duo.driver
    sign_up(dash_duo)
    console = Console(driver)
    with framing_page(dash_duo.server.url + "/analytics/") as url:
        driver.get(url)
        frame = dash_duo.wait_for_element("#victim")
        until(lambda: any(refused_framing(message) for message in console.read()), timeout=15)
        driver.switch_to.frame(frame)
        try:
            assert driver.find_elements("id", ids.USER_NAME) == []
            assert driver.find_elements("id", "_dash-config") == []
        finally:
            driver.switch_to.default_content()
