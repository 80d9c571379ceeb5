"""Security headers: on every dashboard response (and the standalone account pages), never
on a host site's own pages; a policy whose script hashes match Dash's inline scripts; a
page config that does not name the stack."""

import base64
import hashlib
import json
import platform
import re
from html.parser import HTMLParser

import dash
import plotly
import pytest
from flask import Flask
from flask_login import LoginManager, UserMixin, login_user

from basket_segments.app import create_app, init_dashboard
from basket_segments.web.uploads import FILENAME_HEADER
from tests.conftest import database_url, make_config
from tests.host_site import user_name_request

SECURITY = {
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
OURS = ("Content-Security-Policy", *SECURITY, "Cache-Control")
#: Script types a browser runs (anything else, like Dash's JSON config, is data).
JAVASCRIPT = {"", "text/javascript", "application/javascript", "module"}


def policy(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as {directive: sources}."""
    text = response.headers.get("Content-Security-Policy", "")
    directives = (part.split() for part in text.split(";") if part.strip())
    return {name: sources for name, *sources in directives}


def assert_secured(response, cache: str | None = "no-store") -> None:
    """Every security header, and ``Cache-Control: no-store`` unless ``cache`` is None."""
    found = policy(response)
    assert found["default-src"] == ["'self'"]
    assert found["script-src"][:2] == ["'self'", "'unsafe-eval'"]
    assert "'unsafe-inline'" not in found["script-src"]
    assert all(source.startswith("'sha256-") for source in found["script-src"][2:])
    assert found["style-src"] == ["'self'", "'unsafe-inline'"]
    assert found["img-src"] == ["'self'", "data:", "blob:"]
    assert found["object-src"] == ["'none'"]
    assert found["base-uri"] == ["'self'"]
    assert found["form-action"] == ["'self'"]
    assert found["frame-ancestors"] == ["'self'"]
    for name, value in SECURITY.items():
        assert response.headers.get(name) == value, name
    if cache:
        assert response.headers.get("Cache-Control") == cache
    else:
        assert "no-store" not in response.headers.get("Cache-Control", "")


class InlineScripts(HTMLParser):
    """The text of every inline script a browser would run."""

    def __init__(self):
        super().__init__()
        self.scripts: list[str] = []
        self._inside = False

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        kind = (found.get("type") or "").strip().lower()
        self._inside = tag == "script" and "src" not in found and kind in JAVASCRIPT
        if self._inside:
            self.scripts.append("")

    def handle_endtag(self, tag):
        self._inside = False

    def handle_data(self, data):
        if self._inside:
            self.scripts[-1] += data


def csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def test_the_dashboard_page_has_every_header(logged_in):
    response = logged_in.get("/analytics/")
    assert response.status_code == 200
    assert_secured(response)


def test_a_callback_answer_has_every_header(logged_in):
    logged_in.get("/analytics/")
    response = logged_in.post("/analytics/_dash-update-component", json=user_name_request())
    assert response.status_code == 200
    assert_secured(response)


def test_the_layout_upload_and_download_answers_are_not_stored(logged_in):
    assert_secured(logged_in.get("/analytics/_dash-layout"))
    assert_secured(logged_in.get("/analytics/_dash-dependencies"))
    upload = logged_in.post(
        "/analytics/upload", data=b"a,b\n1,2\n", headers={FILENAME_HEADER: "t.csv"}
    )
    assert upload.status_code == 200
    assert_secured(upload)
    assert_secured(logged_in.get("/analytics/download/rules.csv?request=%7B%7D"))


def test_assets_and_bundles_have_the_headers_and_keep_their_caching(logged_in):
    page = logged_in.get("/analytics/").get_data(as_text=True)
    bundle = re.search(r'src="(/analytics/_dash-component-suites/dash/[^"]+)"', page).group(1)
    for url in ("/analytics/assets/upload.js", bundle, "/analytics/_favicon.ico"):
        response = logged_in.get(url)
        assert response.status_code == 200, url
        assert_secured(response, cache=None)
    assert "max-age" in logged_in.get(bundle).headers["Cache-Control"]


def test_refusals_and_the_standalone_account_pages_have_the_headers(client):
    assert_secured(client.get("/analytics/"))  # the redirect to the login page
    assert_secured(client.post("/analytics/_dash-update-component", json=user_name_request()))
    assert_secured(client.get("/login"))
    assert_secured(client.get("/signup"))


def test_the_script_hashes_match_dashs_inline_scripts(logged_in):
    response = logged_in.get("/analytics/")
    parser = InlineScripts()
    parser.feed(response.get_data(as_text=True))
    assert parser.scripts, "Dash writes at least its renderer's bootstrap inline"
    allowed = policy(response)["script-src"]
    for script in parser.scripts:
        assert csp_hash(script) in allowed, script


@pytest.mark.parametrize(
    ("ancestors", "frame_options"),
    [("'none'", "DENY"), ("'self' https://intranet.example", None)],
)
def test_frame_ancestors_come_from_the_config(tmp_path, ancestors, frame_options):
    app = create_app(make_config(tmp_path, BASKET_SEGMENTS_FRAME_ANCESTORS=ancestors))
    response = app.test_client().get("/login")
    assert policy(response)["frame-ancestors"] == ancestors.split()
    assert response.headers.get("X-Frame-Options") == frame_options
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_bad_frame_ancestors_setting_is_refused(tmp_path):
    app = create_app(make_config(tmp_path, BASKET_SEGMENTS_FRAME_ANCESTORS="'self'; script-src *"))
    with pytest.raises(ValueError, match="BASKET_SEGMENTS_FRAME_ANCESTORS"):
        app.test_client().get("/login")


def test_the_page_config_does_not_name_the_stack(logged_in):
    page = logged_in.get("/analytics/").get_data(as_text=True)
    config = re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', page)
    values = json.loads(config.group(1))
    assert values["url_base_pathname"] == "/analytics/"  # the renderer still gets its config
    for key in ("dash_version", "python_version", "plotly_version", "dash_version_url"):
        assert key not in values
    assert values["disable_version_check"] is True
    for version in (platform.python_version(), dash.__version__, plotly.__version__):
        assert f"v={version}" not in page
        assert f'"{version}' not in page


class HostUser(UserMixin):
    id = "7"
    email = "host@example.test"


def tiny_host(tmp_path, look=None, **config) -> Flask:
    """A host site of its own: a LoginManager, a home page, the dashboard under /reports/
    (with ``look``, ``init_dashboard``'s presentation keywords)."""
    host = Flask("tiny_host", instance_path=str(tmp_path / "host"))
    host.config.update(
        SECRET_KEY="host-secret",
        BASKET_SEGMENTS_DATABASE_URL=database_url(tmp_path, "tiny_host"),
        BASKET_SEGMENTS_DATA_FOLDER=str(tmp_path / "host-data"),
        **config,
    )
    manager = LoginManager(host)
    manager.login_view = "sign_in"
    manager.user_loader(lambda user_id: HostUser() if user_id == HostUser.id else None)
    host.add_url_rule("/", "home", lambda: "The host's home page")
    host.add_url_rule("/sign-in", "sign_in", lambda: login_user(HostUser()) and "Signed in")
    init_dashboard(host, url_base_pathname="/reports/", logout_url="/sign-out", **(look or {}))
    return host


def test_a_host_site_keeps_its_own_pages_and_headers(tmp_path):
    host = tiny_host(tmp_path, BASKET_SEGMENTS_FRAME_ANCESTORS="'self' https://portal.example")

    @host.after_request
    def hosts_own_header(response):
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    client = host.test_client()
    client.get("/sign-in")
    dashboard = client.get("/reports/")
    assert dashboard.status_code == 200
    assert policy(dashboard)["frame-ancestors"] == ["'self'", "https://portal.example"]
    assert "X-Frame-Options" not in dashboard.headers  # cannot say "that portal too"
    assert dashboard.headers["Cache-Control"] == "no-store"
    assert dashboard.headers["Referrer-Policy"] == "no-referrer"  # the host's, kept

    home = client.get("/")
    assert home.get_data(as_text=True) == "The host's home page"
    assert [name for name in OURS if name in home.headers] == ["Referrer-Policy"]
    assert home.headers["Referrer-Policy"] == "no-referrer"  # only the host's own
