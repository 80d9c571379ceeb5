"""The Over time page's first answer against one segmentation of the whole file.

Issue 23 asks that comparing two periods (K=4) answers within 1.5x of one
segmentation of the whole file. One live server (gunicorn, as deployed), one
user, the five-month retail file (``../shared/data``) unless ``--file`` says
otherwise: the file is uploaded, segmented at K=4 (the Segments page's job,
timed), then the Over time page is opened (the comparison's job and its charts,
timed). Each round uses a fresh upload, so nothing is stored yet::

    python -m bench.over_time --rounds 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from basket_segments import ids
from bench.dash_client import DashUser
from bench.live_server import LiveServer

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FILE = SHARED_DATA / "online_retail_2011-02_to_2011-06.csv"


def one_round(user: DashUser, content: bytes, name: str, k: int) -> tuple[float, float, str]:
    """Seconds of the first segmentation and of the first comparison, and its summary."""
    user.upload(name, content)
    started = time.perf_counter()
    user.segment(k=k)
    segmenting = time.perf_counter() - started
    started = time.perf_counter()
    charts = user.compare_periods()
    comparing = time.perf_counter() - started
    summary = user.prop(ids.MIGRATION_SUMMARY, "children")
    if not charts.has(ids.MIGRATION_HEATMAP, "figure"):
        raise RuntimeError(f"the comparison drew no heatmap: {summary}")
    return segmenting, comparing, str(summary)


def main(argv: list[str] | None = None) -> list[tuple[float, float, str]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=FILE)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--k", type=int, default=4)
    args = parser.parse_args(argv)
    content = args.file.read_bytes()
    rounds = []
    with tempfile.TemporaryDirectory() as folder, LiveServer(folder, workers=1) as server:
        user = DashUser(server.url, "bench", poll_interval=0.1)
        user.signup()
        for number in range(args.rounds):
            rounds.append(one_round(user, content, f"round{number}{args.file.suffix}", args.k))
            segmenting, comparing, _summary = rounds[-1]
            print(f"round {number + 1}: segment {segmenting:.2f} s, over time {comparing:.2f} s")
    ratio = statistics.median(c / s for s, c, _ in rounds)
    print(f"median ratio, over time / segmentation: {ratio:.2f} ({rounds[-1][2]})")
    return rounds


if __name__ == "__main__":
    main()
