"""The factories: configuration order, persisted secret, embedding twice in one process."""

import json
import multiprocessing
import os
from pathlib import Path

from basket_segments import ids
from basket_segments.app import DASH_EXTENSION, create_app
from basket_segments.store import storage
from basket_segments.web.accounts import db
from tests.conftest import PASSWORD, make_config


def test_config_order_defaults_then_environment_then_test_config(tmp_path, monkeypatch):
    monkeypatch.setenv("BASKET_SEGMENTS_MAX_UPLOAD_MB", "7")
    monkeypatch.setenv("BASKET_SEGMENTS_LOGIN_RATE_LIMIT", "9 per minute")
    app = create_app(make_config(tmp_path, BASKET_SEGMENTS_MAX_UPLOAD_MB=3))
    assert app.config["BASKET_SEGMENTS_MAX_UPLOAD_MB"] == 3
    assert app.config["BASKET_SEGMENTS_LOGIN_RATE_LIMIT"] == "9 per minute"
    assert app.config["BASKET_SEGMENTS_DASHBOARD_PREFIX"] == "/analytics/"


def test_database_url_from_the_environment(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'from-env.db'}"
    monkeypatch.setenv("BASKET_SEGMENTS_DATABASE_URL", url)
    config = make_config(tmp_path)
    del config["BASKET_SEGMENTS_DATABASE_URL"]
    app = create_app(config)
    assert app.config["BASKET_SEGMENTS_DATABASE_URL"] == url
    assert (tmp_path / "from-env.db").exists()


def test_secret_key_is_created_once_and_kept(tmp_path):
    config = make_config(tmp_path, SECRET_KEY=None)
    key_file = tmp_path / "instance" / "secret_key"
    assert not key_file.exists()
    first = create_app(config)
    assert Path(first.instance_path) == key_file.parent
    second = create_app(config)
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) == 64
    assert key_file.read_text().strip() == first.config["SECRET_KEY"]
    configured = create_app(make_config(tmp_path, SECRET_KEY="mine"))
    assert configured.config["SECRET_KEY"] == "mine"


def test_session_cookie_flags(logged_in):
    app = logged_in.application
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    cookie = logged_in.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_two_apps_in_one_process_each_have_their_callbacks(tmp_path, auth):
    other = create_app(make_config(tmp_path / "other"))
    for app in (auth.client.application, other):
        client = app.test_client()
        client.post("/signup", data={"username": "bob", "password": PASSWORD, "confirm": PASSWORD})
        response = client.get("/analytics/_dash-dependencies")
        assert response.status_code == 200, response.data
        dependencies = json.loads(response.data)
        outputs = {d["output"] for d in dependencies}
        assert f"{ids.PAGE}.children" in outputs
        assert f"{ids.USER_NAME}.children" in outputs
        assert len(app.extensions[DASH_EXTENSION]) == 1


def test_the_suite_runs_on_the_database_it_was_given(app):
    """With DATABASE_URL set to PostgreSQL, the app's tables really live there."""
    on_postgres = os.environ.get("DATABASE_URL", "").startswith("postgresql")
    wanted = "postgresql" if on_postgres else "sqlite"
    with app.app_context():
        engine = app.extensions[storage.EXTENSION].sessions.kw["bind"]
        assert engine.dialect.name == wanted
        assert db.engine.dialect.name == wanted


def _start_apps_together(barrier, tmp_path: Path, worker: int, rounds: int, errors) -> None:
    """One of several server workers: build the app on a fresh database, in step."""
    for round_number in range(rounds):
        folder = tmp_path / f"round{round_number}"
        config = make_config(
            folder, BASKET_SEGMENTS_DATABASE_URL=f"sqlite:///{folder / 'shared.db'}"
        )
        config["BASKET_SEGMENTS_INSTANCE_PATH"] = str(folder / f"instance{worker}")
        barrier.wait()
        try:
            create_app(config)
        except Exception as error:
            errors.put(repr(error))


def test_workers_starting_at_once_on_a_fresh_database_all_start(tmp_path):
    """Workers race to create the tables; none may fail with "table already exists"."""
    context = multiprocessing.get_context("spawn")
    barrier, errors, rounds = context.Barrier(4), context.Queue(), 4
    workers = [
        context.Process(target=_start_apps_together, args=(barrier, tmp_path, i, rounds, errors))
        for i in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [worker.exitcode for worker in workers] == [0] * 4
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    assert failures == []
