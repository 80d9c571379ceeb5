"""Compare our pipeline with the original crosstab + mlxtend design on generated data.

Each contender runs as its own process on the same Parquet file, so neither
inherits the other's imports, caches or heap, and each one's peak memory is
its own (see ``bench/measure.py``). The report of each size is printed and
written to ``bench/out/report-<size>.txt``.

Usage: python bench/run.py [--sizes small medium large] [--repeat 3] [--quiet-wait 300]
       [--min-support 0.05 --min-confidence 0.5 --max-length 3] [--baseline-timeout 1800]
       [--cpus 1 2]

``--cpus 1 2`` runs both contenders pinned to one CPU (``taskset -c 0``), then to two,
and reports the lead at each: the original design is single-threaded, so the lead on one
CPU is the portable one; the lead on more CPUs adds what ours' threads and processes buy.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import psutil

# Run as a file, Python puts bench/ on sys.path rather than the repository
# root, and the sibling modules are imported as bench.*.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.compare import rule_comparison
from bench.generate import SIZES
from bench.measure import Run, add_quiet_options, measure, wait_for_quiet

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
MIB = 2**20
#: Report rows: label, our stage, the baseline's stage (None where it has no such stage).
STAGE_ROWS = [
    ("load file", "load", "load"),
    ("segment (KMeans)", "segment", "kmeans"),
    ("baskets", "baskets", "baskets"),
    ("mine", "mine", "mining"),
    ("rules table", "rules_table", "rules"),
    ("top products", "top_products", None),
]
PACKAGES = ("pandas", "numpy", "scikit-learn", "efficient-apriori", "mlxtend", "joblib")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Benchmark ours against the baseline.")
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=["small", "medium"])
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--min-support", type=float, default=0.05)
    parser.add_argument("--min-confidence", type=float, default=0.5)
    parser.add_argument("--max-length", type=int, default=3, help="ours")
    parser.add_argument(
        "--baseline-max-length",
        type=int,
        help="mlxtend's max_len (0: no limit; default: the same as --max-length)",
    )
    parser.add_argument(
        "--format",
        choices=["parquet", "csv"],
        default="parquet",
        help="data file (users upload CSV)",
    )
    parser.add_argument("--jobs", type=int, help="--jobs for our pipeline (default: its own)")
    parser.add_argument(
        "--max-rules", type=int, help="--max-rules for ours (0: no limit; default: its own)"
    )
    parser.add_argument("--baseline-timeout", type=float, default=1800.0, help="seconds")
    parser.add_argument("--ours-timeout", type=float, default=1800.0, help="seconds")
    parser.add_argument("--repeat", type=int, default=1, help="runs per contender (median shown)")
    parser.add_argument(
        "--cpus",
        type=int,
        nargs="+",
        help="pin both contenders to this many CPUs (taskset), one report per count; "
        "default: every CPU, unpinned",
    )
    add_quiet_options(parser)
    return parser


def generate(size: str, kind: str = "parquet") -> Path:
    """Generate (or reuse) the data file in a child process, keeping this one's heap small."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.generate", size, *(["--csv"] if kind == "csv" else [])],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(done.stdout.split()[-1])


def contender_commands(data: Path, size: str, args: argparse.Namespace) -> dict[str, list[str]]:
    """Both command lines: the same data file and thresholds, each its own output folder."""
    shared = [str(data), "--k", str(args.k), "--min-support", str(args.min_support)]
    shared += ["--min-confidence", str(args.min_confidence)]
    baseline_length = _baseline_length(args)
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    jobs += [] if args.max_rules is None else ["--max-rules", str(args.max_rules)]
    ours, baseline = OUT / size / "ours", OUT / size / "baseline"
    return {
        "ours": [
            sys.executable,
            "-m",
            "basket_segments.cli",
            "analyze",
            *shared,
            "--max-length",
            str(args.max_length),
            *jobs,
            "--out",
            str(ours),
        ],
        "baseline": [
            sys.executable,
            "bench/baseline.py",
            *shared,
            "--max-length",
            str(baseline_length),
            "--out",
            str(baseline),
        ],
    }


