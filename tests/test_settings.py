"""Named files and settings: one prefix, the order they are read in, the folder the
dashboard keeps in a host's instance folder, and the routes its guard and headers cover."""

from __future__ import annotations

import ast
import logging
import re
import sqlite3

import pytest
from flask import Flask
from flask_login import LoginManager

from basket_segments import settings
from basket_segments.app import create_app, init_dashboard
from tests.conftest import REPO, make_config

PACKAGE = REPO / "basket_segments"


def bare_host(tmp_path, **config) -> Flask:
    """A host that sets nothing of the dashboard's, with the dashboard under /analytics/."""
    host = Flask("bare_host", instance_path=str(tmp_path / "host"))
    host.config.update(SECRET_KEY="host-secret", **config)
    manager = LoginManager(host)
    manager.login_view = "sign_in"
    manager.user_loader(lambda _user_id: None)
    host.add_url_rule("/sign-in", "sign_in", lambda: "Sign in here")
    host.add_url_rule("/analytics/x", "hosts_x", lambda: "The host's own x")
    init_dashboard(host)
    return host


# --- files --------------------------------------------------------------------------


def files_in(folder) -> list[str]:
    """The names in ``folder``; a SQLite file's write-ahead log (``-wal`` and ``-shm``,
    there while a connection is open) goes with its database and is not listed."""
    return sorted(
        path.name for path in folder.iterdir() if not path.name.endswith(("-wal", "-shm"))
    )


def test_an_embedded_dashboard_keeps_its_files_in_one_named_folder(tmp_path):
    host = bare_host(tmp_path)
    instance = tmp_path / "host"
    assert sorted(path.name for path in instance.iterdir()) == ["basket_segments"]
    folder = instance / "basket_segments"
    assert files_in(folder) == ["basket_segments.db", "data", "jobs"]
    with sqlite3.connect(folder / "basket_segments.db") as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"bs_datasets", "bs_results"} <= tables
    assert host.config["BASKET_SEGMENTS_DATABASE_URL"] is None  # the default, unchanged


def test_a_host_sets_the_paths(tmp_path):
    bare_host(
        tmp_path,
        BASKET_SEGMENTS_FOLDER=str(tmp_path / "elsewhere"),
        BASKET_SEGMENTS_JOBS_FOLDER=str(tmp_path / "jobs-here"),
    )
    assert not (tmp_path / "host").exists()
    assert files_in(tmp_path / "elsewhere") == ["basket_segments.db", "data"]
    assert (tmp_path / "jobs-here").is_dir()


def test_an_older_embedded_layout_stays_in_use(tmp_path, caplog):
    """Before, the dashboard's app.db, data/ and jobs/ lay straight in the host's instance
    folder: they stay in use, with a warning saying how to move them, so nothing is lost."""
    instance = tmp_path / "host"
    instance.mkdir()
    with sqlite3.connect(instance / "app.db") as connection:
        connection.execute("CREATE TABLE bs_datasets (id INTEGER PRIMARY KEY)")
    with caplog.at_level(logging.WARNING, "basket_segments"):
        host = bare_host(tmp_path)
    assert host.config["BASKET_SEGMENTS_DATABASE_URL"] == f"sqlite:///{instance / 'app.db'}"
    assert not (instance / "basket_segments").exists()
    assert (instance / "data").is_dir() and (instance / "jobs").is_dir()
    assert "Files and settings of an embedded dashboard" in caplog.text


def test_a_hosts_own_app_db_is_not_taken_for_the_dashboards(tmp_path):
    instance = tmp_path / "host"
    instance.mkdir()
    with sqlite3.connect(instance / "app.db") as connection:
        connection.execute("CREATE TABLE members (id INTEGER PRIMARY KEY)")
    bare_host(tmp_path)
    assert (instance / "basket_segments" / "basket_segments.db").exists()


def test_the_standalone_server_keeps_its_instance_layout(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)  # the suite's PostgreSQL, if any
    config = make_config(tmp_path, SECRET_KEY=None)
    del config["BASKET_SEGMENTS_DATABASE_URL"], config["BASKET_SEGMENTS_DATA_FOLDER"]
    create_app(config)
    names = {path.name for path in (tmp_path / "instance").iterdir()}
    assert {"app.db", "data", "jobs", "secret_key"} <= names
    assert "basket_segments" not in names


# --- settings ------------------------------------------------------------------------


def test_embedded_the_environment_counts_and_the_hosts_config_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("BASKET_SEGMENTS_MAX_UPLOAD_MB", "7")
    monkeypatch.setenv("BASKET_SEGMENTS_MAX_RULES", "500")
    monkeypatch.setenv("MAX_RULES", "9")  # unprefixed: never read from the environment
    host = bare_host(tmp_path, BASKET_SEGMENTS_MAX_RULES=300)
    assert host.config["BASKET_SEGMENTS_MAX_UPLOAD_MB"] == 7
    assert host.config["BASKET_SEGMENTS_MAX_RULES"] == 300
    assert host.config["BASKET_SEGMENTS_ANALYTICS_ENGINE"] == "local"


def test_embedded_an_unprefixed_setting_still_counts_with_a_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, "basket_segments"):
        host = bare_host(tmp_path, MAX_UPLOAD_MB=3, BASKET_SEGMENTS_MAX_RULES=5, MAX_RULES=9)
    assert host.config["BASKET_SEGMENTS_MAX_UPLOAD_MB"] == 3
    assert host.config["BASKET_SEGMENTS_MAX_RULES"] == 5  # the prefixed name wins
    assert "app.config['MAX_UPLOAD_MB'] is deprecated" in caplog.text
    assert "BASKET_SEGMENTS_MAX_UPLOAD_MB" in caplog.text


