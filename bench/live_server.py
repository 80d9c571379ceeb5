"""``gunicorn basket_segments.web.wsgi:app`` in a subprocess, for load runs and tests with real
worker processes.

``LiveServer`` starts gunicorn on a free port of 127.0.0.1 with a given
instance folder and environment, waits until every worker answers, and stops
the master and every worker again, also when starting fails. ``DashUser``
(``bench/dash_client.py``) drives it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import diskcache
import psutil
import requests

from basket_segments.store.jobs import JOB_PROCESS_KEY

REPO = Path(__file__).resolve().parents[1]
#: Database addresses a server does not inherit: a fresh instance folder gets its own
#: database. Inherited, a test run on PostgreSQL gave every benchmark server one shared
#: schema, where the second run's sign-up of the same user was refused.
INHERITED_DATABASES = ("BASKET_SEGMENTS_DATABASE_URL", "DATABASE_URL")
#: The module a job process runs (``python -m``), which tells it from the workers.
JOB_PROCESS_MODULE = "basket_segments.web.job_process"


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveServer:
    """``gunicorn basket_segments.web.wsgi:app`` on 127.0.0.1 with ``workers`` processes, as a
    context manager.

    Parameters
    ----------
    instance_path : the instance folder (database, data, jobs, secret key) for
        ``BASKET_SEGMENTS_INSTANCE_PATH``; several servers on one folder share everything.
    workers, threads : gunicorn processes, and request threads in each.
    env : extra environment, e.g. ``{"BASKET_SEGMENTS_DATABASE_URL": ...}`` (the database
        is the instance folder's own unless named here: none is inherited);
        a value of None removes that variable from the inherited environment.
    port : default a free one; kept by ``stop()`` so ``start()`` restarts on the same URL.
    log_path : gunicorn's output, default ``gunicorn-<port>.log`` in the instance folder.
    extra_args : more gunicorn options, e.g. ``["--access-logfile=-"]``.
    address_space : bytes of address space each of its processes may take (``ulimit -v``).
    job_processes : start a job process per worker beside them, as ``python -m
        basket_segments`` does (``web/job_process.py``); else the workers run jobs in threads.
    """

    def __init__(
        self,
        instance_path: str | Path,
        workers: int = 1,
        *,
        threads: int = 4,
        env: Mapping[str, str | None] | None = None,
        port: int | None = None,
        timeout: int = 120,
        startup_timeout: float = 90.0,
        log_path: str | Path | None = None,
        extra_args: Iterable[str] = (),
        address_space: int | None = None,
        job_processes: bool = False,
    ) -> None:
        self.instance_path = Path(instance_path).resolve()
        self.workers, self.threads, self.timeout = workers, threads, timeout
        self.env = dict(env or {})
        self.port = port or free_port()
        self.startup_timeout = startup_timeout
        default_log = self.instance_path / f"gunicorn-{self.port}.log"
        self.log_path = Path(log_path) if log_path else default_log
        self.extra_args = list(extra_args)
        self.address_space = address_space
        self.job_processes = job_processes
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def master_pid(self) -> int | None:
        return self.process.pid if self.process else None

    def command(self) -> list[str]:
        # gthread: each worker answers several requests at once (polls of a job while
        # another request computes), and its heartbeat comes from the main loop, not
        # the request, so ``timeout`` only bounds a stuck worker. Background jobs run
        # in their own threads of the worker (the default background manager, threads),
        # outside any request; a sync worker would queue every poll behind the request in hand.
        # No control socket: its default path is per user, so two servers would clash.
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "basket_segments.web.wsgi:app",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={self.workers}",
            "--worker-class=gthread",
            f"--threads={self.threads}",
            f"--timeout={self.timeout}",
            "--graceful-timeout=10",
            "--no-control-socket",
            "--log-level=warning",
            *([f"--config=python:{JOB_PROCESS_MODULE}"] if self.job_processes else []),
            *self.extra_args,
        ]

    def start(self) -> LiveServer:
        """Start gunicorn and wait until ``/login`` answers and every worker is up."""
        if self.process and self.process.poll() is None:
            raise RuntimeError("The server is already running.")
        self.instance_path.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "BASKET_SEGMENTS_INSTANCE_PATH": str(self.instance_path),
            "PYTHONUNBUFFERED": "1",
        }
        for name in INHERITED_DATABASES:  # its instance's own database unless ``env`` names one
            env.pop(name, None)
        env.update(self.env)
        env = {name: value for name, value in env.items() if value is not None}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=self._limit_address_space if self.address_space else None,
            )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _limit_address_space(self) -> None:
        """``ulimit -v``: the server's processes get ``address_space`` bytes at most."""
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (self.address_space, self.address_space))

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
            try:
                answered = requests.get(f"{self.url}/login", timeout=5).status_code == 200
            except requests.RequestException:  # not listening yet, or no worker booted yet
                answered = False
            if answered and len(self.worker_pids()) >= self.workers and self._jobs_served():
                return
            time.sleep(0.2)
        seconds = self.startup_timeout
        raise TimeoutError(f"gunicorn did not answer within {seconds} s:\n{self.log()}")

    def _jobs_served(self) -> bool:
        """Whether a job process serves the instance's jobs, where it should have one
        (before that, the workers run jobs themselves)."""
        if not self.job_processes:
            return True
        folder = self.env.get("BASKET_SEGMENTS_JOBS_FOLDER") or self.instance_path / "jobs"
        with diskcache.Cache(str(folder)) as store:
            return store.get(JOB_PROCESS_KEY) in self.job_process_pids()

    def worker_pids(self) -> list[int]:
        """Process ids of gunicorn's workers (the master's children), sorted."""
        if not self.process or self.process.poll() is not None:
            return []
        try:
            return sorted(child.pid for child in psutil.Process(self.process.pid).children())
        except psutil.NoSuchProcess:
            return []

    def job_process_pids(self) -> list[int]:
        """Process ids of the workers' job processes (their children), sorted."""
        found = []
        for pid in self.worker_pids():
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                for child in psutil.Process(pid).children():
                    if JOB_PROCESS_MODULE in child.cmdline():
                        found.append(child.pid)
        return sorted(found)

    def stop(self, grace: float = 15.0) -> None:
        """Stop gracefully (SIGTERM), then kill the master and any worker left."""
        if not self.process:
            return
        try:
            left = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            left = []
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        for child in left:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        psutil.wait_procs(left, timeout=5)

    def log(self, last: int = 4000) -> str:
        """The end of gunicorn's output, for error messages."""
        try:
            return self.log_path.read_text(errors="replace")[-last:]
        except FileNotFoundError:
            return ""

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()
