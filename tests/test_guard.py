"""Every dashboard URL needs a logged-in user; Dash's own routes included."""

import pytest

PREFIX = "/analytics/"


def dashboard_urls(app):
    """Each dashboard route with its placeholders filled in, and its methods."""
    fillers = {
        "filename": "style.css",
        "package_name": "dash",
        "fingerprinted_path": "x.js",
        "path": "segments",
    }
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX):
            continue
        values = {name: fillers[name] for name in rule.arguments}
        url = adapter.build(rule.endpoint, values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield url, method


def test_the_url_map_has_every_dash_route(app):
    urls = {url for url, _ in dashboard_urls(app)}
    for route in (
        "_dash-layout",
        "_dash-dependencies",
        "_dash-update-component",
        "_dash-component-suites/dash/x.js",
        "assets/style.css",
        "",
    ):
        assert PREFIX + route in urls


def test_every_dashboard_route_refuses_anonymous_users(app, client):
    checked = 0
    for url, method in dashboard_urls(app):
        response = client.open(url, method=method, json={} if method == "POST" else None)
        checked += 1
        if "/_dash-" in url or method != "GET":
            assert response.status_code == 401, url
        else:
            assert response.status_code == 302, url
            assert response.location.startswith("/login?next="), url
    assert checked >= 8


def test_logged_in_users_get_the_dashboard(logged_in):
    assert logged_in.get(PREFIX).status_code == 200
    assert logged_in.get(PREFIX + "_dash-layout").status_code == 200


@pytest.mark.parametrize("path", ["/", "/login", "/signup"])
def test_pages_outside_the_prefix_stay_public(client, path):
    assert client.get(path).status_code in (200, 302)


def test_callbacks_answer_with_the_users_name(logged_in):
    body = {
        "output": "frame-user-name.children",
        "outputs": {"id": "frame-user-name", "property": "children"},
        "inputs": [{"id": "frame-url", "property": "pathname", "value": "/analytics/"}],
        "changedPropIds": ["frame-url.pathname"],
        "state": [],
    }
    response = logged_in.post(PREFIX + "_dash-update-component", json=body)
    assert response.status_code == 200
    assert response.get_json()["response"]["frame-user-name"]["children"] == "ana"
