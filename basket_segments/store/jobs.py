"""Background work: Dash background callbacks with progress, cancel, and a manager per deployment.

The embedded default keeps Dash's ``DiskcacheManager`` store (results, progress
and cancel flags in a diskcache folder under the instance path) but runs each
job in a thread of the web process instead of a forked child. Forking a
threaded web server copies locks other threads hold at that instant: a forked
job froze inside ``sqlite3.connect`` that way. A thread cannot be killed, so
cancel is cooperative: every progress report checks the job's cancel flag and
stops the job there, before anything is stored. Because flags and results are
on disk, any worker process of a multi-worker server can poll or cancel a job
another started, and a job whose process died is seen as finished.

Where job processes serve the instance folder (``serve_jobs``: ``python -m
basket_segments`` starts one per server worker), the web processes queue their
jobs in the same store instead, and a job process runs them: its threads never
hold the interpreter lock a web process's request threads need (under
``bench.load``, clicks waited on job threads of their own process). Without a
live job process (an embedding host, a test) a web process runs its jobs in its
own threads, as before.

``BASKET_SEGMENTS_BACKGROUND_MANAGER = "celery"`` selects Dash's ``CeleryManager`` with
``CELERY_BROKER_URL`` for deployments with separate worker machines.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import diskcache
import psutil
from dash import DiskcacheManager
from flask import Flask, current_app

from basket_segments.settings import setting
from basket_segments.store import places, storage
from basket_segments.store.owner import request_owner

#: Seconds a finished or abandoned job's flags and results stay on disk.
JOB_TTL = 6 * 3600
#: Seconds a finished job still counts as running, longer than Dash's poll interval.
RESULT_GRACE = 10
#: How much lower a job thread's CPU priority is than a request thread's (Linux nice),
#: unless the app's ``JOB_NICENESS`` says otherwise. Under ``bench.load`` clicks' p95 is
#: 233 ms at +10 and 454 ms at 0; with four spinning processes meanwhile the jobs at +10
#: still take at most 0.4x the command line's time (bench/README.md, "Fair share").
JOB_NICENESS = 10
#: What the progress bar says while a job waits for the jobs before it.
WAITING = "Waiting for other analyses on this server to finish"

#: Where ``create_app`` keeps the Celery app, for ``worker.py``.
CELERY_EXTENSION = "basket_segments_celery"
#: Where ``make_manager`` keeps the manager, for ``serve_jobs``.
MANAGER_EXTENSION = "basket_segments_jobs"
#: The store's key for a live job process's pid, renewed every ``RENEW_SECONDS``; it
#: expires after ``JOB_PROCESS_TTL`` seconds, and then web processes run jobs themselves.
JOB_PROCESS_KEY = "job-process"
JOB_PROCESS_TTL = 5
RENEW_SECONDS = 1.0
#: The store's queue of jobs for the job processes, and how many they took so far.
QUEUE = "job-queue"
TAKEN_KEY = "job-process-jobs"
#: Seconds an idle job process waits before it looks at the queue again.
QUEUE_POLL_SECONDS = 0.02

Progress = Callable[[float, str], None]

_CURRENT_JOB: ContextVar[tuple[diskcache.Cache, str] | None] = ContextVar(
    "basket_segments_job", default=None
)
#: What the running job does once its result is stored (``after_the_result``).
_AFTER_RESULT: ContextVar[list[Callable[[], None]] | None] = ContextVar(
    "basket_segments_after_result", default=None
)


class Cancelled(Exception):
    """The user pressed Cancel; the job stops at its next progress report."""


def owner_mark(owner: str | None) -> str:
    """A short mark of the user a job belongs to, for its result key (not the id itself:
    keys travel to the browser and into access logs).

    >>> owner_mark("7") == owner_mark("7") != owner_mark("8"), owner_mark(None)
    (True, 'nobody')
    """
    if owner is None:
        return "nobody"
    return hashlib.sha256(f"basket-segments-job:{owner}".encode()).hexdigest()[:16]


class _OwnedJobs:
    """Result keys and jobs bound to the user who started them.

    Dash keys a job's result by its arguments, so two users (or tabs) sending
    the same arguments would share one result slot: a fresh id per request
    keeps them apart. The key starts with its owner's mark, and a poll by
    anyone else finds no progress, no result and nothing to take: another
    user who learns the handles (they are in query strings) gets nothing, and
    the owner's own poll still collects the result.
    """

    def build_cache_key(self, fn, args, cache_args_to_ignore, triggered) -> str:
        by_arguments = super().build_cache_key(fn, args, cache_args_to_ignore, triggered)
        return f"{owner_mark(request_owner())}-{by_arguments}-{uuid.uuid4().hex}"

    def result_ready(self, key) -> bool:
        return _asked_by_owner(key) and super().result_ready(key)

    def get_result(self, key, job):
        return super().get_result(key, job) if _asked_by_owner(key) else self.UNDEFINED

    def get_progress(self, key):
        return super().get_progress(key) if _asked_by_owner(key) else None

    def get_updated_props(self, key):
        return super().get_updated_props(key) if _asked_by_owner(key) else {}


def _asked_by_owner(key: str | None) -> bool:
    """Whether the user of this request started the job whose result ``key`` names."""
    return bool(key) and key.startswith(owner_mark(request_owner()) + "-")


class ThreadJobManager(_OwnedJobs, DiskcacheManager):
    """Dash's diskcache store with jobs in threads of the web process and cooperative cancel."""

    def __init__(self, folder: Path, slots: int = 1, niceness: int = JOB_NICENESS) -> None:
        super().__init__(diskcache.Cache(str(folder)))
        # Jobs share the web process's interpreter lock with its request threads; one
        # job at a time (a queue for the rest) keeps clicks answering under load.
        self._slots = threading.BoundedSemaphore(slots)
        self._niceness = niceness

    def call_job_fn(self, key, job_fn, args, context) -> str:
        """Queue the job for a job process if one lives, else run it in a thread here."""
        job = uuid.uuid4().hex
        self.handle.set(_owner_key(job), owner_mark(request_owner()), expire=JOB_TTL)
        process = self.job_process()
        if process is not None:
            self.handle.set(_running_key(job), process, expire=JOB_TTL)
            if self._queued(job, key, job_fn, args, context):
                return job
        self.handle.set(_running_key(job), os.getpid(), expire=JOB_TTL)
        self._start(current_app._get_current_object(), job, key, job_fn, args, context)
        return job

    def job_process(self) -> int | None:
        """The pid of a live job process serving this store, if any."""
        pid = self.handle.get(JOB_PROCESS_KEY)
        return pid if isinstance(pid, int) and psutil.pid_exists(pid) else None

    def _queued(self, job: str, key: str, job_fn, args, context) -> bool:
        """Put the job in the job processes' queue, by its callback's registry key; False
        when it cannot go there (a callback registered here only, arguments that do not
        pickle), and it runs here instead."""
        name = next((name for name, fn in self.func_registry.items() if fn is job_fn), None)
        if name is None:
            return False
        try:
            self.handle.push((job, key, name, args, dict(context)), prefix=QUEUE, expire=JOB_TTL)
        except (TypeError, AttributeError, ValueError, RecursionError):  # pickling
            return False
        return True

    def _start(self, app: Flask, job: str, key: str, job_fn, args, context) -> None:
        threading.Thread(
            target=self._run,
            args=(app, job, key, job_fn, args, context),
            name=f"job-{job[:8]}",
            daemon=True,
        ).start()

    def take_queued(self, app: Flask) -> bool:
        """In a job process: start the next queued job in a thread; False if none waits."""
        _, item = self.handle.pull(prefix=QUEUE)
        if item is None:
            return False
        job, key, name, args, context = item
        self.handle.set(_running_key(job), os.getpid(), expire=JOB_TTL)
        self.handle.incr(TAKEN_KEY)
        job_fn = self.func_registry.get(name)
        if job_fn is None:  # another version of the dashboard queued it
            error = {"msg": "The server was updated meanwhile; ask again.", "tb": ""}
            self.handle.set(key, {"background_callback_error": error}, expire=JOB_TTL)
            self.handle.touch(_running_key(job), expire=RESULT_GRACE)
            return True
        self._start(app, job, key, job_fn, args, context)
        return True

    def announce(self) -> None:
        """In a job process: say it lives (its pid, renewed before it expires)."""
        self.handle.set(JOB_PROCESS_KEY, os.getpid(), expire=JOB_PROCESS_TTL)

    def _run(self, app: Flask, job: str, key: str, job_fn, args, context) -> None:
        yield_cpu_to_requests(self._niceness)
        token, pending = _CURRENT_JOB.set((self.handle, job)), []
        after = _AFTER_RESULT.set(pending)
        try:
            if self._wait_for_slot(job, key):
                try:
                    with app.app_context():
                        job_fn(key, self._make_progress_key(key), args, context)
                        _run_after_result(app, pending)
                finally:
                    self._slots.release()
        finally:
            _AFTER_RESULT.reset(after)
            _CURRENT_JOB.reset(token)
            if self.handle.get(_cancel_key(job)):
                stale = (key, self._make_progress_key(key), self._make_set_props_key(key))
                for entry in (*stale, _running_key(job)):
                    self.handle.delete(entry)
            else:
                # Dash polls "result?" then "still running?"; keep the flag a moment so
                # a result written between those two questions is still collected.
                self.handle.touch(_running_key(job), expire=RESULT_GRACE)

    def _wait_for_slot(self, job: str, key: str) -> bool:
        """Wait while this process runs its share of jobs; False if cancelled meanwhile."""
        if self._slots.acquire(blocking=False):
            return True
        self.handle.set(self._make_progress_key(key), (0, WAITING), expire=JOB_TTL)
        while not self._slots.acquire(timeout=0.25):
            if self.handle.get(_cancel_key(job)):
                return False
        return True

    def job_running(self, job) -> bool:
        pid = self.handle.get(_running_key(job)) if job else None
        return pid is not None and psutil.pid_exists(pid)

    def terminate_job(self, job) -> None:
        """Cancel ``job`` if the user of this request started it."""
        if job and self.handle.get(_owner_key(job)) == owner_mark(request_owner()):
            self.handle.set(_cancel_key(job), True, expire=JOB_TTL)

    def terminate_unhealthy_job(self, job) -> bool:
        pid = self.handle.get(_running_key(job)) if job else None
        if pid is not None and not psutil.pid_exists(pid):
            self.handle.delete(_running_key(job))
            return True
        return False


