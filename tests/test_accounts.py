"""Sign-up, login, logout: messages, hashing, redirects, CSRF, throttling and account rules."""

import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy

from basket_segments.app import create_app
from basket_segments.store.owner import current_owner
from basket_segments.web.accounts import User, db
from basket_segments.web.accounts import views as accounts
from tests.conftest import PASSWORD, AuthActions, make_config

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgresql")


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


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("password", b"too easy to guess"),
        ("12345678", b"too easy to guess"),
        (" " * 8, b"too easy to guess"),
        ("Annabelle-K", b"Do not use your username"),
        ("annabelle-k2024", b"too easy to guess"),
        ("basketsegments", b"too easy to guess"),
    ],
)
def test_signup_refuses_guessable_passwords(client, password, message):
    response = client.post(
        "/signup", data={"username": "annabelle-k", "password": password, "confirm": password}
    )
    assert response.status_code == 400
    assert message in response.data
    assert client.get("/analytics/").status_code == 302


def test_long_passphrases_are_welcome(client):
    password = "a sentence only I would write, " * 3  # longer than zxcvbn reads
    data = {"username": "ana", "password": password, "confirm": password}
    assert client.post("/signup", data=data).status_code == 302


def test_taken_username(auth):
    auth.signup()
    auth.logout()
    response = auth.signup()
    assert response.status_code == 400
    assert b"That username is taken" in response.data


def test_usernames_are_unique_regardless_of_case(app, client, auth):
    assert auth.signup(username="Alice").status_code == 302
    auth.logout()
    for other in ("ALICE", "alice", "\uff41lice"):  # the last starts with a full-width "a"
        response = auth.signup(username=other)
        assert response.status_code == 400, other
        assert b"That username is taken" in response.data
    assert auth.login(username="aLiCe").status_code == 302
    assert client.get("/analytics/").status_code == 200
    with app.app_context():
        assert [u.username for u in db.session.scalars(db.select(User))] == ["Alice"]


def test_simultaneous_signups_of_one_name_answer_taken(app):
    """Each sign-up passes the "taken?" check before any of them is stored."""
    start = threading.Barrier(8)

    def sign_up(_):
        client = app.test_client()
        start.wait()
        data = {"username": "ana", "password": PASSWORD, "confirm": PASSWORD}
        try:
            response = client.post("/signup", data=data)
        except Exception as error:  # the testing app raises what would be a 500
            return type(error).__name__
        return response.status_code, b"That username is taken" in response.data

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(sign_up, range(8)))
    assert sorted(answers, key=str) == [(302, False)] + [(400, True)] * 7
    with app.app_context():
        assert db.session.scalar(db.select(sqlalchemy.func.count()).select_from(User)) == 1


def test_wrong_credentials(auth):
    auth.signup()
    auth.logout()
    response = auth.login(password="not the password")
    assert response.status_code == 401
    assert b"Wrong username or password." in response.data
    assert auth.login(username="nobody").status_code == 401


def test_a_missing_user_takes_as_long_to_refuse(tmp_path, monkeypatch):
    """The same password hash check runs whether or not the username exists."""
    app = create_app(make_config(tmp_path, BASKET_SEGMENTS_LOGIN_RATE_LIMIT="100 per minute"))
    client = app.test_client()
    data = {"username": "ana", "password": PASSWORD, "confirm": PASSWORD}
    client.post("/signup", data=data)
    checked = []
    real_check = accounts.check_password_hash
    monkeypatch.setattr(
        accounts, "check_password_hash", lambda *args: checked.append(1) or real_check(*args)
    )

    def refuse(username):
        response = client.post("/login", data={"username": username, "password": "wrong guess"})
        assert response.status_code == 401

    for _ in range(5):
        refuse("nobody")
    assert len(checked) == 5  # the hash work that takes the time: the same for a missing user


def test_login_returns_to_the_page_asked_for(client, auth):
    auth.signup()
    auth.logout()
    asked = client.get("/analytics/rules")
    assert asked.status_code == 302
    assert asked.location == "/login?next=%2Fanalytics%2Frules"
    assert auth.login(next_path="/analytics/rules").location == "/analytics/rules"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "javascript:x",
        "/analytics/%0Ax",
        "/analytics/%0D%0ASet-Cookie:%20x=1",
        "/analytics/%09x",
        "/%5Cevil.example/",
        "/analytics/%E2%80%A8x",
    ],
)
def test_login_never_redirects_to_another_site_or_a_broken_header(auth, target):
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


