"""Job processes: ``python -m basket_segments.web.job_process``, and the gunicorn hooks
that start them beside a server's workers and stop them with it.

A job process builds the same app as the web workers (``wsgi.py``: the same
configuration from the environment), so it knows the same background callbacks,
and runs the jobs they queue in the instance folder's job store
(``jobs.serve_jobs``). Its job threads then hold no web process's interpreter
lock: under ``bench.load`` a click waited on the job threads of its own worker.
Each gunicorn worker of ``python -m basket_segments`` starts a job process of its
own once its app is built, and another if it dies (``Keeper``); a gunicorn started
by hand gets them with
``--config python:basket_segments.web.job_process``, a host site's too (its job
processes build the app gunicorn serves, ``"app:create_app()"``).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from basket_segments.settings import JOBS_ELSEWHERE

#: The standalone dashboard's WSGI app, which ``python -m basket_segments`` serves.
STANDALONE = "basket_segments.web.wsgi:app"
#: The job process keepers of this process, by its pid (a gunicorn worker's hooks).
_KEEPERS: dict[int, Keeper] = {}
#: The exit status of a job process for something else than a Flask app.
NOT_AN_APP = 2
#: How often the main thread looks for a noted SIGTERM or SIGINT (``pass_stop_signals``).
SIGNAL_POLL_SECONDS = 0.1
#: The least time between two starts of a job process that keeps dying.
RESTART_PAUSE = 5.0


def main(argv: list[str] | None = None) -> int:
    """Serve jobs until SIGTERM or SIGINT, or until the process that started it ends; 1
    when serving failed (a ``Keeper`` starts another then)."""
    args = build_parser().parse_args(argv)
    signals = note_stop_signals()
    parent = os.getppid()
    from basket_segments.store.jobs import serve_jobs

    app = load_app(args.app)
    if not hasattr(app, "extensions"):
        print(
            f"job process: {args.app} is not a Flask app; its worker runs its jobs", file=sys.stderr
        )
        return NOT_AN_APP
    stop, failed = threading.Event(), []

    def serve() -> None:
        try:
            serve_jobs(app, stop, parent)
        except BaseException as error:  # the thread's hook prints it; the exit status says it
            failed.append(error)
            raise

    serving = threading.Thread(target=serve, name="job-server")
    serving.start()
    pass_stop_signals(signals, stop, serving)
    return 1 if failed else 0


def note_stop_signals() -> list[int]:
    """Note SIGTERM and SIGINT in the list returned, and do nothing else in the handler.

    A handler runs in the main thread between any two of its bytecodes. One that set a
    ``threading.Event`` could come while the main thread held that Event's own lock
    (entering or leaving ``stop.wait``, 50 times a second in the job loop): ``set`` then
    waited for a lock its own thread held, and the process never ended (a test saw it
    alive 30 s after SIGTERM, about once in a hundred runs). Appending to a list takes
    no lock."""
    signals: list[int] = []
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda number, _frame: signals.append(number))
    return signals


def pass_stop_signals(signals: list[int], stop: threading.Event, serving: threading.Thread) -> None:
    """In the main thread, outside any handler: set ``stop`` once ``signals`` holds one,
    and return when ``serving`` has ended."""
    while serving.is_alive():
        if signals:
            stop.set()
        serving.join(SIGNAL_POLL_SECONDS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m basket_segments.web.job_process",
        description="Run the dashboard's jobs that the web workers of this machine queue.",
    )
    parser.add_argument(
        "--app",
        default=STANDALONE,
        help="the WSGI app whose dashboard queues the jobs, as gunicorn names it "
        "('module:app' or 'module:factory()'; default: %(default)s)",
    )
    return parser


def load_app(uri: str) -> Any:
    """The app ``uri`` names, built as gunicorn builds it (the standalone one by default)."""
    if uri == STANDALONE:
        from basket_segments.web.wsgi import app

        return app
    from gunicorn.util import import_app

    return import_app(uri)


def start(count: int, app: str = STANDALONE) -> list[subprocess.Popen]:
    """``count`` job processes for ``app`` with this process's environment (but
    ``JOBS_ELSEWHERE``: they run the jobs), output and directory."""
    command = [sys.executable, "-m", "basket_segments.web.job_process", "--app", app]
    env = {name: value for name, value in os.environ.items() if name != JOBS_ELSEWHERE}
    return [subprocess.Popen(command, env=env) for _ in range(count)]


def leave_jobs_to_job_processes() -> None:
    """Tell the web app this process builds (and its forks) that job processes run its
    jobs, so it need not prepare to (``warm_up``: no scikit-learn)."""
    os.environ[JOBS_ELSEWHERE] = "1"


def on_starting(server: Any) -> None:
    """gunicorn's hook in its master before any worker is forked: the workers leave
    their jobs to job processes."""
    leave_jobs_to_job_processes()


def stop(processes: list[subprocess.Popen], timeout: float = 10) -> None:
    """End the job processes: a job still running is stopped with them."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Keeper:
    """One job process, started again when it dies (killed, out of memory, a crash) until
    ``stop``; one that ends by itself (nothing to serve: the Celery manager) or serves no
    Flask app is left ended. While none lives the web process runs its jobs in threads."""

    def __init__(self, app: str = STANDALONE) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.process = start(1, app)[0]
        threading.Thread(target=self._keep, name="job-process-keeper", daemon=True).start()

    def _keep(self) -> None:
        while True:
            started = time.monotonic()
            code = self.process.wait()
            if code in (0, NOT_AN_APP):
                return
            pause = RESTART_PAUSE - (time.monotonic() - started)
            if self._stopping.wait(max(pause, 0)):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                print(
                    f"job process {self.process.pid} ended ({code}); starting another",
                    file=sys.stderr,
                )
                self.process = start(1, self.app)[0]

    def stop(self) -> None:
        """End the job process and keep no other."""
        with self._lock:
            self._stopping.set()
            process = self.process
        stop([process])


def post_worker_init(worker: Any) -> None:
    """gunicorn's hook in each worker once its app is built: the worker's job process (it
    then builds its own app, the worker's start no longer waiting on it)."""
    _KEEPERS[os.getpid()] = Keeper(getattr(worker.app, "app_uri", None) or STANDALONE)


def worker_exit(server: Any, worker: Any) -> None:
    """gunicorn's hook in each worker as it ends: its job process ends too (one whose
    worker was killed ends by itself within a second)."""
    keeper = _KEEPERS.pop(os.getpid(), None)
    if keeper is not None:
        keeper.stop()


if __name__ == "__main__":
    sys.exit(main())
