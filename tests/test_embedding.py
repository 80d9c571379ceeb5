"""The dashboard mounted in an existing Flask site with its own users, login and CSRF."""

import json
import re

import pytest

from examples.host_site import Member, create_app, create_member, db
from tests.conftest import host_config

PASSWORD = "host password 1"


@pytest.fixture
def host(tmp_path):
    app = create_app(host_config(tmp_path, TESTING=True))
    with app.app_context():
        create_member("alice@acme.test", PASSWORD)
    return app


def sign_in(client):
    page = client.get("/auth/login")
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1)
    return client.post(
        "/auth/login?next=/analytics/",
        data={"csrf_token": token.decode(), "email": "alice@acme.test", "password": PASSWORD},
    )


def user_name_request(pathname="/analytics/"):
    return {
        "output": "frame-user-name.children",
        "outputs": {"id": "frame-user-name", "property": "children"},
        "inputs": [{"id": "frame-url", "property": "pathname", "value": pathname}],
        "changedPropIds": ["frame-url.pathname"],
        "state": [],
    }


def test_anonymous_visitors_go_to_the_hosts_login_page(host):
    response = host.test_client().get("/analytics/")
    assert response.status_code == 302
    assert response.location.startswith("/auth/login?next=")


def test_hosts_user_sees_the_dashboard_with_their_name(host):
    client = host.test_client()
    assert sign_in(client).location == "/analytics/"
    assert client.get("/analytics/").status_code == 200
    token = client.get_cookie("_csrf_token", path="/analytics/").value
    response = client.post(
        "/analytics/_dash-update-component",
        json=user_name_request(),
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert response.get_json()["response"]["frame-user-name"]["children"] == "alice@acme.test"


def test_hosts_csrf_protection_still_covers_dash_callbacks(host):
    client = host.test_client()
    sign_in(client)
    client.get("/analytics/")
    response = client.post("/analytics/_dash-update-component", json=user_name_request())
    assert response.status_code == 400


def test_hosts_logout_link_is_in_the_navbar(host):
    client = host.test_client()
    sign_in(client)
    layout = json.dumps(client.get("/analytics/_dash-layout").get_json())
    assert '"href": "/auth/logout"' in layout
    with host.app_context():
        assert db.session.scalar(db.select(Member)).email == "alice@acme.test"
