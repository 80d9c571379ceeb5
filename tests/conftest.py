"""Shared fixtures: real datasets in ../shared/data, and the app as in Flask's tutorial."""

from pathlib import Path

import pytest

from app import create_app

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real datasets; the suite needs it (CI lays it beside the repo)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"Missing the shared datasets at {SHARED_DATA}")
    return SHARED_DATA


def make_config(tmp_path: Path, **overrides) -> dict:
    """Config for an app whose database and files live in ``tmp_path``."""
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'test.db'}",
        "DATA_FOLDER": str(tmp_path / "data"),
        "WTF_CSRF_ENABLED": False,
        **overrides,
    }


@pytest.fixture
def app(tmp_path):
    return create_app(make_config(tmp_path))


@pytest.fixture
def client(app):
    return app.test_client()


class AuthActions:
    """Sign up, log in and log out through the real forms."""

    def __init__(self, client):
        self.client = client

    def signup(self, username="ana", password=PASSWORD):
        return self.client.post(
            "/signup", data={"username": username, "password": password, "confirm": password}
        )

    def login(self, username="ana", password=PASSWORD, next_path=None):
        url = "/login" + (f"?next={next_path}" if next_path else "")
        return self.client.post(url, data={"username": username, "password": password})

    def logout(self):
        return self.client.get("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def logged_in(client, auth):
    """A client logged in as a freshly signed-up user "ana"."""
    auth.signup()
    return client
