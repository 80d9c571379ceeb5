"""Job processes (``web/job_process.py``): beside gunicorn's workers, they run the jobs the
workers queue, build the app gunicorn serves, and end with the server."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import diskcache
import flask
import psutil
import pytest

from basket_segments.analytics.sample import generate_sample
from basket_segments.store import jobs
from basket_segments.web import job_process
from bench.dash_client import DashUser
from bench.live_server import LiveServer
from tests.conftest import REPO, database_url


def serving_pid(folder: Path, timeout: float = 60) -> int | None:
    """The pid a job process announced in the job store of ``folder``, once one did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (folder / diskcache.core.DBNAME).exists():
            with diskcache.Cache(str(folder)) as store:
                pid = store.get(jobs.JOB_PROCESS_KEY)
            if pid is not None:
                return pid
        time.sleep(0.2)
    return None


def holds_scikit_learn(pid: int) -> bool:
    """Whether process ``pid`` has loaded one of scikit-learn's compiled modules."""
    return any("/sklearn/" in region.path for region in psutil.Process(pid).memory_maps())


def test_a_gunicorn_started_by_hand_runs_its_jobs_in_a_job_process_per_worker(tmp_path):
    instance = tmp_path / "instance"
    env = {"BASKET_SEGMENTS_DATABASE_URL": database_url(tmp_path)}
    table = generate_sample(120, seed=3, dated=False)
    with LiveServer(instance, 2, env=env, job_processes=True) as server:
        started = server.job_process_pids()
        assert len(started) == 2  # one per worker, each the worker's child
        user = DashUser(server.url, "ana")
        user.signup()
        user.load_page("")
        user.upload("shop.csv", table.to_csv(index=False).encode())
        run = user.segment(k=3)
        assert sum(row["size"] for row in run.profiles) == table["CustomerID"].nunique()
        with diskcache.Cache(str(instance / "jobs")) as store:
            assert store.get(jobs.TAKEN_KEY) == 2  # the upload and the segmentation
        # The workers never segment: scikit-learn's libraries are in the job processes only.
        assert [holds_scikit_learn(pid) for pid in started] == [True, True]
        assert [holds_scikit_learn(pid) for pid in server.worker_pids()] == [False, False]
        processes = [psutil.Process(pid) for pid in started]
    assert psutil.wait_procs(processes, timeout=15)[1] == []  # they ended with the server


def test_a_killed_job_process_is_followed_by_another(tmp_path):
    """Killed (out of memory, say), a worker's job process is started again: the jobs go
    back to a process of their own within seconds."""
    instance = tmp_path / "instance"
    env = {"BASKET_SEGMENTS_DATABASE_URL": database_url(tmp_path)}
    with LiveServer(instance, 1, env=env, job_processes=True) as server:
        (first,) = server.job_process_pids()
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while server.job_process_pids() in ([], [first]):
            assert time.monotonic() < deadline, "no job process after the first was killed"
            time.sleep(0.2)
        (second,) = server.job_process_pids()
        while serving_pid(instance / "jobs") != second:  # it announces itself
            assert time.monotonic() < deadline, "the new job process never served"
            time.sleep(0.2)
        user = DashUser(server.url, "ana")
        user.signup()
        user.load_page("")
        user.upload(
            "shop.csv", generate_sample(60, seed=4, dated=False).to_csv(index=False).encode()
        )
        with diskcache.Cache(str(instance / "jobs")) as store:
            assert store.get(jobs.TAKEN_KEY) == 1  # the upload ran there
        assert "starting another" in server.log()


def test_a_job_process_builds_the_app_gunicorn_names_and_ends_on_sigterm(tmp_path):
    """A host's gunicorn names its app ("app:create_app()"); the job process builds that
    app, serves its job store, and leaves it when told to stop."""
    env = {
        **os.environ,
        "BASKET_SEGMENTS_INSTANCE_PATH": str(tmp_path / "instance"),
        "BASKET_SEGMENTS_DATABASE_URL": database_url(tmp_path),
    }
    command = [sys.executable, "-m", "basket_segments.web.job_process"]
    process = subprocess.Popen(
        [*command, "--app", "basket_segments.app:create_app()"], cwd=REPO, env=env
    )
    try:
        assert serving_pid(tmp_path / "instance" / "jobs") == process.pid
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    finally:
        process.kill()
    with diskcache.Cache(str(tmp_path / "instance" / "jobs")) as store:
        assert store.get(jobs.JOB_PROCESS_KEY) is None


@pytest.fixture
def own_stop_handlers():
    """The tests below install the job process's SIGTERM and SIGINT handlers here; pytest's
    own come back after."""
    previous = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    yield
    for number, handler in previous.items():
        signal.signal(number, handler)


def test_a_stop_signal_is_noted_without_a_lock_and_passed_on_by_the_main_thread(
    own_stop_handlers,
):
    """The handler only notes SIGTERM, even while the main thread holds the stop Event's
    lock (as it does entering and leaving ``stop.wait``, where a handler that set the Event
    waited for itself); the main thread then sets the Event and waits for the server."""
    stop = threading.Event()
    served = []
    serving = threading.Thread(target=lambda: served.append(stop.wait(30)))
    signals = job_process.note_stop_signals()
    lock = stop._cond._lock  # the lock a handler calling stop.set() would wait for
    lock.acquire()
    rescue = threading.Timer(10, lock.release)  # a waiting handler fails, not hangs
    rescue.start()
    signal.raise_signal(signal.SIGTERM)
    rescue.cancel()
    held_throughout = lock.locked()
    if held_throughout:
        lock.release()
    assert held_throughout and signals == [signal.SIGTERM] and not stop.is_set()
    serving.start()
    job_process.pass_stop_signals(signals, stop, serving)
    assert stop.is_set() and served == [True] and not serving.is_alive()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # printed
def test_a_job_process_whose_serving_fails_ends_with_status_1(monkeypatch, own_stop_handlers):
    """Serving runs in a thread; its failure still ends the process with status 1, so that
    the worker's ``Keeper`` starts another (status 0 means it ended by itself)."""

    def failing(app, stop, parent):
        raise RuntimeError("the job store is gone")

    monkeypatch.setattr(job_process, "load_app", lambda uri: flask.Flask("host"))
    monkeypatch.setattr(jobs, "serve_jobs", failing)
    assert job_process.main(["--app", "host:app"]) == 1
    monkeypatch.setattr(jobs, "serve_jobs", lambda app, stop, parent: 0)
    assert job_process.main(["--app", "host:app"]) == 0


def test_a_job_process_for_something_else_than_a_flask_app_says_so():
    run = subprocess.run(
        [sys.executable, "-m", "basket_segments.web.job_process", "--app", "json:dumps"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    assert "json:dumps is not a Flask app" in run.stderr