def yield_cpu_to_requests(niceness: int) -> None:
    """Lower the calling thread's CPU priority by ``niceness`` (0: leave it), so clicks
    answer first while jobs compute; a mining worker process the job starts inherits it.

    Linux gives each thread its own niceness: with more work than cores, the
    scheduler runs the request threads of every worker before the job threads, and
    before the jobs, every other process on the machine. Elsewhere this does nothing.
    """
    if niceness <= 0:
        return
    with contextlib.suppress(OSError, AttributeError):
        own = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), own + niceness)


def _running_key(job: str) -> str:
    return f"job-{job}-running"


def _cancel_key(job: str) -> str:
    return f"job-{job}-cancelled"


def _owner_key(job: str) -> str:
    return f"job-{job}-owner"


def after_the_result(work: Callable[[], None]) -> None:
    """Run ``work`` once the running job's result is stored, in the job's thread, slot
    and app context: the page shows the result meanwhile. For what only a later click
    needs. Where no job of this manager runs (a Celery worker, a direct call) it runs now."""
    pending = _AFTER_RESULT.get()
    if pending is None:
        work()
    else:
        pending.append(work)


def _run_after_result(app: Flask, pending: list[Callable[[], None]]) -> None:
    """The work a job left for after its result; one that fails is logged, not raised (the
    result is out already)."""
    for work in pending:
        try:
            work()
        except Exception:  # the answer is given: say what failed and go on
            app.logger.exception("work after a job's result failed")