def test_standalone_the_old_environment_names_still_count(tmp_path, monkeypatch, caplog):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("FLASK_MAX_UPLOAD_MB", "4")
    monkeypatch.setenv("FLASK_SECRET_KEY", "old-key")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "old-instance"))
    config = make_config(tmp_path)
    for name in ("BASKET_SEGMENTS_DATABASE_URL", "BASKET_SEGMENTS_INSTANCE_PATH", "SECRET_KEY"):
        del config[name]
    with caplog.at_level(logging.WARNING, "basket_segments"):
        app = create_app(config)
    assert app.config["BASKET_SEGMENTS_DATABASE_URL"] == url
    assert app.config["BASKET_SEGMENTS_MAX_UPLOAD_MB"] == 4
    assert app.config["SECRET_KEY"] == "old-key"
    assert app.instance_path == str(tmp_path / "old-instance")
    assert caplog.text.count("is deprecated") == 4


def test_standalone_prefixed_environment_names_beat_the_old_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_MAX_UPLOAD_MB", "4")
    monkeypatch.setenv("BASKET_SEGMENTS_MAX_UPLOAD_MB", "6")
    monkeypatch.setenv("BASKET_SEGMENTS_SESSION_COOKIE_SECURE", "true")
    app = create_app(make_config(tmp_path))
    assert app.config["BASKET_SEGMENTS_MAX_UPLOAD_MB"] == 6
    assert app.config["SESSION_COOKIE_SECURE"] is True


SETTING_ROW = re.compile(r"^\| `BASKET_SEGMENTS_([A-Z_]+)` \|")


def readme_settings() -> set[str]:
    """The names in the README's settings table (rows starting with a prefixed name)."""
    text = (REPO / "README.md").read_text()
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return {m[1] for line in section.splitlines() if (m := SETTING_ROW.match(line))}


def names_read_by_the_code() -> set[str]:
    """Every ``setting(config, "NAME")`` and ``setting_bytes(config, "NAME")`` in the package
    (Flask reads its own keys itself; the instance path is read from the environment)."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None))
                in ("setting", "setting_bytes")
                and len(node.args) == 2
                and isinstance(node.args[1], ast.Constant)
            ):
                found.add(node.args[1].value)
    return found


def test_the_readme_lists_every_setting_and_each_is_read():
    listed = readme_settings()
    declared = {*settings.DEFAULTS, *settings.FLASK_KEYS, *settings.ENVIRONMENT_ONLY}
    assert listed == declared
    read = names_read_by_the_code()
    assert read - declared == set()
    assert set(settings.DEFAULTS) - read == set()


@pytest.mark.parametrize("name", sorted({*settings.DEFAULTS, *settings.FLASK_KEYS}))
def test_each_setting_is_taken_from_its_environment_variable(name, tmp_path, monkeypatch):
    value = {"SECRET_KEY": "k", "DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}"}.get(name)
    value = value or {
        "FOLDER": str(tmp_path / "f"),
        "DATA_FOLDER": str(tmp_path / "d"),
        "JOBS_FOLDER": str(tmp_path / "j"),
        "DASHBOARD_PREFIX": "/reports/",
        "FRAME_ANCESTORS": "'none'",
        "BACKGROUND_MANAGER": "threads",
        "ANALYTICS_ENGINE": "local",
        "RATELIMIT_STORAGE_URI": "memory://",
        "LOGIN_RATE_LIMIT": "7 per minute",
        "SIGNUP_RATE_LIMIT": "7 per hour",
        "CELERY_BROKER_URL": "redis://x",
        "CELERY_RESULT_BACKEND": "redis://y",
        "SPARK_MASTER": "local[2]",
        "SESSION_COOKIE_SECURE": True,
    }.get(name, 77)
    env = value if isinstance(value, str) else str(value).lower()
    monkeypatch.setenv(f"BASKET_SEGMENTS_{name}", env)
    config = {k: v for k, v in make_config(tmp_path).items() if k != settings.key(name)}
    app = create_app(config)
    expected = value if name != "MAX_CONTENT_LENGTH" else 77
    assert app.config[settings.key(name)] == expected


# --- routes ----------------------------------------------------------------------------


def test_a_hosts_route_under_the_prefix_keeps_the_hosts_behaviour(tmp_path):
    host = bare_host(tmp_path)
    client = host.test_client()
    own = client.get("/analytics/x")
    assert own.status_code == 200 and own.get_data(as_text=True) == "The host's own x"
    assert "Content-Security-Policy" not in own.headers
    assert "_csrf_token" not in own.headers.get("Set-Cookie", "")
    assert client.get("/analytics/").location.startswith("/sign-in?next=")
    assert client.get("/analytics/rules").location.startswith("/sign-in?next=")
    assert client.get("/analytics/_dash-layout").status_code == 401
    assert client.get("/analytics/assets/dashboard.css").status_code == 302
    assert client.post("/analytics/no-such-route").status_code == 401


def test_a_hosts_route_under_the_prefix_keeps_the_hosts_body_limits(tmp_path):
    host = bare_host(tmp_path)
    host.add_url_rule("/analytics/form", "hosts_form", lambda: "taken", methods=["POST"])
    client = host.test_client()
    assert client.post("/analytics/form", data={"a": "b"}).status_code == 200
    assert client.post("/analytics/_dash-update-component", data={"a": "b"}).status_code == 415


def test_a_second_mount_on_one_app_is_refused_in_words(tmp_path):
    host = bare_host(tmp_path)
    with pytest.raises(RuntimeError, match="already mounted on this Flask app at /analytics/"):
        init_dashboard(host, url_base_pathname="/reports/")
