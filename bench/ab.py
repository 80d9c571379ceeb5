"""Time one change: the command line's analysis from two or more checkouts, alternated.

A change worth a tenth of the run hides in this machine's noise when variants run in
separate sessions; alternating them run by run puts the noise on every side alike.
Each variant is a checkout folder (``git worktree add /tmp/before HEAD~1``) and optional
environment variables; each run is a fresh ``python -m basket_segments.cli analyze``
process. Printed per variant: median and lowest wall time, the CPU time of the process and
its reaped children (user and system), the main process's peak memory (``bench/run.py``
measures the whole process tree), every wall time, and the median seconds of each stage
from the run's ``summary.json``. ``--cpus 1`` pins every run to the first CPU
(``taskset``, as ``bench/run.py --cpus``): there nothing runs beside anything, so each
stage's seconds are its CPU seconds.

Usage: python bench/ab.py --runs 5 [--cpus 1] before=/tmp/before after=. \\
           "after-mimalloc=.:ARROW_DEFAULT_MEMORY_POOL=mimalloc" -- FILE --k 5 ...
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# Run as a file, Python puts bench/ on sys.path rather than the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.run import pinned


@dataclass
class Variant:
    """A checkout to run the analysis from, with extra environment variables."""

    name: str
    folder: Path
    environment: dict[str, str]
    runs: list[tuple[float, float, float, float]] = field(default_factory=list)
    #: Each run's stage seconds, from its summary.json.
    stages: list[dict[str, float]] = field(default_factory=list)


def parse_variant(text: str) -> Variant:
    """``name=folder[:KEY=VALUE,KEY=VALUE]``.

    >>> parse_variant("je=/tmp/x:A=1,B=2").environment
    {'A': '1', 'B': '2'}
    """
    name, _, rest = text.partition("=")
    folder, _, settings = rest.partition(":")
    pairs = (item.split("=", 1) for item in settings.split(",") if item)
    return Variant(name, Path(folder).resolve(), dict(pairs))


def run_once(variant: Variant, arguments: list[str], out: Path, cpus: int | None = None) -> None:
    started = time.perf_counter()
    command = [sys.executable, "-m", "basket_segments.cli", "analyze", *arguments]
    before = os.times()
    child = subprocess.Popen(
        pinned([*command, "--out", str(out / variant.name)], cpus),
        cwd=variant.folder,
        env={**os.environ, **variant.environment},
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    if status:
        raise SystemExit(f"{variant.name} failed (status {status})")
    wall = time.perf_counter() - started
    after = os.times()  # the child's and its reaped workers' CPU, as bench/run.py counts it
    user = after.children_user - before.children_user
    system = after.children_system - before.children_system
    variant.runs.append((wall, user, system, usage.ru_maxrss / 1024))
    summary = json.loads((out / variant.name / "summary.json").read_text())
    variant.stages.append(summary.get("timings", {}))


def report(variant: Variant) -> str:
    """One line of totals, then each stage's median seconds.

    >>> v = Variant("a", Path("."), {}, [(2.0, 1.5, 0.25, 300.0)], [{"load": 0.5}])
    >>> print(report(v))
    a            wall 2.00 s (lowest 2.00), user 1.50 s, system 0.25 s, peak 300 MiB; runs 2.00
                 stages (median s): load 0.50
    """
    wall, user, system, memory = (list(column) for column in zip(*variant.runs, strict=True))
    walls = " ".join(f"{w:.2f}" for w in wall)
    names = list(dict.fromkeys(name for stages in variant.stages for name in stages))
    stages = ", ".join(
        f"{name} {statistics.median(s.get(name, 0.0) for s in variant.stages):.2f}"
        for name in names
    )
    return (
        f"{variant.name:12s} wall {statistics.median(wall):.2f} s (lowest {min(wall):.2f}), "
        f"user {statistics.median(user):.2f} s, system {statistics.median(system):.2f} s, "
        f"peak {statistics.median(memory):,.0f} MiB; runs {walls}\n"
        f"{'':12s} stages (median s): {stages}"
    )


def main() -> None:
    own, _, arguments = " ".join(sys.argv[1:]).partition(" -- ")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each variant")
    parser.add_argument("--cpus", type=int, default=None, help="pin every run to N CPUs")
    parser.add_argument("variants", nargs="+", help="name=folder[:KEY=VALUE,...]")
    args = parser.parse_args(own.split())
    if not arguments:
        parser.error("after the variants, -- and the arguments of analyze (FILE --k 5 ...)")
    variants = [parse_variant(text) for text in args.variants]
    arguments = arguments.split()
    with tempfile.TemporaryDirectory() as out:
        for _ in range(args.runs):
            for variant in variants:
                run_once(variant, arguments, Path(out), args.cpus)
    for variant in variants:
        print(report(variant))


if __name__ == "__main__":
    main()