def check_cancelled() -> None:
    """Stop the current background job if its user pressed Cancel."""
    current = _CURRENT_JOB.get()
    if current is not None:
        cache, job = current
        if cache.get(_cancel_key(job)):
            raise Cancelled


def reporter(set_progress: Callable[[Any], None]) -> Progress:
    """A ``progress(fraction, text)`` for analytics code that updates the bar and honours Cancel."""

    def report(fraction: float, text: str) -> None:
        check_cancelled()
        set_progress((round(100 * min(max(fraction, 0.0), 1.0)), text))

    return report


def make_manager(server: Flask):
    """The background callback manager the configuration asks for."""
    kind = setting(server.config, "BACKGROUND_MANAGER")
    if kind == "celery":
        return _celery_manager(server)
    if kind != "threads":
        raise ValueError(
            f"BASKET_SEGMENTS_BACKGROUND_MANAGER must be 'threads' or 'celery', not {kind!r}."
        )
    folder = places.jobs_folder(server)
    # Results hold users' data: the folder and diskcache's database are the server's only.
    storage.private_file(storage.private_folder(folder) / diskcache.core.DBNAME)
    slots = int(setting(server.config, "JOBS_PER_WORKER"))
    manager = ThreadJobManager(folder, slots, int(setting(server.config, "JOB_NICENESS")))
    server.extensions[MANAGER_EXTENSION] = manager
    return manager


