"""Fair share of the CPU: the dashboard's long work against the command line's, on a busy machine.

On a shared server other processes keep the cores busy. The dashboard's jobs used to
run at nice +10, so they got a tenth of what the command line got at the same
moment (Suggest K: 114 s against 24.6 s). This starts ``--busy`` spinning processes,
then alternates, ``--runs`` times, the same work done two ways on
``../shared/data/online_retail_2010-12.csv`` (RFM of 885 customers):

- the command line: ``analyze FILE --k auto`` (its ``suggest_k`` and ``segment``
  stage times, from ``summary.json``);
- the dashboard: a fresh gunicorn (``--repo`` picks the checkout it serves), one user
  uploads the file, presses *Suggest K* and shows K = 5 segments (each job's wall
  time, as the browser waits for it).

It prints every time, the medians, and the dashboard / command line ratio per step.

Usage (from the repository root):
    python -m bench.fair_share [--busy 4] [--runs 3] [--repo . /tmp/before]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from bench import live_server
from bench.dash_client import DashUser

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "online_retail_2010-12.csv"
STEPS = ("suggest_k", "segment")


@contextmanager
def busy_machine(processes: int):
    """``processes`` Python processes spinning on the CPU, stopped on exit."""
    spinners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(processes)
    ]
    try:
        time.sleep(1)
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def command_line(repo: Path) -> dict[str, float]:
    """The command line's stage times for the same work."""
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "basket_segments.cli", "analyze", str(DATA)]
        subprocess.run(
            [*command, "--k", "auto", "--out", out], cwd=repo, check=True, capture_output=True
        )
        timings = json.loads((Path(out) / "summary.json").read_text())["timings"]
    return {step: timings[step] for step in STEPS}


def dashboard(repo: Path) -> dict[str, float]:
    """The dashboard's job times: Suggest K, then the first segmentation (K = 5)."""
    live_server.REPO = repo
    with tempfile.TemporaryDirectory() as folder, live_server.LiveServer(folder) as server:
        user = DashUser(server.url, "bench", poll_interval=0.05)
        user.signup()
        user.upload(DATA.name, DATA.read_bytes())
        user.go_to("segments")
        user.segment(k=5)  # its settings and controls; the job below is timed alone
        started = time.perf_counter()
        user.suggest_k()
        suggest = time.perf_counter() - started
        started = time.perf_counter()
        user.segment(k=4)  # not stored yet: a job
        return {"suggest_k": suggest, "segment": time.perf_counter() - started}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--busy", type=int, default=4, help="spinning processes meanwhile")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repo", nargs="+", type=Path, default=[Path(".")])
    args = parser.parse_args(argv)
    if not DATA.exists():
        print(f"needs {DATA} (../shared/data)", file=sys.stderr)
        return 2
    times: dict[str, dict[str, list[float]]] = {}
    with busy_machine(args.busy):
        for _ in range(args.runs):
            for repo in args.repo:
                for way, run in (("command line", command_line), ("dashboard", dashboard)):
                    found = run(repo.resolve())
                    key = f"{repo} {way}"
                    for step, seconds in found.items():
                        times.setdefault(key, {}).setdefault(step, []).append(seconds)
                    print(key, {step: round(value, 2) for step, value in found.items()}, flush=True)
    print(f"\nmedians of {args.runs} runs, {args.busy} spinning processes meanwhile:")
    for repo in args.repo:
        line, dash = times[f"{repo} command line"], times[f"{repo} dashboard"]
        for step in STEPS:
            cli, web = statistics.median(line[step]), statistics.median(dash[step])
            ratio = web / cli
            print(f"{repo} {step}: command line {cli:.2f} s, dashboard {web:.2f} s", end="")
            print(f", ratio {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
