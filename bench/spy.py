"""Sample gunicorn workers with py-spy during a load run, and say where their time went.

py-spy (``pip install py-spy``; sampling other processes needs root or
``CAP_SYS_PTRACE``) records each worker's stacks as "collapsed" text, one
line per distinct stack with its sample count. ``summary`` groups the samples
by the callback or background job they belong to and lists the functions that
hold the most samples, counted once per stack (inclusive).
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

#: The frame below which a callback's own code runs, in Dash's request handling.
CALLBACK_FRAME = "_invoke_callback"
#: The frame below which a background job's code runs (``jobs.ThreadJobManager._run``).
JOB_FRAME = "job_fn"
FRAME = re.compile(r"(?P<function>.*?) \((?P<file>.*?)(?::\d+)?\)$")
#: Plumbing every sample passes through; left out of the list of functions.
PLUMBING = ("threading.py", "concurrent/futures", "gunicorn/", "flask/", "dash/", "werkzeug/")


@contextmanager
def recording(pids: Iterable[int], folder: Path, rate: int = 100) -> Iterator[list[Path]]:
    """Record every process in ``pids`` until the block ends; yields the output files.

    ``--nonblocking`` samples without pausing the workers, so the run's latencies
    stay close to those of a run without py-spy.
    """
    if shutil.which("py-spy") is None:
        raise RuntimeError("py-spy is not installed: pip install py-spy")
    folder.mkdir(parents=True, exist_ok=True)
    files, spies = [], []
    for pid in pids:
        files.append(folder / f"worker-{pid}.txt")
        command = ["py-spy", "record", "--pid", str(pid), "--format", "raw", "--nonblocking"]
        command += ["--rate", str(rate), "--output", str(files[-1])]
        with open(folder / f"py-spy-{pid}.log", "wb") as log:  # its own messages
            spies.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT))
    try:
        yield files
    finally:
        for spy in spies:
            spy.send_signal(signal.SIGINT)
        for spy in spies:
            try:
                spy.wait(60)
            except subprocess.TimeoutExpired:
                spy.kill()


def _frames(stack: str) -> list[tuple[str, str]]:
    found = []
    for frame in stack.split(";"):
        match = FRAME.match(frame)
        function, file = match.group("function", "file") if match else (frame, "")
        found.append((function, file.split("site-packages/")[-1].split("/main/")[-1]))
    return found


def _owner(frames: list[tuple[str, str]]) -> str | None:
    """The callback or job a stack belongs to, None for anything else (idle, start-up)."""
    names = [function.rsplit(".", 1)[-1] for function, _ in frames]  # "f.<locals>.job_fn"
    for marker, label in ((JOB_FRAME, "job"), (CALLBACK_FRAME, "callback")):
        if marker in names:
            below = frames[names.index(marker) + 1 :]
            inner = next((f for f, file in below if not file.startswith(PLUMBING)), marker)
            return f"{label} {inner}"
    return None


def summary(files: Iterable[Path], top: int = 25) -> str:
    """Samples per callback and job, then the functions holding most of them."""
    owners, functions, total = Counter(), Counter(), 0
    for path in files:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            frames, count = _frames(stack), int(count)
            owner = _owner(frames)
            if owner is None:
                continue
            total += count
            owners[owner] += count
            for function, file in set(frames):
                if not file.startswith(PLUMBING):
                    functions[f"{function} ({file})"] += count
    if not total:
        return "py-spy recorded no samples in callbacks or jobs."
    lines = [f"{total:,} samples in callbacks and jobs, all workers", "", "by callback or job:"]
    lines += [f"  {100 * n / total:5.1f} %  {name}" for name, n in owners.most_common(top)]
    lines += ["", "by function (inclusive: a function and what it calls):"]
    lines += [f"  {100 * n / total:5.1f} %  {name}" for name, n in functions.most_common(top)]
    return "\n".join(lines)
