"""Time one change: the command line's analysis from two or more checkouts, alternated.

A change worth a tenth of the run hides in this machine's noise when variants run in
separate sessions; alternating them run by run puts the noise on every side alike.
Each variant is a checkout folder (``git worktree add /tmp/before HEAD~1``) and optional
environment variables; each run is a fresh ``python -m basket_segments.cli analyze``
process. Printed per variant: median and lowest wall time, the process's own user and
system CPU time and peak memory (the kernel's, of the main process only; ``bench/run.py``
measures the whole process tree), and every wall time.

Usage: python bench/ab.py --runs 5 before=/tmp/before after=. \\
           "after-mimalloc=.:ARROW_DEFAULT_MEMORY_POOL=mimalloc" -- FILE --k 5 ...
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Variant:
    """A checkout to run the analysis from, with extra environment variables."""

    name: str
    folder: Path
    environment: dict[str, str]
    runs: list[tuple[float, float, float, float]] = field(default_factory=list)


def parse_variant(text: str) -> Variant:
    """``name=folder[:KEY=VALUE,KEY=VALUE]``.

    >>> parse_variant("je=/tmp/x:A=1,B=2").environment
    {'A': '1', 'B': '2'}
    """
    name, _, rest = text.partition("=")
    folder, _, settings = rest.partition(":")
    pairs = (item.split("=", 1) for item in settings.split(",") if item)
    return Variant(name, Path(folder).resolve(), dict(pairs))


def run_once(variant: Variant, arguments: list[str], out: Path) -> None:
    started = time.perf_counter()
    command = [sys.executable, "-m", "basket_segments.cli", "analyze", *arguments]
    child = subprocess.Popen(
        [*command, "--out", str(out / variant.name)],
        cwd=variant.folder,
        env={**os.environ, **variant.environment},
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    if status:
        raise SystemExit(f"{variant.name} failed (status {status})")
    wall = time.perf_counter() - started
    variant.runs.append((wall, usage.ru_utime, usage.ru_stime, usage.ru_maxrss / 1024))


def report(variant: Variant) -> str:
    wall, user, system, memory = (list(column) for column in zip(*variant.runs, strict=True))
    walls = " ".join(f"{w:.2f}" for w in wall)
    return (
        f"{variant.name:12s} wall {statistics.median(wall):.2f} s (lowest {min(wall):.2f}), "
        f"user {statistics.median(user):.2f} s, system {statistics.median(system):.2f} s, "
        f"peak {statistics.median(memory):,.0f} MiB; runs {walls}"
    )


def main() -> None:
    own, _, arguments = " ".join(sys.argv[1:]).partition(" -- ")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each variant")
    parser.add_argument("variants", nargs="+", help="name=folder[:KEY=VALUE,...]")
    args = parser.parse_args(own.split())
    if not arguments:
        parser.error("after the variants, -- and the arguments of analyze (FILE --k 5 ...)")
    variants = [parse_variant(text) for text in args.variants]
    arguments = arguments.split()
    with tempfile.TemporaryDirectory() as out:
        for _ in range(args.runs):
            for variant in variants:
                run_once(variant, arguments, Path(out))
    for variant in variants:
        print(report(variant))


if __name__ == "__main__":
    main()
