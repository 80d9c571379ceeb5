"""BACKGROUND_MANAGER=celery: a real Redis and a real ``celery -A worker worker`` run a job."""

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from basket_segments.app import create_app
from tests.conftest import PASSWORD, REPO, make_config
from tests.test_jobs import k_scores_stored, run_suggest_k_job

pytestmark = pytest.mark.skipif(
    not shutil.which("redis-server") and not os.environ.get("CI"),
    reason="redis-server is not installed (apt-get install redis-server)",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def broker():
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    yield url
    server.terminate()
    server.wait(10)


@pytest.fixture
def celery_config(tmp_path, broker):
    return make_config(tmp_path, BACKGROUND_MANAGER="celery", CELERY_BROKER_URL=broker)


@pytest.fixture
def worker(celery_config):
    """``celery -A worker worker`` configured through the environment, like a deployment."""
    env = {
        **os.environ,
        "INSTANCE_PATH": celery_config["INSTANCE_PATH"],
        "DATABASE_URL": celery_config["DATABASE_URL"],
        "FLASK_DATA_FOLDER": celery_config["DATA_FOLDER"],
        "FLASK_SECRET_KEY": celery_config["SECRET_KEY"],
        "FLASK_BACKGROUND_MANAGER": "celery",
        "FLASK_CELERY_BROKER_URL": celery_config["CELERY_BROKER_URL"],
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "basket_segments.worker",
            "worker",
            "--pool=solo",
            "-l",
            "warning",
        ],
        cwd=REPO,
        env=env,
    )
    yield process
    process.terminate()
    process.wait(20)


def test_a_celery_worker_runs_suggest_k_for_the_user(celery_config, worker):
    app = create_app(celery_config)
    client = app.test_client()
    client.post("/signup", data={"username": "ana", "password": PASSWORD, "confirm": PASSWORD})
    _started, answer, _progress = run_suggest_k_job(app, client, timeout=120)
    assert worker.poll() is None, "the worker died"
    assert k_scores_stored(app, answer["response"])
