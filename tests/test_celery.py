"""BACKGROUND_MANAGER=celery: a real Redis and a real ``celery -A worker worker`` run a job."""

import os
import shutil
import subprocess
import sys

import pytest

from basket_segments.app import create_app
from tests.conftest import PASSWORD, REPO, make_config
from tests.test_jobs import k_scores_stored, run_suggest_k_job

pytestmark = pytest.mark.skipif(
    not shutil.which("redis-server") and not os.environ.get("CI"),
    reason="redis-server is not installed (apt-get install redis-server)",
)


@pytest.fixture
def celery_config(tmp_path, redis_url):
    return make_config(
        tmp_path,
        BASKET_SEGMENTS_BACKGROUND_MANAGER="celery",
        BASKET_SEGMENTS_CELERY_BROKER_URL=redis_url,
    )


@pytest.fixture
def worker(celery_config):
    """``celery -A worker worker`` configured through the environment, like a deployment."""
    env = {
        **os.environ,
        "BASKET_SEGMENTS_INSTANCE_PATH": celery_config["BASKET_SEGMENTS_INSTANCE_PATH"],
        "BASKET_SEGMENTS_DATABASE_URL": celery_config["BASKET_SEGMENTS_DATABASE_URL"],
        "BASKET_SEGMENTS_DATA_FOLDER": celery_config["BASKET_SEGMENTS_DATA_FOLDER"],
        "BASKET_SEGMENTS_SECRET_KEY": celery_config["SECRET_KEY"],
        "BASKET_SEGMENTS_BACKGROUND_MANAGER": "celery",
        "BASKET_SEGMENTS_CELERY_BROKER_URL": celery_config["BASKET_SEGMENTS_CELERY_BROKER_URL"],
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "basket_segments.web.worker",
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