def test_repeated_logins_are_throttled(tmp_path):
    app = create_app(make_config(tmp_path, BASKET_SEGMENTS_LOGIN_RATE_LIMIT="3 per minute"))
    client = app.test_client()
    statuses = [
        client.post("/login", data={"username": "x", "password": "wrong"}).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    answer = client.post("/login", data={"username": "x", "password": "y"})
    assert answer.status_code == 429
    assert b"Too many login attempts (3 per 1 minute)" in answer.data


def test_simultaneous_wrong_logins_are_all_counted(tmp_path, monkeypatch):
    """30 guesses sent at once from one address: only the limit's worth are checked."""
    app = create_app(make_config(tmp_path, BASKET_SEGMENTS_LOGIN_RATE_LIMIT="3 per minute"))
    AuthActions(app.test_client()).signup()  # a real account, whose password is checked
    checked = []
    real_check = accounts.check_password_hash
    monkeypatch.setattr(
        accounts, "check_password_hash", lambda *args: checked.append(1) or real_check(*args)
    )
    start = threading.Barrier(30)

    def guess(number):
        client = app.test_client()
        start.wait()
        data = {"username": "ana", "password": f"guess {number}"}
        return client.post("/login", data=data).status_code

    with ThreadPoolExecutor(30) as pool:
        statuses = list(pool.map(guess, range(30)))
    assert len(checked) == 3
    assert sorted(statuses) == [401] * 3 + [429] * 27


def test_a_flood_against_one_user_locks_out_the_flooding_address_only(tmp_path):
    """Wrong passwords for one account count per address and per account from that
    address: the flooding address is stopped, while the account's owner, from an address
    that has not failed, still logs in (the limit must not become a denial of service)."""
    app = create_app(make_config(tmp_path, BASKET_SEGMENTS_LOGIN_RATE_LIMIT="3 per minute"))
    AuthActions(app.test_client()).signup()

    def attempt(username, password, address):
        answer = app.test_client().post(
            "/login",
            data={"username": username, "password": password},
            environ_base={"REMOTE_ADDR": address},
        )
        return answer.status_code

    flood = [attempt("Ana" if n % 2 else "ana", "wrong", "10.0.0.66") for n in range(6)]
    assert flood == [401, 401, 401, 429, 429, 429]
    assert attempt("ana", PASSWORD, "10.0.0.66") == 429  # that address waits
    assert attempt("ana", PASSWORD, "10.0.0.7") == 302  # the owner, elsewhere, is in
    assert attempt("bob", "x", "10.1.1.1") == 401


def test_signups_are_throttled_per_address(tmp_path):
    app = create_app(make_config(tmp_path, BASKET_SEGMENTS_SIGNUP_RATE_LIMIT="2 per hour"))
    statuses = []
    for name in ("ana", "ana", "bob", "carl"):
        answer = app.test_client().post(
            "/signup", data={"username": name, "password": PASSWORD, "confirm": PASSWORD}
        )
        statuses.append(answer.status_code)
    assert statuses == [302, 400, 429, 429]
    assert b"Too many sign-ups from your address (2 per 1 hour)" in answer.data
    assert app.config["BASKET_SEGMENTS_SIGNUP_RATE_LIMIT"] == "2 per hour"
    assert (
        create_app(make_config(tmp_path / "b")).config["BASKET_SEGMENTS_SIGNUP_RATE_LIMIT"]
        == "10 per hour"
    )


def mode(path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


def test_instance_files_are_the_servers_only(tmp_path):
    """Password hashes, secret key, jobs and data: no other account on the machine reads them."""
    config = make_config(tmp_path, SECRET_KEY=None)
    del config["BASKET_SEGMENTS_DATA_FOLDER"]
    if not ON_POSTGRES:
        del config["BASKET_SEGMENTS_DATABASE_URL"]  # SQLite's app.db in the instance folder
    app = create_app(config)
    app.test_client().post(
        "/signup", data={"username": "ana", "password": PASSWORD, "confirm": PASSWORD}
    )
    instance = tmp_path / "instance"
    assert mode(instance) == "0o700"
    for folder in ("data", "jobs"):
        assert mode(instance / folder) == "0o700"
    for name in ("secret_key", "jobs/cache.db", *([] if ON_POSTGRES else ["app.db"])):
        assert mode(instance / name) == "0o600", name
    for path in instance.rglob("*"):
        if path.is_file() and path.suffix in (".db", ".db-wal", ".db-shm", ".db-journal"):
            assert mode(path) == "0o600", path


def test_instance_files_of_an_older_install_are_made_private(tmp_path, monkeypatch):
    """The standalone default: SQLite's file in the instance folder (in the suite's run on
    PostgreSQL too, whose ``DATABASE_URL`` the app would otherwise take)."""
    config = make_config(tmp_path)
    del config["BASKET_SEGMENTS_DATABASE_URL"]
    monkeypatch.delenv("DATABASE_URL", raising=False)
    create_app(config)
    instance = tmp_path / "instance"
    os.chmod(instance, 0o755)
    os.chmod(instance / "app.db", 0o644)
    create_app(config)
    assert (mode(instance), mode(instance / "app.db")) == ("0o700", "0o600")


def test_a_database_from_before_usernames_ignored_case_still_logs_everyone_in(tmp_path):
    url = make_config(tmp_path)["BASKET_SEGMENTS_DATABASE_URL"]
    engine = sqlalchemy.create_engine(url)
    old_hash = accounts.generate_password_hash(PASSWORD)
    with engine.begin() as connection:
        connection.execute(
            sqlalchemy.text(
                "CREATE TABLE bs_users (id INTEGER PRIMARY KEY, username VARCHAR(80) UNIQUE "
                "NOT NULL, password_hash VARCHAR(256) NOT NULL, created TIMESTAMP)"
            )
        )
        for number, name in ((1, "Alice"), (2, "alice"), (3, "bob")):
            connection.execute(
                sqlalchemy.text(
                    "INSERT INTO bs_users (id, username, password_hash) VALUES (:i, :n, :h)"
                ),
                {"i": number, "n": name, "h": old_hash},
            )
    engine.dispose()
    app = create_app(make_config(tmp_path, BASKET_SEGMENTS_DATABASE_URL=url))
    for typed, owner in (("Alice", "1"), ("ALICE", "1"), ("alice", "2"), ("BOB", "3")):
        client = app.test_client()
        assert (
            client.post("/login", data={"username": typed, "password": PASSWORD}).status_code == 302
        )
        with client:
            client.get("/analytics/")
            assert current_owner() == owner, typed
    assert (
        app.test_client()
        .post("/signup", data={"username": "BOB", "password": PASSWORD, "confirm": PASSWORD})
        .status_code
        == 400
    )