def pinned(command: list[str], cpus: int | None) -> list[str]:
    """``command`` run on the first ``cpus`` CPUs only (None: as it is).

    >>> pinned(["python", "x.py"], 2)
    ['taskset', '-c', '0-1', 'python', 'x.py']
    >>> pinned(["python", "x.py"], None)
    ['python', 'x.py']
    """
    if cpus is None:
        return command
    if not 1 <= cpus <= (os.cpu_count() or 1):
        raise SystemExit(f"--cpus {cpus}: this machine has {os.cpu_count()} CPUs")
    return ["taskset", "-c", "0" if cpus == 1 else f"0-{cpus - 1}", *command]


def _baseline_length(args: argparse.Namespace) -> int:
    """mlxtend's max_len: --baseline-max-length, else ours; 0 means no limit."""
    return args.max_length if args.baseline_max_length is None else args.baseline_max_length


def stage_table(ours: Run, baseline: Run) -> list[str]:
    """Stage seconds side by side, then wall time and peak memory with ratios."""
    lines = [f"{'':32}{'ours':>12}{'baseline':>12}{'baseline/ours':>16}"]
    runs = (ours, baseline)
    timings = [run.summary["timings"] if run.ok else {} for run in runs]
    for label, mine, theirs in STAGE_ROWS:
        cells = _cell(timings[0].get(mine)) + _cell(timings[1].get(theirs))
        lines.append(f"{label + ' (s)':32}{cells}")
    other = [
        run.wall - sum(t.values()) if t else None for run, t in zip(runs, timings, strict=True)
    ]
    lines.append(f"{'startup, imports, writing (s)':32}{_cell(other[0])}{_cell(other[1])}")
    # A baseline stopped early ran at least this long and used at least this much.
    at_least = ">=" if baseline.timed_out else ""
    lines.append(
        f"{'total wall time (s)':32}{_cell(ours.wall)}{_cell(baseline.wall)}"
        f"{_ratio(baseline.wall, ours.wall, at_least)}"
    )
    lines.append(
        f"{'CPU seconds (user + system)':32}{_cell(ours.cpu)}{_cell(baseline.cpu)}"
        f"{_ratio(baseline.cpu, ours.cpu, at_least)}"
    )
    lines.append(
        f"{'peak memory (MiB)':32}{_cell(ours.peak / MIB, 0)}{_cell(baseline.peak / MIB, 0)}"
        f"{_ratio(baseline.peak, ours.peak, at_least)}"
    )
    load = _cell(100 * ours.other_load, 0) + _cell(100 * baseline.other_load, 0)
    lines.append(f"{'CPU used by other processes (%)':32}{load}")
    return lines


def _cell(value: float | None, digits: int = 2) -> str:
    return f"{'-':>12}" if value is None else f"{value:>12,.{digits}f}"


def _ratio(theirs: float, mine: float, prefix: str = "") -> str:
    return f"{prefix + f'{theirs / mine:.1f}x':>16}" if mine else f"{'-':>16}"


