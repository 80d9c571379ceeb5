"""The dashboard mounted in examples/host_site, with the host's members, login and CSRF."""

import json
import sys

import pytest

from basket_segments import ids
from tests.host_site import (
    CSRF_INPUT,
    HOST_MODULES,
    HOST_SITE,
    MEMBER,
    MEMBER_PASSWORD,
    imported_host_site,
    user_name_request,
)


def csrf_token(page: bytes) -> str:
    return CSRF_INPUT.search(page.decode()).group(1)


def sign_in(client, next_path="/analytics/"):
    token = csrf_token(client.get("/auth/login").data)
    return client.post(
        "/auth/login",
        query_string={"next": next_path},
        data={"csrf_token": token, "email": MEMBER, "password": MEMBER_PASSWORD},
    )


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
    assert response.get_json()["response"][ids.USER_NAME]["children"] == MEMBER


def test_hosts_csrf_protection_still_covers_dash_callbacks(host):
    client = host.test_client()
    sign_in(client)
    client.get("/analytics/")
    response = client.post("/analytics/_dash-update-component", json=user_name_request())
    assert response.status_code == 400


def test_the_hosts_header_has_the_member_and_sign_out_and_the_dashboard_no_second(host):
    client = host.test_client()
    sign_in(client)
    page = client.get("/analytics/").get_data(as_text=True)
    assert 'id="site-sign-out"' in page and 'href="/auth/logout"' in page
    layout = json.dumps(client.get("/analytics/_dash-layout").get_json())
    assert ids.LOGOUT_LINK not in layout and ids.USER_NAME not in layout


def test_hosts_logout_is_a_csrf_checked_post(host):
    client = host.test_client()
    sign_in(client)
    token = csrf_token(client.get("/auth/logout").data)
    assert client.get("/analytics/").status_code == 200  # the GET only asked
    assert client.post("/auth/logout").status_code == 400
    assert client.post("/auth/logout", data={"csrf_token": token}).location == "/auth/login"
    assert client.get("/analytics/").location.startswith("/auth/login?next=")


@pytest.mark.parametrize("target", ["https://evil.test/", "//evil.test/", "/\\evil.test/"])
def test_signing_in_goes_on_only_to_a_path_on_the_site(host, target):
    assert sign_in(host.test_client(), target).location == "/"


def test_importing_the_host_site_leaves_no_trace():
    """Its generic module names must not shadow anything for later tests."""
    path = list(sys.path)
    before = {name: sys.modules.get(name) for name in HOST_MODULES}
    with imported_host_site() as host:
        assert host.app.__file__ == str(HOST_SITE / "app.py")
    assert sys.path == path
    assert {name: sys.modules.get(name) for name in HOST_MODULES} == before


def test_the_dashboard_bounds_its_own_bodies_and_leaves_the_hosts_alone(host):
    """Under its prefix a form is refused unread (the host's CSRF check would parse it)
    and a callback over 1 MB gets 413; the host's own routes keep the host's limits."""
    client = host.test_client()
    form = {"field": "x" * 2 * 2**20}
    assert client.post("/analytics/_dash-update-component", data=form).status_code == 415
    big = json.dumps({"x": "y" * 2 * 2**20})
    answer = client.post("/analytics/_dash-update-component", data=big, content_type="json")
    assert answer.status_code == 413
    assert answer.get_json() == {"error": "The request is too large for the dashboard."}
    host_answer = client.post("/auth/login", data=form)  # the host's own limits answer
    assert host_answer.status_code in (400, 413) and not host_answer.is_json
    assert host.config.get("MAX_CONTENT_LENGTH") is None  # the host's settings untouched


@pytest.mark.parametrize("logout", ["logout_user", "session.clear"])
def test_a_tab_left_open_after_logging_out_is_told_where_to_log_in(host, logout):
    """Its callbacks get 401 with the host's login page (the page adds ``next``), also
    when the host's logout cleared the session and with it the CSRF token."""
    client = host.test_client()
    sign_in(client)
    client.get("/analytics/")
    token = client.get_cookie("_csrf_token", path="/analytics/").value
    with client.session_transaction() as session:
        if logout == "session.clear":
            session.clear()
        else:
            session.pop("_user_id")
    response = client.post(
        "/analytics/_dash-update-component",
        json=user_name_request(),
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 401
    assert response.get_json()["login"] == "/auth/login?next=%2Fanalytics%2F"


def test_a_celery_worker_module_on_a_threads_host_is_told_what_to_set(host):
    """``celery_app`` on a site whose jobs run in threads names the two settings it needs."""
    from basket_segments import celery_app

    with pytest.raises(RuntimeError, match="BASKET_SEGMENTS_BACKGROUND_MANAGER=celery"):
        celery_app(host)
