"""Mining alone: our miner against Borgelt's FP-growth (pyfim) on the same baskets.

The data file is loaded, segmented and turned into coded baskets once (not
timed); then, for each group (every segment and all customers), both miners
run on the same baskets with the same thresholds, alternating, ``--repeat``
times, in this one process. Both mine single-consequent rules, the only kind
pyfim makes, at the same maximum length, with an absolute support count
(ours' ``min_count``) so neither rounds a percentage. The rule sets are
compared rule for rule. pyfim is a bench-only dependency
(requirements-bench.txt; it builds from source).

Usage (from the repository root):
    python bench/mining.py [--size medium] [--format csv] [--min-support 0.01]
        [--min-confidence 0.3] [--max-length 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from basket_segments.analytics.baskets import build_baskets
from basket_segments.analytics.local import LocalEngine
from basket_segments.analytics.mining import min_count, mine_coded
from basket_segments.analytics.rules import basket_groups
from basket_segments.analytics.stages import AnalysisOptions, StageClock
from bench.generate import SIZES
from bench.measure import OtherCpu, add_quiet_options, wait_for_quiet
from bench.run import generate


def groups_of(data: Path, k: int) -> dict[int, tuple]:
    """Codes and offsets of every group, as the pipeline mines them."""
    engine = LocalEngine()
    prepared = engine.load(str(data), StageClock(None))
    labels = None
    if prepared.shape != "baskets":
        labels = engine.segment(prepared, list(prepared.features), k, AnalysisOptions(k=k)).labels
    return basket_groups(build_baskets(prepared.purchases), labels)


def ours(codes, offsets, args: argparse.Namespace) -> set:
    found = mine_coded(
        codes,
        offsets,
        args.min_support,
        args.min_confidence,
        args.max_length,
        single_consequent=True,
        max_rules=None,
    )
    return {(lhs, rhs) for lhs, rhs, *_ in found.rules}


def pyfim(transactions: list, threshold: int, args: argparse.Namespace) -> set:
    import fim

    found = fim.fpgrowth(
        transactions,
        target="r",
        supp=-threshold,  # negative: an absolute number of baskets
        conf=100 * args.min_confidence,
        zmin=2,
        zmax=args.max_length,
        report="a",
        mode="o",  # a rule's support counts body and head together, as ours does
    )
    return {(tuple(sorted(body)), (head,)) for head, body, *_ in found}


def timed(run, *arguments) -> tuple[float, set]:
    gc.collect()
    started = time.perf_counter()
    result = run(*arguments)
    return time.perf_counter() - started, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Our miner against pyfim's FP-growth.")
    parser.add_argument("--size", choices=list(SIZES), default="medium")
    parser.add_argument("--format", choices=["parquet", "csv"], default="csv")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--min-support", type=float, default=0.01)
    parser.add_argument("--min-confidence", type=float, default=0.3)
    parser.add_argument("--max-length", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    add_quiet_options(parser)
    args = parser.parse_args(argv)
    groups = groups_of(generate(args.size, args.format), args.k)
    print(
        f"{args.size} ({args.format}), support {args.min_support}, confidence "
        f"{args.min_confidence}, length {args.max_length}, single-consequent rules; "
        f"median of {args.repeat} alternated runs"
    )
    print(f"{'group':>6}{'baskets':>9}{'rules':>8}{'ours s':>9}{'pyfim s':>9}{'ratio':>7}  same")
    totals = {"ours": [0.0] * args.repeat, "pyfim": [0.0] * args.repeat}
    noise: list[float] = []  # CPU % other processes used during each pair of timed runs
    for group, (codes, offsets) in groups.items():
        n = len(offsets) - 1
        transactions = [tuple(codes[a:b].tolist()) for a, b in itertools.pairwise(offsets)]
        threshold = min_count(args.min_support, n)
        times = {"ours": [], "pyfim": []}
        for turn in range(args.repeat):
            wait_for_quiet(args.quiet_below, args.quiet_wait)
            with OtherCpu() as cpu:
                seconds, mine = timed(ours, codes, offsets, args)
                times["ours"].append(seconds)
                seconds, theirs = timed(pyfim, transactions, threshold, args)
                times["pyfim"].append(seconds)
            noise.append(cpu.percent)
            for name in totals:
                totals[name][turn] += times[name][-1]
        a, b = statistics.median(times["ours"]), statistics.median(times["pyfim"])
        same = "yes" if mine == theirs else f"NO ({len(mine ^ theirs)} differ)"
        print(f"{group:>6}{n:>9,}{len(mine):>8,}{a:>9.3f}{b:>9.3f}{a / b:>6.2f}x  {same}")
    a, b = statistics.median(totals["ours"]), statistics.median(totals["pyfim"])
    print(f"{'all':>6}{'':>9}{'':>8}{a:>9.3f}{b:>9.3f}{a / b:>6.2f}x")
    print(
        "CPU used by other processes during the timed runs: "
        f"median {statistics.median(noise):.0f} %, max {max(noise):.0f} %"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
