"""Logins the server can end: logout, new tokens per login, password change, log out everywhere."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask_login import current_user

from basket_segments import ids
from basket_segments.app import create_app
from basket_segments.store import owner
from basket_segments.store.owner import current_owner
from basket_segments.web.accounts import UserSession, db
from tests.conftest import PASSWORD, AuthActions, make_config

LAYOUT = "/analytics/_dash-layout"
NEW_PASSWORD = "an entirely new passphrase"


def csrf_token(page: bytes) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.decode())[1]


def log_in(app, remember=False, password=PASSWORD):
    """A new browser that logs in as "ana"."""
    client = app.test_client()
    data = {"username": "ana", "password": password, **({"remember": "y"} if remember else {})}
    assert client.post("/login", data=data).status_code == 302
    return client


@pytest.fixture
def ana(app, client, auth):
    """The app, with "ana" signed up and logged out."""
    auth.signup()
    auth.logout()
    return app


def test_a_session_cookie_saved_before_logout_stops_working(ana):
    client = log_in(ana)
    saved = client.get_cookie("session").value
    assert AuthActions(client).logout().location == "/login"
    client.set_cookie("session", saved)
    assert client.get(LAYOUT).status_code == 401
    assert client.get("/analytics/").status_code == 302


def test_each_login_has_its_own_remember_cookie_and_logout_ends_it(ana):
    first = log_in(ana, remember=True)
    cookie = first.get_cookie("remember_token")
    lasts = cookie.expires - datetime.now(UTC)
    assert timedelta(days=13) < lasts <= timedelta(days=14)
    second = log_in(ana, remember=True)
    assert second.get_cookie("remember_token").value != cookie.value

    AuthActions(first).logout()
    assert first.get_cookie("remember_token") is None
    replayed = ana.test_client()  # no session cookie: the remember cookie alone
    replayed.set_cookie("remember_token", cookie.value)
    assert replayed.get(LAYOUT).status_code == 401
    assert second.get(LAYOUT).status_code == 200  # the other login goes on


def test_the_remember_cookie_logs_in_while_its_login_lasts(ana):
    client = log_in(ana, remember=True)
    fresh = ana.test_client()
    fresh.set_cookie("remember_token", client.get_cookie("remember_token").value)
    assert fresh.get(LAYOUT).status_code == 200
    with ana.app_context():
        login = db.session.scalar(db.select(UserSession))
        login.created = datetime.now(UTC) - timedelta(days=15)
        db.session.commit()
    assert fresh.get(LAYOUT).status_code == 401
    assert client.get(LAYOUT).status_code == 401


def test_the_login_lifetime_is_a_setting(tmp_path):
    app = create_app(make_config(tmp_path, REMEMBER_COOKIE_DURATION=3600))
    AuthActions(app.test_client()).signup()
    cookie = log_in(app, remember=True).get_cookie("remember_token")
    assert cookie.expires - datetime.now(UTC) <= timedelta(hours=1)


def test_logout_is_a_post_a_get_only_asks(tmp_path):
    app = create_app(make_config(tmp_path, WTF_CSRF_ENABLED=True))
    client = app.test_client()
    token = csrf_token(client.get("/signup").data)
    data = {"username": "ana", "password": PASSWORD, "confirm": PASSWORD, "csrf_token": token}
    assert client.post("/signup", data=data).status_code == 302

    page = client.get("/logout")
    assert page.status_code == 200 and b'id="logout-form"' in page.data
    assert client.get(LAYOUT).status_code == 200  # a link or an image logs nobody out
    assert client.post("/logout").status_code == 400  # no token: another site's form
    assert client.get(LAYOUT).status_code == 200
    answer = client.post("/logout", data={"csrf_token": csrf_token(page.data)})
    assert answer.location == "/login"
    assert client.get(LAYOUT).status_code == 401


def test_a_stale_logout_token_asks_again_instead_of_failing(tmp_path):
    app = create_app(make_config(tmp_path, WTF_CSRF_ENABLED=True))
    client = app.test_client()
    token = csrf_token(client.get("/signup").data)
    data = {"username": "ana", "password": PASSWORD, "confirm": PASSWORD, "csrf_token": token}
    client.post("/signup", data=data)
    answer = client.post("/logout", data={"csrf_token": "expired-or-forged"})
    assert answer.status_code == 400 and b'id="logout-form"' in answer.data
    assert client.get(LAYOUT).status_code == 200


def components(tree):
    """Every component of a layout as Dash sends it (JSON), depth first."""
    if isinstance(tree, list):
        for item in tree:
            yield from components(item)
    elif isinstance(tree, dict) and "props" in tree:
        yield tree
        yield from components(tree["props"].get("children"))


def test_the_navbar_logs_out_with_a_csrf_checked_post(tmp_path):
    app = create_app(make_config(tmp_path, WTF_CSRF_ENABLED=True))
    client = app.test_client()
    token = csrf_token(client.get("/signup").data)
    data = {"username": "ana", "password": PASSWORD, "confirm": PASSWORD, "csrf_token": token}
    client.post("/signup", data=data)
    layout = client.get(LAYOUT).get_json()
    (form,) = [c["props"] for c in components(layout) if c["type"] == "Form"]
    assert (form["method"], form["action"]) == ("post", "/logout")
    fields = {c["props"].get("name"): c["props"] for c in components(form["children"])}
    assert fields["csrf_token"]["type"] == "hidden"
    assert fields[None]["id"] == ids.LOGOUT_LINK and fields[None]["type"] == "submit"
    links = [c["props"].get("href") for c in components(layout)]
    assert "/password" in links

    answer = client.post("/logout", data={"csrf_token": fields["csrf_token"]["value"]})
    assert answer.location == "/login"
    assert client.get(LAYOUT).status_code == 401


def test_changing_the_password_ends_the_other_logins(ana):
    here, elsewhere = log_in(ana), log_in(ana, remember=True)
    remembered = elsewhere.get_cookie("remember_token").value
    assert here.get("/password").status_code == 200

    def change(current, new, confirm=None):
        data = {"current": current, "password": new, "confirm": confirm or new}
        return here.post("/password", data=data)

    assert b"not your current password" in change("wrong", NEW_PASSWORD).data
    assert b"too easy to guess" in change(PASSWORD, "password1").data
    assert b"The two passwords differ" in change(PASSWORD, NEW_PASSWORD, "other").data
    assert elsewhere.get(LAYOUT).status_code == 200

    answer = change(PASSWORD, NEW_PASSWORD)
    assert answer.location == "/password"
    assert b"Your password is changed" in here.get("/password").data
    assert here.get(LAYOUT).status_code == 200
    assert elsewhere.get(LAYOUT).status_code == 401
    replayed = ana.test_client()
    replayed.set_cookie("remember_token", remembered)
    assert replayed.get(LAYOUT).status_code == 401
    old = {"username": "ana", "password": PASSWORD}
    assert ana.test_client().post("/login", data=old).status_code == 401
    log_in(ana, password=NEW_PASSWORD)


def test_log_out_everywhere(ana):
    browsers = [log_in(ana), log_in(ana, remember=True), log_in(ana)]
    assert b"Open logins: 3" in browsers[0].get("/password").data
    assert browsers[0].post("/logout-everywhere").location == "/login"
    for browser in browsers:
        assert browser.get(LAYOUT).status_code == 401
    with ana.app_context():
        assert db.session.scalars(db.select(UserSession)).all() == []


def test_logging_out_everywhere_needs_a_post(ana):
    client = log_in(ana)
    assert client.get("/logout-everywhere").status_code == 405
    assert client.get(LAYOUT).status_code == 200


def test_the_data_owner_is_the_user_id_whatever_the_login(ana):
    """Logins get new tokens, but the data stays the user's: its key never changes."""
    seen = []
    for _ in range(2):
        client = log_in(ana)
        with client:
            client.get(LAYOUT)
            seen.append((current_owner(), current_user.get_id(), owner.request_owner()))
    (data_owner, first_id, job_owner), (owner_again, second_id, job_owner_again) = seen
    assert data_owner == owner_again == job_owner == job_owner_again == "1"
    assert first_id.startswith("1:") and second_id.startswith("1:") and first_id != second_id


def test_a_forged_or_unknown_login_id_is_anonymous(ana):
    client = log_in(ana)
    with client.session_transaction() as session:
        real = session["_user_id"]
    for forged in ("1", "1:", "1:not-a-token", f"2:{real.split(':')[1]}", "9" * 40 + ":x"):
        with client.session_transaction() as session:
            session["_user_id"] = forged
        assert client.get(LAYOUT).status_code == 401, forged
