"""Shared fixtures: real datasets in ../shared/data, and the app as in Flask's tutorial.

The suite runs on SQLite by default. With ``DATABASE_URL`` set to a PostgreSQL
URL (``.ci/postgres.sh`` starts one), every test instead gets a fresh schema of
that database, so the whole suite runs against PostgreSQL.
"""

import json
import os
import re
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy

from basket_segments.app import create_app
from bench.live_server import free_port
from tests.host_site import (
    MEMBER,
    MEMBER_PASSWORD,
    InstalledHost,
    imported_host_site,
    install,
    serve,
)

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
PASSWORD = "correct horse battery"
#: The environment variable naming a file of the tests that reached a database (asked for
#: one, ``database_url``, or used a connection, as a module's shared app does): a run on
#: SQLite writes it, a later run on PostgreSQL runs only those (.ci/run). The other tests
#: never reach a database, so running them again on PostgreSQL tests nothing new (they
#: were a fifth of CI's time).
DATABASE_TESTS = "DATABASE_TESTS_FILE"
#: The test running now, and the tests that reached a database so far in this run.
_running: list[str | None] = [None]
_database_tests: set[str] = set()


def on_postgres() -> bool:
    """Whether this run's databases are PostgreSQL schemas (``DATABASE_URL``)."""
    return os.environ.get("DATABASE_URL", "").startswith("postgresql")


def pytest_sessionstart(session) -> None:
    """On PostgreSQL, drop the per-test schemas an earlier run left behind."""
    if not on_postgres():
        return
    engine = sqlalchemy.create_engine(os.environ["DATABASE_URL"])
    with engine.begin() as connection:
        names = connection.execute(
            sqlalchemy.text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%'")
        ).scalars()
        names = list(names)
    for name in names:  # a transaction each: hundreds in one exhaust PostgreSQL's locks
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text(f'DROP SCHEMA "{name}" CASCADE'))
    engine.dispose()


@sqlalchemy.event.listens_for(sqlalchemy.pool.Pool, "checkout")
def _note_database_use(*_connection) -> None:
    """A test that takes a database connection reaches a database, whoever made it."""
    _note_database_test()


def _note_database_test() -> None:
    if _running[0] is not None:
        _database_tests.add(_running[0])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Note which test runs, for ``database_url`` and the connection listener; what a
    test's setup builds counts as the test's own, and a test using an app a wider fixture
    built is noted when it takes a connection."""
    _running[0] = item.nodeid
    try:
        return (yield)
    finally:
        _running[0] = None


def pytest_sessionfinish(session) -> None:
    """On SQLite, list the tests that reached a database where ``DATABASE_TESTS`` says."""
    listed = os.environ.get(DATABASE_TESTS)
    if listed and not on_postgres():
        Path(listed).write_text(json.dumps(sorted(_database_tests), indent=0))


def pytest_collection_modifyitems(config, items) -> None:
    """On PostgreSQL with ``DATABASE_TESTS`` set, only the tests its file lists."""
    listed = os.environ.get(DATABASE_TESTS)
    if not listed or not on_postgres():
        return
    try:
        names = set(json.loads(Path(listed).read_text()))
    except (OSError, ValueError) as error:
        raise pytest.UsageError(
            f"{DATABASE_TESTS}={listed} lists no tests ({error}): run the suite on SQLite "
            "with the same setting first"
        ) from error
    kept, dropped = database_tests_only(items, names)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def database_tests_only(items: list, names: set[str]) -> tuple[list, list]:
    """``items`` split into those ``names`` lists (by node id) and the rest, in order."""
    kept = [item for item in items if item.nodeid in names]
    return kept, [item for item in items if item.nodeid not in names]


def required_data(folder: Path, environ: Mapping[str, str]) -> Path:
    """``folder`` if it holds the public datasets; otherwise skip the test, saying where
    the data comes from, or fail it under ``CI=true``, where it must be present."""
    if folder.is_dir():
        return folder
    reason = (
        f"needs the public datasets in {folder} (their origins are listed in "
        f"{folder / 'SOURCES.md'}); a bare clone runs without them"
    )
    if environ.get("CI"):
        pytest.fail(f"CI must lay the shared datasets beside the clone: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real datasets, ``../shared/data`` beside the clone (as in CI)."""
    return required_data(SHARED_DATA, os.environ)


