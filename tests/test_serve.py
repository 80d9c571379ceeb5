"""``python -m basket_segments``: a production WSGI server with --host, --port, --workers."""

import subprocess
import sys
import time

import diskcache
import psutil
import pytest
import requests

from basket_segments.store import jobs
from basket_segments.web.serve import build_parser, choose_server
from bench.live_server import JOB_PROCESS_MODULE, free_port
from tests.conftest import REPO, database_url
from tests.test_job_process import holds_scikit_learn


def test_help_lists_the_options_and_starts_nothing():
    run = subprocess.run(
        [sys.executable, "-m", "basket_segments", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    for option in ("--host", "--port", "--workers", "--threads", "--debug"):
        assert option in run.stdout


def test_gunicorn_where_it_runs():
    assert choose_server("auto") == "gunicorn"  # POSIX, and gunicorn is in the requirements
    assert choose_server("waitress") == "waitress"
    assert build_parser().parse_args([]).host == "127.0.0.1"


@pytest.mark.parametrize(("server", "workers"), [("gunicorn", 2), ("waitress", 1)])
def test_the_command_serves_the_app_without_a_version_banner(tmp_path, server, workers):
    port = free_port()
    env = {
        "BASKET_SEGMENTS_INSTANCE_PATH": str(tmp_path / "instance"),
        "BASKET_SEGMENTS_DATABASE_URL": database_url(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    command = [sys.executable, "-m", "basket_segments", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--server", server, "--workers", str(workers)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        answer = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and answer is None:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/login", timeout=5)
            except requests.RequestException:  # not listening, or no worker answers yet
                time.sleep(0.3)
        assert answer is not None and answer.status_code == 200
        assert "Log in" in answer.text
        banner = answer.headers.get("Server", "")
        assert not any(ch.isdigit() for ch in banner), banner  # no version named
        assert "Werkzeug" not in banner  # not the development server
        served = job_processes_serving(process.pid, tmp_path / "instance" / "jobs")
        assert len(served) == workers  # one per gunicorn worker; one beside waitress
        # The web processes leave scikit-learn to the job processes (``warm_up``): once
        # these, started after them, have imported it, the web processes have not.
        web = [psutil.Process(process.pid), *psutil.Process(process.pid).children()]
        web = [each for each in web if each not in served]
        wait_until(lambda: all(holds_scikit_learn(each.pid) for each in served))
        assert [holds_scikit_learn(each.pid) for each in web] == [False] * len(web)
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert f"on http://127.0.0.1:{port}/ ({server}" in output
    assert psutil.wait_procs(served, timeout=10)[1] == []  # they end with the server


def wait_until(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "still not so after a minute"
        time.sleep(0.2)


def job_processes_serving(pid: int, folder, timeout: float = 60) -> list[psutil.Process]:
    """The job processes server ``pid`` started, once one of them serves the job store."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = psutil.Process(pid).children(recursive=True)  # a gunicorn worker's
        started = [c for c in children if JOB_PROCESS_MODULE in c.cmdline()]
        with diskcache.Cache(str(folder)) as store:
            serving = store.get(jobs.JOB_PROCESS_KEY)
        if serving in [process.pid for process in started]:
            return started
        time.sleep(0.3)
    raise AssertionError(f"no job process of server {pid} serves {folder}")


def test_no_job_processes_when_asked(tmp_path):
    assert build_parser().parse_args([]).job_processes
    assert not build_parser().parse_args(["--no-job-processes"]).job_processes