def code_fingerprint() -> str:
    """Short hash of basket_segments/analytics/*.py: that package changes between runs,
    sometimes during one, and a report must say which code it measured."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "basket_segments" / "analytics").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def header(
    size: str, data: Path, args: argparse.Namespace, ours: Run, baseline: Run, code: str
) -> list[str]:
    """What was run, on what data, code and machine, and how each run ended."""
    summary = ours.summary or baseline.summary or {}
    memory = psutil.virtual_memory().total / 2**30
    versions = ", ".join(f"{name} {version(name)}" for name in PACKAGES)
    return [
        f"== {size}: {data.relative_to(ROOT) if data.is_relative_to(ROOT) else data}",
        f"{summary.get('customers', 0):,} customers, {summary.get('purchase_rows', 0):,} "
        f"purchase rows, {summary.get('products', 0):,} products; k={args.k}, "
        f"min_support={args.min_support}, min_confidence={args.min_confidence}, "
        f"max_length={args.max_length} (baseline: {_baseline_length(args) or 'no limit'}), "
        f"ours --jobs {args.jobs or 'default'}, {args.format} file",
        f"machine: {os.cpu_count()} CPUs, {memory:.1f} GiB RAM, Python {platform.python_version()}",
        f"packages: {versions}",
        f"analytics code (sha256 of basket_segments/analytics/*.py): {code}",
        f"ours: {ours.status}; baseline: {baseline.status}",
        "",
    ]


def run_contenders(commands: dict[str, list[str]], size: str, args: argparse.Namespace) -> dict:
    """Every contender ``args.repeat`` times, alternating, so a slow spell of the machine
    hits both; a contender that fails is not run again."""
    timeouts = {"ours": args.ours_timeout, "baseline": args.baseline_timeout}
    runs: dict[str, list[Run]] = {name: [] for name in commands}
    for _ in range(args.repeat):
        for name, command in commands.items():
            if all(run.ok for run in runs[name]):
                wait_for_quiet(args.quiet_below, args.quiet_wait)
                runs[name].append(measure(command, ROOT, OUT / size / name, timeouts[name]))
    return runs


def representative(runs: list[Run]) -> Run:
    """The first failed run if any, else the run with the median wall time."""
    failed = [run for run in runs if not run.ok]
    return failed[0] if failed else sorted(runs, key=lambda run: run.wall)[(len(runs) - 1) // 2]


def repeat_line(runs: dict[str, list[Run]]) -> list[str]:
    """All wall times, when there were several runs, so the spread is visible."""
    if max(len(each) for each in runs.values()) < 2:
        return []
    walls = "; ".join(
        f"{name} {', '.join(f'{run.wall:.2f} ({run.other_load:.0%})' for run in each)}"
        for name, each in runs.items()
    )
    return [
        f"wall times of each run in s (CPU used by other processes): {walls}; "
        "the median run is shown",
        "",
    ]


def bench_size(size: str, args: argparse.Namespace) -> str:
    """Generate data, run both contenders at each CPU count, and return the report of one
    size, ending with the lead at each count when there are several."""
    data = generate(size, args.format)
    reports, leads = [], []
    for cpus in args.cpus or [None]:
        report, ours, baseline = bench_pinned(size, data, cpus, args)
        reports.append(report)
        if ours.ok and baseline.ok:
            leads.append(f"{cpu_words(cpus)} {baseline.wall / ours.wall:.1f}x")
    if len(reports) > 1:
        reports.append(f"lead of ours (baseline wall / ours wall): {'; '.join(leads)}\n")
    return "\n".join(reports)


def cpu_words(cpus: int | None) -> str:
    """'1 CPU', '2 CPUs', or 'every CPU' for an unpinned run."""
    if cpus is None:
        return "every CPU"
    return f"{cpus} CPU" + ("" if cpus == 1 else "s")


def bench_pinned(
    size: str, data: Path, cpus: int | None, args: argparse.Namespace
) -> tuple[str, Run, Run]:
    """Both contenders on ``cpus`` CPUs: the report and each one's representative run."""
    code = code_fingerprint()
    commands = {
        name: pinned(command, cpus)
        for name, command in contender_commands(data, size, args).items()
    }
    runs = run_contenders(commands, size, args)
    if code_fingerprint() != code:
        code += f", CHANGED DURING THE RUN to {code_fingerprint()}: results may mix versions"
    ours, baseline = representative(runs["ours"]), representative(runs["baseline"])
    lines = header(size, data, args, ours, baseline, code)
    lines[0] += f" ({cpu_words(cpus)})"
    lines += [*repeat_line(runs), *stage_table(ours, baseline), ""]
    lines += rule_comparison(ours, baseline)
    return "\n".join(lines) + "\n", ours, baseline


def compile_bytecode() -> None:
    """Write the package's bytecode before timing, as ``pip install`` does: with
    ``PYTHONDONTWRITEBYTECODE`` set (as on some machines here) every run of ours would
    compile its own modules again (0.1 s), a cost no installed copy pays. The
    baseline is one script, compiled in every run as Python always does."""
    import compileall

    compileall.compile_dir(ROOT / "basket_segments", quiet=1)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    compile_bytecode()
    for size in args.sizes:
        report = bench_size(size, args)
        print(report, flush=True)
        pins = "-".join(f"{cpus}cpu" for cpus in args.cpus or [])
        name = "-".join(part for part in (size, args.format, pins) if part)
        (OUT / f"report-{name}.txt").write_text(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
