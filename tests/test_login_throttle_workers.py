"""The login limit holds across gunicorn workers: they count in the app's own database
(the default, nothing else to run), or in one Redis.

Guesses sent at once, spread over three worker processes, are counted before
any password is checked; the count is shared, so no more than the limit are
checked in all. (Before the database storage, each worker counted in its own
memory: three workers let three times the limit through.)
"""

import importlib.util
import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from bench.dash_client import DashUser, hidden_inputs
from bench.live_server import LiveServer
from tests.conftest import database_url

needs_redis = pytest.mark.skipif(
    not (shutil.which("redis-server") and importlib.util.find_spec("redis"))
    and not os.environ.get("CI"),
    reason="needs redis-server and the redis package (requirements-celery.txt)",
)
GUESSES = 24


@needs_redis
def test_simultaneous_guesses_over_several_workers_meet_one_limit_in_redis(tmp_path, redis_url):
    guesses_meet_one_limit(tmp_path, {"BASKET_SEGMENTS_RATELIMIT_STORAGE_URI": redis_url})


def test_simultaneous_guesses_over_several_workers_meet_one_limit_in_the_database(tmp_path):
    guesses_meet_one_limit(tmp_path, {})


def guesses_meet_one_limit(tmp_path, storage: dict[str, str]) -> None:
    env = {
        "BASKET_SEGMENTS_DATABASE_URL": database_url(tmp_path),
        "BASKET_SEGMENTS_LOGIN_RATE_LIMIT": "3 per minute",
        **storage,
    }
    with LiveServer(tmp_path / "instance", workers=3, env=env) as server:
        DashUser(server.url, "ana").signup()
        start = threading.Barrier(GUESSES)

        def guess(number: int) -> int:
            with requests.Session() as browser:
                browser.headers["Connection"] = "close"  # spread over the workers
                form = hidden_inputs(browser.get(f"{server.url}/login", timeout=30).text)
                start.wait()
                data = {**form, "username": "ana", "password": f"guess {number}"}
                answer = browser.post(f"{server.url}/login", data=data, timeout=60)
                return answer.status_code

        with ThreadPoolExecutor(GUESSES) as pool:
            statuses = list(pool.map(guess, range(GUESSES)))
    assert sorted(statuses) == [401] * 3 + [429] * (GUESSES - 3)
