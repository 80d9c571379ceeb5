"""Run one command as a child process and measure its wall time and peak memory.

Peak memory is the larger of two readings, because each misses something:
the sum of resident memory over the child's whole process tree, sampled
every 50 ms (our pipeline mines in worker processes, which the kernel's
per-process peak does not add up), and the kernel's exact peak of the child
itself from ``wait4`` (which a 50 ms sampler can miss). ``wait4`` on this
child's pid is used rather than RUSAGE_CHILDREN deltas, which report the
largest peak of any child so far, not of this one.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Run:
    """How one contender's process went; ``summary`` is its summary.json when it succeeded."""

    status: str
    wall: float
    peak: int
    summary: dict | None
    out: Path
    #: Share of the machine's CPU that other processes used meanwhile; a busy machine
    #: slows the run, so the report shows it rather than silently mixing it in.
    other_load: float = 0.0
    #: CPU seconds (user + system) of the child and its reaped workers: what the run
    #: cost, which a busy machine changes much less than the wall time.
    cpu: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def timed_out(self) -> bool:
        return self.status.startswith("TIMED OUT")


def measure(command: list[str], cwd: Path, out: Path, timeout: float) -> Run:
    """Run ``command`` in ``cwd`` with its output logged in ``out``; never raises on failure."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").unlink(missing_ok=True)
    with open(out / "stdout.log", "w") as stdout, open(out / "stderr.log", "w") as stderr:
        busy, start = busy_cpu_seconds(), time.perf_counter()
        # A session of its own, so a timeout can kill the child and its workers together.
        child = subprocess.Popen(
            command, cwd=cwd, stdout=stdout, stderr=stderr, start_new_session=True
        )
        code, peak, timed_out, usage = watch(child, timeout)
        wall, busy = time.perf_counter() - start, busy_cpu_seconds() - busy
    status = describe_exit(code, timed_out, timeout, out / "stderr.log")
    if status == "ok" and not (out / "summary.json").exists():
        status = "FAILED: exited normally but wrote no summary.json"
    summary = json.loads((out / "summary.json").read_text()) if status == "ok" else None
    others = max(0.0, busy - usage.ru_utime - usage.ru_stime) / (wall * (os.cpu_count() or 1))
    cpu = usage.ru_utime + usage.ru_stime
    return Run(status, wall, peak, summary, out, others, cpu)


def add_quiet_options(parser: argparse.ArgumentParser, below: float = 10.0) -> None:
    """``--quiet-wait`` and ``--quiet-below``: on a shared machine, wait for it to be idle."""
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=0.0,
        help="before each run, wait up to this many seconds for the machine to be idle",
    )
    parser.add_argument("--quiet-below", type=float, default=below, help="idle: CPU use under %%")


def wait_for_quiet(below: float, longest: float) -> float:
    """Wait (up to ``longest`` seconds) until the machine's CPU use over one second is
    below ``below`` percent; returns the seconds waited. On a shared machine another
    job (a test run, a browser) would otherwise slow whichever contender it overlaps."""
    start = time.perf_counter()
    while time.perf_counter() - start < longest:
        if psutil.cpu_percent(interval=1.0) < below:
            break
    return time.perf_counter() - start


class OtherCpu:
    """The share of all CPUs that other processes used while this one (and its reaped
    children, e.g. a server it started and stopped) ran: ``with OtherCpu() as cpu: ...``,
    then ``cpu.percent``."""

    def __enter__(self) -> OtherCpu:
        self._busy, self._own, self._start = (
            busy_cpu_seconds(),
            own_cpu_seconds(),
            time.perf_counter(),
        )
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter() - self._start
        others = busy_cpu_seconds() - self._busy - (own_cpu_seconds() - self._own)
        self.percent = 100 * max(0.0, others) / (max(wall, 1e-9) * (os.cpu_count() or 1))


def own_cpu_seconds() -> float:
    """CPU seconds of this process and of its children that have been waited for."""
    mine = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + reaped.ru_utime + reaped.ru_stime


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy (not idle or waiting on disk)."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def watch(child: subprocess.Popen, timeout: float) -> tuple[int, int, bool, resource.struct_rusage]:
    """Poll until ``child`` exits, killing its process group at the deadline.

    Returns the exit code, the peak memory in bytes, whether it timed out, and
    the child's resource usage (its reaped workers included).
    """
    tracked, peak, deadline = psutil.Process(child.pid), 0, time.perf_counter() + timeout
    timed_out = False
    while True:
        peak = max(peak, tree_rss(tracked))
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            os.killpg(child.pid, signal.SIGKILL)
            _, status, usage = os.wait4(child.pid, 0)
            timed_out = True
            break
        time.sleep(POLL_SECONDS)
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, max(peak, usage.ru_maxrss * 1024), timed_out, usage


def tree_rss(process: psutil.Process) -> int:
    """Resident memory of a process and all its descendants, in bytes (0 once gone)."""
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue
    return total


def describe_exit(code: int, timed_out: bool, timeout: float, stderr: Path) -> str:
    """'ok', or why the run ended without results, in words for the report."""
    errors = stderr.read_text(errors="replace")
    if timed_out:
        return f"TIMED OUT after {timeout:.0f} s (killed)"
    if code == -signal.SIGKILL:
        return "KILLED by SIGKILL (most likely the kernel's out-of-memory killer)"
    if "MemoryError" in errors or "Unable to allocate" in errors:
        return "OUT OF MEMORY (MemoryError)"
    if code != 0:
        last = errors.strip().splitlines()[-1:] or ["no message"]
        return f"FAILED with exit status {code}: {last[0]}"
    return "ok"
