"""Fair share of the CPU: the dashboard's long work against the command line's, on a busy machine.

On a shared server other processes keep the cores busy. The dashboard's jobs used to
run at nice +10, so they got a tenth of what the command line got at the same
moment (Suggest K: 114 s against 24.6 s). This starts ``--busy`` spinning processes,
then alternates, ``--runs`` times, the same work done two ways on
``../shared/data/online_retail_2010-12.csv`` (RFM of 885 customers):

- the command line: ``analyze FILE --k auto`` (its ``suggest_k`` stage time, from
  ``summary.json``), then ``--k 4`` at the thresholds the dashboard mines at (its
  ``segment`` stage, and its basket, mining, rules table and top products stages);
- the dashboard: a fresh gunicorn (``--repo`` picks the checkout it serves), one user
  uploads the file, presses *Suggest K*, shows K = 4 segments and opens Rules (each
  job's wall time, as the browser waits for it).

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
from contextlib import contextmanager, nullcontext
from pathlib import Path

from bench import live_server
from bench.dash_client import DashUser

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "online_retail_2010-12.csv"
STEPS = ("suggest_k", "segment", "mine")
#: The dashboard's steps: the first mining is timed as its job (the same work as the command
#: line's stages) and until the page has drawn the rules, sentences and charts.
DASHBOARD_STEPS = (*STEPS, "mine, drawn")
#: The K both sides segment with, and the thresholds the dashboard's first Rules view mines
#: at (``results.LOOSEST_MINING``, every rule length on the right: the page's defaults are
#: filtered from that mining).
K = 4
MINED = ["--min-support", "0.02", "--min-confidence", "0.2", "--max-length", "3"]
#: The command line's stages that make the dashboard's first mining.
MINING_STAGES = ("baskets", "mine", "rules_table", "top_products")


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
    """The command line's stage times for the same work: ``--k auto`` (Suggest K), then
    ``--k 4`` at the thresholds the dashboard mines at (segmentation and mining)."""
    suggested = _stage_times(repo, ["--k", "auto"])
    chosen = _stage_times(repo, ["--k", str(K), *MINED])
    return {
        "suggest_k": suggested["suggest_k"],
        "segment": chosen["segment"],
        "mine": sum(chosen[stage] for stage in MINING_STAGES),
    }


def _stage_times(repo: Path, options: list[str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "basket_segments.cli", "analyze", str(DATA)]
        command += [*options, "--out", out]
        subprocess.run(command, cwd=repo, check=True, capture_output=True)
        return json.loads((Path(out) / "summary.json").read_text())["timings"]


def dashboard(repo: Path) -> dict[str, float]:
    """The dashboard's job times: Suggest K, the first segmentation (K = 4), the first
    Rules view's mining."""
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
        user.segment(k=K)  # not stored yet: a job
        segment = time.perf_counter() - started
        started = time.perf_counter()
        run = user.mine_rules()
        drawn = time.perf_counter() - started
        job = run.ask.seconds + (run.job.seconds if run.job else 0.0)
        return {"suggest_k": suggest, "segment": segment, "mine": job, "mine, drawn": drawn}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--busy", type=int, default=4, help="spinning processes (0: none)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repo", nargs="+", type=Path, default=[Path(".")])
    args = parser.parse_args(argv)
    if not DATA.exists():
        print(f"needs {DATA} (../shared/data)", file=sys.stderr)
        return 2
    times: dict[str, dict[str, list[float]]] = {}
    with busy_machine(args.busy) if args.busy else nullcontext():
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
        for step in DASHBOARD_STEPS:
            cli, web = statistics.median(line[step.split(",")[0]]), statistics.median(dash[step])
            ratio = web / cli
            print(f"{repo} {step}: command line {cli:.2f} s, dashboard {web:.2f} s", end="")
            print(f", ratio {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
