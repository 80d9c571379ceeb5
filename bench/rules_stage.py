"""The mining stage alone, in one process: mining every group and measuring its rules.

The data file is loaded and segmented and its baskets built once (not timed); then
``mine_groups`` and ``rules_table`` run ``--repeat`` times. The command line's stage
times (summary.json's ``mine`` and ``rules_table``) include the same work but also
whatever else the machine does; here the repeats give a median and a minimum. To compare
two versions of the code, run this file from each checkout, alternated, with the same
data file (``bench/README.md``, issue 24: the rules table's p-values and measures).

Usage (from the repository root):
    python bench/rules_stage.py [--size medium] [--format csv] [--min-support 0.01]
        [--min-confidence 0.3] [--max-length 10] [--repeat 7]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))  # the checkout this is run from, not this file's

from basket_segments.analytics import rules
from basket_segments.analytics.baskets import build_baskets
from basket_segments.analytics.local import LocalEngine
from basket_segments.analytics.stages import AnalysisOptions, RuleParams, StageClock


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time mine_groups and rules_table.")
    parser.add_argument("--data", help="a data file (default: the generated --size file)")
    parser.add_argument("--size", default="medium")
    parser.add_argument("--format", choices=["parquet", "csv"], default="csv")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--min-support", type=float, default=0.01)
    parser.add_argument("--min-confidence", type=float, default=0.3)
    parser.add_argument("--max-length", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    if args.data is None:
        from bench.run import generate

        args.data = generate(args.size, args.format)
    engine = LocalEngine()
    data = engine.load(str(args.data), StageClock(None))
    segments = engine.segment(data, list(data.features), args.k, AnalysisOptions(k=args.k))
    baskets = build_baskets(data.purchases)
    params = RuleParams(args.min_support, args.min_confidence, 0.0, args.max_length, False, None)
    times: dict[str, list[float]] = {"mine": [], "rules_table": [], "both": []}
    for _ in range(args.repeat):
        gc.collect()
        started = time.perf_counter()
        mined = rules.mine_groups(baskets, segments.labels, params)
        middle = time.perf_counter()
        table = rules.rules_table(mined, baskets, segments.names, params)
        ended = time.perf_counter()
        for name, seconds in (("mine", middle - started), ("rules_table", ended - middle)):
            times[name].append(seconds)
        times["both"].append(ended - started)
    print(f"{len(table):,} rules, {len(table.columns)} columns; median (min) of {args.repeat}:")
    for name, values in times.items():
        print(f"  {name:<12}{statistics.median(values):.3f} s ({min(values):.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
