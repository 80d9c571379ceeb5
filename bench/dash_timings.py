"""The dashboard's own endpoints, one user: upload, first segmentation, first mining, clicks.

A fresh ``gunicorn`` (``bench/live_server.py``) on a fresh instance folder per
run, one user (``bench/dash_client.py``) who uploads the generated medium CSV
(the upload route, then the job that stores and prepares it), segments it
(K = 5, the page's features), mines rules at the page's default thresholds
(the first Rules view: a job), then makes drill-down clicks on stored results
(each pie slice, and each group on the Rules page, ``--clicks`` rounds). Jobs
are polled every ``--poll`` seconds (the browser polls at the callback's own
interval, which rounds a job up to its next poll; a fine poll shows the
server's time). ``--repo`` serves another checkout (for example a worktree of
an older commit) with this client, so before and after are measured alike;
runs alternate between the checkouts given.

With ``--versus-cli`` it times Suggest K, the first segmentation and the first mining
on ``../shared/data/online_retail_2010-12.csv`` from the dashboard and from the command
line, alternated, and prints the dashboard / command line ratio of each
(``bench/fair_share.py``, with no spinning processes unless ``--busy N`` is given).

Usage (from the repository root):
    python bench/dash_timings.py [--repo . /tmp/before] [--runs 3] [--clicks 4]
        [--no-job-processes]
    python bench/dash_timings.py --versus-cli [--runs 3] [--busy 0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import live_server
from bench.dash_client import DashUser
from bench.generate import ensure_data
from bench.measure import OtherCpu, add_quiet_options, wait_for_quiet

STEPS = ("upload", "segment", "mine", "segment click", "rules click")


def one_run(repo: Path, data: Path, args: argparse.Namespace) -> dict[str, list[float]]:
    """Seconds of each step in one fresh server serving ``repo``."""
    live_server.REPO = repo  # the server's working directory: which code it runs
    seconds: dict[str, list[float]] = {step: [] for step in STEPS}
    with (
        tempfile.TemporaryDirectory() as folder,
        live_server.LiveServer(folder, job_processes=args.job_processes) as server,
    ):
        user = DashUser(server.url, "bench", poll_interval=args.poll)
        user.signup()
        user.login()
        content = data.read_bytes()
        for step, action in (
            ("upload", lambda: user.upload(data.name, content)),
            ("segment", lambda: user.segment(k=5)),
            ("mine", user.mine_rules),
        ):
            started = time.perf_counter()
            action()
            seconds[step].append(time.perf_counter() - started)
        user.go_to("segments")
        user.segment(k=5)  # stored now: drawn at once
        for _ in range(args.clicks):
            for segment in range(5):
                started = time.perf_counter()
                user.click_segment(segment)
                seconds["segment click"].append(time.perf_counter() - started)
        user.mine_rules()  # stored now
        for _ in range(args.clicks):
            for segment in [*range(5), None]:
                started = time.perf_counter()
                user.pick_rules_segment(segment)
                seconds["rules click"].append(time.perf_counter() - started)
    return seconds


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if "--versus-cli" in argv:  # the same long work from the command line, alternated
        from bench import fair_share

        rest = [arg for arg in argv if arg != "--versus-cli"]
        return fair_share.main(rest if "--busy" in rest else ["--busy", "0", *rest])
    parser = argparse.ArgumentParser(description="Time the dashboard's endpoints, one user.")
    parser.add_argument("--repo", nargs="+", type=Path, default=[Path(".")])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clicks", type=int, default=4, help="rounds of clicks per run")
    parser.add_argument("--poll", type=float, default=0.05, help="seconds between job polls")
    parser.add_argument(
        "--job-processes",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="jobs in a job process beside the worker, as `python -m basket_segments` runs "
        "them (default: yes; no: in threads of the worker)",
    )
    add_quiet_options(parser)
    args = parser.parse_args(argv)
    data = ensure_data("medium", kind="csv")
    results = {repo: {step: [] for step in STEPS} for repo in args.repo}
    noise: dict[Path, list[float]] = {repo: [] for repo in args.repo}
    for run in range(args.runs):
        for repo in args.repo:
            wait_for_quiet(args.quiet_below, args.quiet_wait)
            with OtherCpu() as cpu:  # the server is reaped inside: its CPU counts as ours
                found = one_run(repo.resolve(), data, args)
            noise[repo].append(cpu.percent)
            for step, values in found.items():
                results[repo][step].append(values)
            print(
                f"run {run + 1}, {repo}: "
                + ", ".join(
                    f"{step} {statistics.median(values):.3f} s" for step, values in found.items()
                )
                + f"; other processes {noise[repo][-1]:.0f} % CPU",
                flush=True,
            )
    print(f"\n{data.name} ({data.stat().st_size / 2**20:.1f} MiB), median of {args.runs} runs")
    print(f"{'step':<16}" + "".join(f"{repo!s:>24}" for repo in args.repo))
    for step in STEPS:
        cells = []
        for repo in args.repo:
            runs = results[repo][step]
            if "click" in step:  # p50 of every click of every run
                cells.append(f"p50 {statistics.median(v for r in runs for v in r) * 1000:.0f} ms")
            else:
                cells.append(f"{statistics.median(r[0] for r in runs):.2f} s")
        print(f"{step:<16}" + "".join(f"{cell:>24}" for cell in cells))
    cells = [f"{statistics.median(noise[repo]):.0f} % CPU" for repo in args.repo]
    print(f"{'other processes':<16}" + "".join(f"{cell:>24}" for cell in cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
