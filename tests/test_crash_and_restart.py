"""A real gunicorn server stopped, restarted, and its worker killed mid-work.

Nothing a user stored may be lost or damaged: every dataset and result is
found after a restart, and a worker killed in the middle of an upload or an
analysis leaves the earlier data intact and readable, and the next request
works. Each test starts gunicorn (``bench/dash_client.py``), a few seconds each.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from pathlib import Path

import psutil

from basket_segments import ids
from basket_segments.analytics.sample import generate_sample
from bench.dash_client import DashUser, LiveServer
from tests.conftest import database_url


def sample_csv(customers: int, seed: int = 1) -> bytes:
    return generate_sample(customers, seed=seed, dated=False).to_csv(index=False).encode()


def server_on(tmp_path: Path, database: str) -> LiveServer:
    return LiveServer(tmp_path / "instance", env={"BASKET_SEGMENTS_DATABASE_URL": database})


def what_ana_sees(ana: DashUser, dataset: int) -> dict:
    """Everything shown of one dataset: the list, details, segments, rules and products."""
    listed = ana.list_datasets()
    ana.open_dataset(dataset)
    segments = ana.segment(k=3)
    rules = ana.mine_rules(MIN_SUPPORT=0.05)
    return {
        "datasets": listed,
        "segments stored": segments.stored,
        "profiles": segments.profiles,
        "rules stored": rules.stored,
        "rules": rules.table,
        "membership": ana.download_segments(),
    }


def test_a_restarted_server_finds_every_dataset_and_result(tmp_path):
    database = database_url(tmp_path)
    with server_on(tmp_path, database) as server:
        ana = DashUser(server.url, "ana", poll_interval=0.1)
        ana.signup()
        first = ana.upload("first.csv", sample_csv(300, seed=1)).get(ids.ACTIVE_DATASET, "data")
        second = ana.upload("second.csv", sample_csv(200, seed=2)).get(ids.ACTIVE_DATASET, "data")
        before = what_ana_sees(ana, first)

    with server_on(tmp_path, database) as restarted:
        ana = DashUser(restarted.url, "ana", poll_interval=0.1)
        ana.login()
        after = what_ana_sees(ana, first)

    assert before["datasets"] == after["datasets"] == [first, second]
    assert not before["segments stored"] and after["segments stored"]
    assert not before["rules stored"] and after["rules stored"]
    for shown in ("profiles", "rules", "membership"):
        assert after[shown] == before[shown], shown
    assert sum(row["size"] for row in after["profiles"]) == 300
    assert len(after["rules"]) > 0 and after["membership"].count("\n") == 301


def kill_when_busy(worker: int, cpu_seconds: float = 1.0, timeout: float = 60) -> bool:
    """SIGKILL ``worker`` once it has spent ``cpu_seconds`` more CPU: it is mid-work."""
    process = psutil.Process(worker)
    start = sum(process.cpu_times()[:2])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(process.cpu_times()[:2]) - start >= cpu_seconds:
            os.kill(worker, signal.SIGKILL)
            return True
        time.sleep(0.02)
    return False


def in_background(work) -> threading.Thread:
    """Run ``work`` in a thread whose failure (the connection dies with the worker) is expected."""

    def run():
        with contextlib.suppress(Exception):  # the connection dies with the worker
            work()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_worker_killed_mid_upload_or_mid_analysis_loses_nothing(tmp_path):
    with server_on(tmp_path, database_url(tmp_path)) as server:
        ana = DashUser(server.url, "ana", poll_interval=0.1, timeout=60)
        ana.signup()
        kept = ana.upload("kept.csv", sample_csv(300)).get(ids.ACTIVE_DATASET, "data")
        larger = ana.upload("larger.csv", sample_csv(3000)).get(ids.ACTIVE_DATASET, "data")
        before = what_ana_sees(ana, kept)
        unchanged = {**before, "segments stored": True, "rules stored": True}
        # A second tab whose work dies with the worker; its polls give up after 10 s.
        other = DashUser(server.url, "ana", poll_interval=0.1, timeout=60, job_timeout=10)
        other.login()

        (worker,) = server.worker_pids()
        # 33 MB, half a CPU second into it: well before it is stored (pyarrow reads it fast).
        big = sample_csv(150_000, seed=3)
        upload = in_background(lambda: other.upload("big.csv", big))
        assert kill_when_busy(worker, cpu_seconds=0.5), "the upload never kept the worker busy"
        upload.join(60)
        wait_for_a_new_worker(server, worker)
        assert what_ana_sees(ana, kept) == unchanged

        (worker,) = server.worker_pids()
        other.list_datasets()  # the Open buttons the user clicks
        other.open_dataset(larger)
        mining = in_background(lambda: other.mine_rules(MIN_SUPPORT=0.005, MIN_CONFIDENCE=0.05))
        assert kill_when_busy(worker), "the mining never kept the worker busy"
        mining.join(60)
        wait_for_a_new_worker(server, worker)
        assert what_ana_sees(ana, kept) == unchanged

        # The next request works: the analysis that was killed runs again, to the end.
        ana.open_dataset(larger)
        again = ana.mine_rules(MIN_SUPPORT=0.005, MIN_CONFIDENCE=0.05)
        assert not again.stored and len(again.table) > 0
        assert ana.list_datasets() == [kept, larger]


def wait_for_a_new_worker(server: LiveServer, killed: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = server.worker_pids()
        if workers and killed not in workers:
            return
        time.sleep(0.1)
    raise AssertionError(f"gunicorn started no new worker:\n{server.log()}")