def serve_jobs(server: Flask, stop: threading.Event, parent: int | None = None) -> int:
    """Be a job process for ``server``'s dashboard until ``stop`` is set or the process
    ``parent`` that started this one ends (its children go to another parent then, even
    before it is reaped): run the jobs its web processes queue, ``JOBS_PER_WORKER`` at a
    time. Returns how many it took. With the Celery manager there is nothing to do."""
    manager = server.extensions.get(MANAGER_EXTENSION)
    if not isinstance(manager, ThreadJobManager):
        return 0
    taken, renewed = 0, 0.0
    while not stop.is_set():
        if time.monotonic() - renewed >= RENEW_SECONDS:
            if parent is not None and os.getppid() != parent:
                break
            manager.announce()
            renewed = time.monotonic()
        if manager.take_queued(server):
            taken += 1
        else:
            stop.wait(QUEUE_POLL_SECONDS)
    if manager.handle.get(JOB_PROCESS_KEY) == os.getpid():
        manager.handle.delete(JOB_PROCESS_KEY)
    return taken


def _celery_manager(server: Flask):
    try:
        from celery import Celery, Task
        from dash import CeleryManager
    except ImportError as error:
        raise RuntimeError(
            "BASKET_SEGMENTS_BACKGROUND_MANAGER=celery needs Celery: "
            "pip install -r requirements-celery.txt"
        ) from error
    broker = setting(server.config, "CELERY_BROKER_URL")
    if not broker:
        raise RuntimeError(
            "BASKET_SEGMENTS_BACKGROUND_MANAGER=celery needs BASKET_SEGMENTS_CELERY_BROKER_URL "
            "(redis://...)."
        )

    class FlaskTask(Task):
        """Runs each job inside the app context, where storage finds its database."""

        def __call__(self, *args, **kwargs):
            with server.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(
        server.import_name,
        broker=broker,
        backend=setting(server.config, "CELERY_RESULT_BACKEND") or broker,
        task_cls=FlaskTask,
    )
    server.extensions[CELERY_EXTENSION] = celery_app

    class CeleryJobManager(_OwnedJobs, CeleryManager):
        """Dash's Celery manager, with a result slot per request bound to its user."""

    return CeleryJobManager(celery_app, expire=JOB_TTL)