def database_url(tmp_path: Path, name: str = "test") -> str:
    """A database of its own for one test: a SQLite file, or a new PostgreSQL schema."""
    _note_database_test()
    server = os.environ.get("DATABASE_URL", "")
    if not on_postgres():
        return f"sqlite:///{tmp_path / f'{name}.db'}"
    schema = f"t_{name}_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(server)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    separator = "&" if "?" in server else "?"
    return f"{server}{separator}options=-csearch_path%3D{schema}"


def make_config(tmp_path: Path, **overrides) -> dict:
    """Config for an app whose database and files live in ``tmp_path``."""
    return {
        "TESTING": True,
        "BASKET_SEGMENTS_INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret",
        "BASKET_SEGMENTS_DATABASE_URL": database_url(tmp_path),
        "BASKET_SEGMENTS_DATA_FOLDER": str(tmp_path / "data"),
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
        """Log out as the navbar does: a POST, with the CSRF token of the logout page."""
        page = self.client.get("/logout").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        return self.client.post("/logout", data={"csrf_token": token[1]} if token else {})


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def logged_in(client, auth):
    """A client logged in as a freshly signed-up user "ana"."""
    auth.signup()
    return client


def host_config(tmp_path: Path, **overrides) -> dict:
    """Config for examples/host_site: its instance folder in ``tmp_path``, and on
    PostgreSQL a schema for its members and one for the dashboard."""
    return {
        "INSTANCE_PATH": str(tmp_path / "host"),
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path, "host"),
        "BASKET_SEGMENTS_DATABASE_URL": database_url(tmp_path, "dashboard"),
        **overrides,
    }


@pytest.fixture
def host_site() -> Iterator[SimpleNamespace]:
    """examples/host_site's modules, gone from ``sys.modules`` after the test."""
    with imported_host_site() as modules:
        yield modules


@pytest.fixture
def host(host_site, tmp_path):
    """examples/host_site's app, with one member."""
    app = host_site.app.create_app(host_config(tmp_path, TESTING=True))
    with app.app_context():
        host_site.models.add_member(MEMBER, MEMBER_PASSWORD)
    return app


@pytest.fixture(scope="session")
def installed_host(tmp_path_factory) -> InstalledHost:
    """The wheel and examples/host_site in a fresh venv, built once per test run."""
    return install(tmp_path_factory.mktemp("installed-host"))


@pytest.fixture(scope="session")
def host_server(installed_host, tmp_path_factory) -> Iterator[str]:
    """The installed host serving on a free port (its URL), with one member added by its CLI."""
    installed_host.run(
        installed_host.command("flask"), "--app", "app", "add-user", MEMBER, MEMBER_PASSWORD
    )
    with serve(installed_host, tmp_path_factory.mktemp("host-server") / "server.log") as url:
        yield url


@pytest.fixture
def engine_only_in_jobs(monkeypatch):
    """Fail the test when anything but a background job reaches an engine stage or KMeans.

    Views answer from storage; computing belongs to the long-work helper's job
    (``long_work.run``), with progress and Cancel. Callback tests that use this
    fixture therefore prove that no plain callback they drive computes.
    """
    from contextvars import ContextVar

    import sklearn.cluster

    from basket_segments.analytics.local import LocalEngine
    from basket_segments.callbacks import long_work

    in_job: ContextVar[bool] = ContextVar("in_job", default=False)
    real_run = long_work.run

    def run(*args, **kwargs):
        token = in_job.set(True)
        try:
            return real_run(*args, **kwargs)
        finally:
            in_job.reset(token)

    def guarded(name, function):
        def only_in_a_job(*args, **kwargs):
            assert in_job.get(), f"{name} ran outside a background job"
            return function(*args, **kwargs)

        return only_in_a_job

    monkeypatch.setattr(long_work, "run", run)
    stages = ("load", "suggest_k", "segment", "segment_table", "baskets", "mine")
    for stage in (*stages, "cut_periods", "over_time"):
        real = getattr(LocalEngine, stage)
        monkeypatch.setattr(LocalEngine, stage, guarded(f"LocalEngine.{stage}", real))
    monkeypatch.setattr(
        sklearn.cluster.KMeans, "fit", guarded("KMeans.fit", sklearn.cluster.KMeans.fit)
    )


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis server of the test's own on a free port of 127.0.0.1 (Debian's redis-server;
    ``.ci/run`` installs it), with nothing saved to disk."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(10)
