"""Work beside the caller's thread only where another CPU can run it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from basket_segments.analytics import machine


def _thread_of_each(workers: int) -> set[str]:
    with machine.side_threads(workers, "side") as pool:
        return set(pool.map(lambda _: threading.current_thread().name, range(4)))


def test_with_one_cpu_side_work_runs_in_the_callers_thread(monkeypatch):
    monkeypatch.setattr(machine, "usable_cpus", lambda: 1)
    assert isinstance(machine.side_threads(2), machine.InlineExecutor)
    assert _thread_of_each(2) == {threading.current_thread().name}


def test_with_two_cpus_side_work_runs_in_threads_of_its_own(monkeypatch):
    monkeypatch.setattr(machine, "usable_cpus", lambda: 2)
    assert isinstance(machine.side_threads(2), ThreadPoolExecutor)
    names = _thread_of_each(2)
    assert names and all(name.startswith("side") for name in names)


def test_inline_work_that_fails_fails_at_its_result():
    """As with a thread pool, the error is the caller's when it asks for the result."""
    future = machine.InlineExecutor().submit(int, "not a number")
    with pytest.raises(ValueError, match="not a number"):
        future.result()


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="Linux only")
@pytest.mark.parametrize("pinned", [True, False], ids=["one CPU", "as the machine is"])
def test_loading_imports_scikit_learn_beside_only_with_a_cpu_to_spare(pinned):
    """On one CPU the early import would only take turns with the file's cleaning."""
    started = str(not pinned and machine.usable_cpus() > 1)
    pin = "import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})\n"
    check = (
        "import sys, threading\n"
        "from basket_segments.analytics import segmentation as s\n"
        "from basket_segments.analytics.local import LocalEngine\n"
        "from basket_segments.analytics.stages import StageClock\n"
        "LocalEngine().load(sys.stdin.buffer.read(), StageClock(None))\n"
        "print(any(t.name == s.IMPORT_THREAD for t in threading.enumerate()))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", (pin if pinned else "") + check],
        input=b"CustomerID,Age,Product\n1,30,bread\n2,41,milk\n3,60,tea\n",
        capture_output=True,
        check=True,
    )
    assert run.stdout.decode().strip() == started
