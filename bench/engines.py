"""Time both engines stage by stage on generated data of growing size.

Each engine runs in a fresh process per size (so one's JVM, imports and heap
never count against the other) and reports, per stage (Spark start, read,
features, kmeans, rules, products), seconds and the peak resident memory of
its process tree (for Spark in local mode: Python plus the JVM), sampled every
20 ms. The report also checks that both engines put the same customers in
corresponding segments and found the same rules. Written for one machine: it
shows where Spark's fixed costs stop dominating, not how a cluster scales.

Usage (from the repository root; Spark needs requirements-spark.txt):
    python bench/engines.py [--sizes small medium large] [--engines local spark]
        [--k 5 --min-support 0.05 --min-confidence 0.5 --max-length 3]
        [--spark-master 'local[*]'] [--spark-conf spark.driver.memory=6g] [--timeout 3600]
        [--quiet-wait 120 --quiet-below 20]
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from basket_segments.analytics.loading import read_source
from basket_segments.analytics.local import LocalEngine
from basket_segments.analytics.pipeline import analyze
from basket_segments.analytics.prepare import PreparedData, prepare
from basket_segments.analytics.rules import RuleParams
from basket_segments.analytics.stages import AnalysisOptions, StageClock
from basket_segments.cli.commands import write_results
from bench.compare import rule_sets, segment_overlap
from bench.generate import SIZES
from bench.measure import Run, add_quiet_options, measure, tree_rss, wait_for_quiet
from bench.run import generate

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "engines"
MIB = 2**20
STAGES = ("start", "read", "features", "segment", "rules", "products")
#: The local pipeline's stage names, grouped into the stages both engines share.
LOCAL_STAGES = {
    "suggest_k": "segment",
    "segment": "segment",
    "baskets": "rules",
    "mine": "rules",
    "rules_table": "rules",
    "top_products": "products",
}
LABELS = {"small": "50k rows", "medium": "500k rows", "large": "5M rows", "huge": "20M rows"}
#: Spark settings for the benchmark: the driver's default 1 GiB heap is too small for 5M rows.
DEFAULT_SPARK_CONF = ["spark.driver.memory=6g"]


class StageMeter:
    """Seconds and peak memory (this process and its children) per stage.

    A thread samples the process tree's resident memory every 20 ms; ``lap``
    closes the current stage, adding to it if the stage was seen before (the
    local engine's three rule stages make one).
    """

    def __init__(self, interval: float = 0.02):
        self.process, self.interval = psutil.Process(), interval
        self.stages: dict[str, dict[str, float]] = {}
        self.peak, self.started = 0, time.perf_counter()
        self.done = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while not self.done.wait(self.interval):
            self.peak = max(self.peak, tree_rss(self.process))

    def children_cpu(self) -> float:
        """CPU seconds of the children still running (Spark's JVM): the kernel adds them to
        this process's usage only once reaped, which a killed JVM never is."""
        total = 0.0
        for process in self.process.children(recursive=True):
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system
        return total

    def lap(self, stage: str) -> None:
        now, peak = time.perf_counter(), max(self.peak, tree_rss(self.process))
        entry = self.stages.setdefault(stage, {"seconds": 0.0, "peak_mib": 0.0})
        entry["seconds"] += now - self.started
        entry["peak_mib"] = max(entry["peak_mib"], peak / MIB)
        self.started, self.peak = now, 0


class MeteredLocalEngine(LocalEngine):
    """The local engine, its loading split into Spark's "read" and "features" stages."""

    def __init__(self, meter: StageMeter):
        super().__init__()
        self.meter = meter

    def load(self, source: str, clock: StageClock) -> PreparedData:
        raw = read_source(source)
        self.meter.lap("read")
        data = prepare(raw)
        self.meter.lap("features")
        return data


def run_local(data: str, options: AnalysisOptions, meter: StageMeter):
    def say(line: str) -> None:
        stage = line.split(":")[0]
        if stage in LOCAL_STAGES:
            meter.lap(LOCAL_STAGES[stage])

    return analyze(MeteredLocalEngine(meter), data, options, say)


def run_spark(data: str, options: AnalysisOptions, meter: StageMeter, args: argparse.Namespace):
    from basket_segments.analytics.spark.engine import SparkEngine
    from basket_segments.analytics.spark.session import spark_session
    from basket_segments.cli.commands import _spark_conf

    with spark_session(args.spark_master, _spark_conf(args.spark_conf)) as spark:
        meter.lap("start")

        def say(line: str) -> None:
            stage = line.split(":")[0]
            if stage in STAGES:
                meter.lap(stage)

        result = analyze(SparkEngine(spark), data, options, say)
        result.summary["jvm_cpu_seconds"] = meter.children_cpu()
        return result


def child(args: argparse.Namespace) -> int:
    """One engine on one file: stage figures and the result files into ``args.out``."""
    meter = StageMeter()
    options = AnalysisOptions(
        k=args.k,
        rules=RuleParams(args.min_support, args.min_confidence, 0.0, args.max_length, True),
    )
    if args.child == "local":
        result = run_local(args.data, options, meter)
    else:
        result = run_spark(args.data, options, meter, args)
    meter.done.set()
    out = Path(args.out)
    write_results(result, out)
    result.summary["stages"] = meter.stages
    (out / "summary.json").write_text(json.dumps(result.summary, indent=2, default=str))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Time the local and Spark engines.")
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument(
        "--engines", nargs="+", choices=["local", "spark"], default=["local", "spark"]
    )
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--min-support", type=float, default=0.05)
    parser.add_argument("--min-confidence", type=float, default=0.5)
    parser.add_argument("--max-length", type=int, default=3)
    parser.add_argument("--spark-master", default="local[*]")
    parser.add_argument("--spark-conf", action="append", default=None, metavar="KEY=VALUE")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    add_quiet_options(parser)
    parser.add_argument("--child", choices=["local", "spark"], help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    return parser


def child_command(engine: str, data: Path, out: Path, args: argparse.Namespace) -> list[str]:
    command = [sys.executable, "bench/engines.py", "--child", engine, "--data", str(data)]
    command += ["--out", str(out), "--k", str(args.k), "--min-support", str(args.min_support)]
    command += ["--min-confidence", str(args.min_confidence), "--max-length", str(args.max_length)]
    command += ["--spark-master", args.spark_master]
    for pair in args.spark_conf:
        command += ["--spark-conf", pair]
    return command


def report(size: str, data: Path, runs: dict[str, Run], args: argparse.Namespace) -> str:
    """Stage table for one size: seconds and peak MiB per engine, then the cross-check."""
    summary = next((run.summary for run in runs.values() if run.ok), {})
    lines = [
        f"== {size} ({LABELS[size]}): {data.name}",
        f"{summary.get('customers', 0):,} customers, {summary.get('purchase_rows', 0):,} purchase "
        f"rows, {summary.get('products', 0):,} products; k={args.k}, "
        f"min_support={args.min_support}, min_confidence={args.min_confidence}, "
        f"max_length={args.max_length}, single-consequent rules; spark master "
        f"{args.spark_master}, conf {' '.join(args.spark_conf) or '-'}",
        f"machine: {psutil.cpu_count()} CPUs, {psutil.virtual_memory().total / 2**30:.1f} GiB",
        "; ".join(f"{name}: {run.status}" for name, run in runs.items()),
        f"{'stage':<22}" + "".join(f"{name + ' s':>12}{name + ' MiB':>12}" for name in runs),
    ]
    stages = {name: (run.summary or {}).get("stages", {}) for name, run in runs.items()}
    for stage in STAGES:
        lines.append(f"{stage:<22}" + "".join(_cells(each.get(stage)) for each in stages.values()))
    totals = [sum(entry["seconds"] for entry in each.values()) for each in stages.values()]
    lines.append(f"{'stages total':<22}" + "".join(f"{total:>12.2f}{'':>12}" for total in totals))
    walls = "".join(f"{run.wall:>12.2f}{run.peak / MIB:>12,.0f}" for run in runs.values())
    lines.append(f"{'process (wall, peak)':<22}{walls}")
    loads = "".join(f"{100 * _other_load(run):>12.0f}{'':>12}" for run in runs.values())
    lines.append(f"{'other CPU load %':<22}{loads}")
    return "\n".join([*lines, *cross_check(runs)]) + "\n"


def _other_load(run: Run) -> float:
    """Share of the machine other processes used during a run, not counting the JVM."""
    jvm = (run.summary or {}).get("jvm_cpu_seconds", 0.0)
    return max(0.0, run.other_load - jvm / (run.wall * (psutil.cpu_count() or 1)))


def _cells(entry: dict | None) -> str:
    if entry is None:
        return f"{'-':>12}{'-':>12}"
    return f"{entry['seconds']:>12.2f}{entry['peak_mib']:>12,.0f}"


def cross_check(runs: dict[str, Run]) -> list[str]:
    """Whether both engines segmented alike and found the same rules in each segment."""
    if set(runs) != {"local", "spark"} or not all(run.ok for run in runs.values()):
        return []
    local, spark = runs["local"], runs["spark"]
    overlap = segment_overlap(local, spark)
    mapping = {int(label): int(overlap[label].idxmax()) for label in overlap.columns}
    agreed = int(sum(overlap.at[s, b] for b, s in mapping.items()))
    total = int(overlap.to_numpy().sum())
    mapping[-1] = -1
    ours, theirs = rule_sets(local), rule_sets(spark, mapping)
    groups = sorted(set(ours) | set(theirs))
    differing = [g for g in groups if ours.get(g, {}).keys() != theirs.get(g, {}).keys()]
    counts = ", ".join(f"{g}: {len(ours.get(g, {}))}/{len(theirs.get(g, {}))}" for g in groups)
    return [
        f"segments: {agreed:,} of {total:,} customers in corresponding segments",
        f"rules per group (local/spark; -1 = all customers): {counts}; "
        + ("identical rule sets in every group" if not differing else f"DIFFERENT in {differing}"),
    ]


def figures(runs: dict[str, Run]) -> dict:
    """Each engine's stage figures, wall time and peak memory, for ``bench/growth.py``."""
    return {
        engine: {
            "status": run.status,
            "purchase_rows": (run.summary or {}).get("purchase_rows"),
            "stages": (run.summary or {}).get("stages", {}),
            "wall": run.wall,
            "peak_mib": run.peak / MIB,
            "other_load": _other_load(run),
        }
        for engine, run in runs.items()
    }


def run_engines(size: str, data: Path, args: argparse.Namespace) -> dict[str, Run]:
    """Each engine in its own process on ``data``, after waiting for a quiet machine."""
    runs = {}
    for engine in args.engines:
        out = OUT / size / engine
        wait_for_quiet(args.quiet_below, args.quiet_wait)
        runs[engine] = measure(child_command(engine, data, out, args), ROOT, out, args.timeout)
    return runs


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.spark_conf = DEFAULT_SPARK_CONF if args.spark_conf is None else args.spark_conf
    if args.child:
        return child(args)
    for size in args.sizes:
        data = generate(size)
        runs = run_engines(size, data, args)
        text = report(size, data, runs, args)
        print(text, flush=True)
        (OUT / f"report-{size}.txt").write_text(text)
        (OUT / f"figures-{size}.json").write_text(json.dumps(figures(runs), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
