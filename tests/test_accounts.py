"""Sign-up, login, logout: messages, hashing, redirects, CSRF and throttling."""

import pytest

from basket_segments.accounts import User, db
from basket_segments.app import create_app
from tests.conftest import PASSWORD, make_config


def test_signup_logs_in_and_opens_the_dashboard(client, auth):
    response = auth.signup()
    assert response.status_code == 302
    assert response.location == "/analytics/"
    assert client.get("/analytics/").status_code == 200


def test_password_is_hashed(app, auth):
    auth.signup(password=PASSWORD)
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="ana"))
        assert PASSWORD not in user.password_hash
        assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


@pytest.mark.parametrize(
    ("username", "password", "confirm", "message"),
    [
        ("ana", "short", "short", b"Use at least 8 characters."),
        ("ana", PASSWORD, "different password", b"The two passwords differ."),
        ("a b", PASSWORD, PASSWORD, b"Use letters, digits"),
    ],
)
def test_signup_explains_bad_input(client, username, password, confirm, message):
    response = client.post(
        "/signup", data={"username": username, "password": password, "confirm": confirm}
    )
    assert response.status_code == 400
    assert message in response.data


def test_taken_username(auth):
    auth.signup()
    auth.logout()
    response = auth.signup()
    assert response.status_code == 400
    assert b"That username is taken" in response.data


def test_wrong_credentials(auth):
    auth.signup()
    auth.logout()
    response = auth.login(password="not the password")
    assert response.status_code == 401
    assert b"Wrong username or password." in response.data
    assert auth.login(username="nobody").status_code == 401


def test_login_returns_to_the_page_asked_for(client, auth):
    auth.signup()
    auth.logout()
    asked = client.get("/analytics/rules")
    assert asked.status_code == 302
    assert asked.location == "/login?next=%2Fanalytics%2Frules"
    assert auth.login(next_path="/analytics/rules").location == "/analytics/rules"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_login_never_redirects_to_another_site(auth, target):
    auth.signup()
    auth.logout()
    assert auth.login(next_path=target).location == "/analytics/"


def test_logout_ends_the_session(client, auth):
    auth.signup()
    assert auth.logout().location == "/login"
    assert client.get("/analytics/").status_code == 302


def test_forms_reject_posts_without_a_csrf_token(tmp_path):
    app = create_app(make_config(tmp_path, WTF_CSRF_ENABLED=True))
    client = app.test_client()
    response = client.post(
        "/signup", data={"username": "ana", "password": PASSWORD, "confirm": PASSWORD}
    )
    assert response.status_code == 400
    assert client.post("/login", data={"username": "ana", "password": PASSWORD}).status_code == 400
    with app.app_context():
        assert db.session.scalar(db.select(User).filter_by(username="ana")) is None


def test_repeated_failed_logins_are_throttled(tmp_path):
    app = create_app(make_config(tmp_path, LOGIN_RATE_LIMIT="3 per minute"))
    client = app.test_client()
    statuses = [
        client.post("/login", data={"username": "x", "password": "wrong"}).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    assert (
        b"Too many failed logins"
        in client.post("/login", data={"username": "x", "password": "y"}).data
    )
