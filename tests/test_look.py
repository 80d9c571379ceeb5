"""The host's look: brand, theme and stylesheets, the page links under the host's own
header, and the host's page template around the dashboard."""

import json

import dash_bootstrap_components as dbc
import pytest
from flask import render_template_string

from basket_segments import ids
from basket_segments.layouts.frame import Look, serve_layout
from basket_segments.pages import navbar_links
from tests.callbacks_support import walk
from tests.host_site import MEMBER
from tests.test_embedding import sign_in
from tests.test_headers import policy, tiny_host

BUNDLED = "/reports/assets/vendor/bootstrap.min.css"


def signed_in(host):
    client = host.test_client()
    client.get("/sign-in")
    return client


def stylesheets(page: str) -> list[str]:
    """The stylesheets' addresses, in the order the page loads them (no cache query)."""
    return [
        part.split('"', 1)[0].split("?")[0] for part in page.split('rel="stylesheet" href="')[1:]
    ]


def test_the_brand_names_the_host_and_leads_home():
    page = walk(serve_layout(pages=navbar_links(), look=Look("Acme", home_url="/")))
    (brand,) = [c for c in page if isinstance(c, dbc.NavbarBrand)]
    assert (brand.children, brand.href, brand.external_link) == ("Acme", "/", True)
    assert Look("Acme").title == "Basket Segments · Acme"


def test_the_page_links_alone_leave_the_account_controls_to_the_hosts_header():
    page = list(walk(serve_layout(pages=navbar_links(), look=Look(header="links"))))
    found = {c.id for c in page if isinstance(getattr(c, "id", None), str)}
    assert ids.PAGE_LINKS in found
    assert not {ids.NAVBAR, ids.USER_NAME, ids.LOGOUT_LINK} & found
    links = [c for c in page if isinstance(c, dbc.NavLink)]
    assert [link.children for link in links] == [
        "Data",
        "Segments",
        "Rules",
        "Customers",
        "Over time",
    ]


@pytest.mark.parametrize(
    ("look", "message"),
    [({"header": "none"}, "header must be one of"), ({"stylesheets": "/a.css"}, "list of URLs")],
)
def test_a_wrong_look_is_refused_when_the_dashboard_is_mounted(tmp_path, look, message):
    with pytest.raises(ValueError, match=message):
        tiny_host(tmp_path, look)


def test_the_hosts_stylesheets_load_after_bootstrap_and_before_the_dashboards(tmp_path):
    client = signed_in(tiny_host(tmp_path, {"stylesheets": ["/static/site.css"]}))
    sheets = stylesheets(client.get("/reports/").get_data(as_text=True))
    assert sheets == [BUNDLED, "/static/site.css", "/reports/assets/dashboard.css"]
    assert client.get(BUNDLED).status_code == 200


def test_a_theme_replaces_the_bundled_bootstrap_and_its_site_is_allowed(tmp_path):
    client = signed_in(tiny_host(tmp_path, {"theme": dbc.themes.FLATLY}))
    page = client.get("/reports/")
    assert stylesheets(page.get_data(as_text=True)) == [
        dbc.themes.FLATLY,
        "/reports/assets/dashboard.css",
    ]
    assert policy(page)["style-src"] == ["'self'", "'unsafe-inline'", "https://cdn.jsdelivr.net"]
    assert (
        policy(client.get("/reports/_dash-layout"))["style-src"][-1] == "https://cdn.jsdelivr.net"
    )


def test_a_fixed_index_string_frames_the_dashboard(tmp_path):
    index = "<!doctype html><html lang='en'><body><header id='portal'>Portal</header>"
    index += "{%css%}{%app_entry%}<footer>{%config%}{%scripts%}{%renderer%}</footer></body></html>"
    page = signed_in(tiny_host(tmp_path, {"index_string": index})).get("/reports/")
    text = page.get_data(as_text=True)
    assert text.index("id='portal'") < text.index('id="react-entry-point"')


def test_a_template_function_renders_for_each_page_load_with_the_hosts_user(tmp_path):
    template = "<header>{{ current_user.email }}</header>{% raw %}{%app_entry%}"
    template += "{%config%}{%scripts%}{%renderer%}{% endraw %}"
    look = {"index_string": lambda: render_template_string(template), "header": "links"}
    client = signed_in(tiny_host(tmp_path, look))
    assert "<header>host@example.test</header>" in client.get("/reports/").get_data(as_text=True)


def test_a_template_without_dashs_parts_says_which_are_missing(tmp_path):
    host = tiny_host(tmp_path, {"index_string": lambda: "<p>{%app_entry%}</p>"})
    host.testing = True
    with pytest.raises(ValueError, match=r"lacks \{%config%\}, \{%scripts%\}, \{%renderer%\}"):
        signed_in(host).get("/reports/")


def test_the_example_host_keeps_its_header_above_the_dashboards_page_links(host):
    client = host.test_client()
    sign_in(client)
    page = client.get("/analytics/").get_data(as_text=True)
    header = page.index('id="site-header"')
    assert MEMBER in page[header : page.index("</header>")]
    assert header < page.index('id="react-entry-point"')
    assert page.count("<main") == 0  # the dashboard's own <main> is the page's only one
    assert stylesheets(page)[:2] == [
        "/analytics/assets/vendor/bootstrap.min.css",
        "/static/site.css",
    ]
    layout = json.dumps(client.get("/analytics/_dash-layout").get_json())
    assert ids.PAGE_LINKS in layout and ids.NAVBAR not in layout
