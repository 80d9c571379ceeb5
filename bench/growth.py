"""The growth curve: time and peak memory per stage, local engine and Spark, 50k to 20M rows.

``bench/engines.py`` measures each size and leaves ``bench/out/engines/figures-<size>.json``;
this script turns the sizes measured so far into one Markdown table and one PNG chart
(matplotlib, a bench-only dependency: requirements-bench.txt).

Usage (from the repository root):
    python bench/engines.py --sizes small medium large huge --max-length 10 \\
        --spark-conf spark.driver.memory=12g --quiet-wait 120 --quiet-below 25
    python bench/growth.py [--out bench/out/growth.png]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.engines import OUT, STAGES
from bench.generate import SIZES

ENGINES = ("local", "spark")


def load_figures() -> dict[str, dict]:
    """The figures of every size measured so far, smallest first."""
    found = {}
    for size in SIZES:
        path = OUT / f"figures-{size}.json"
        if path.exists():
            found[size] = json.loads(path.read_text())
    return found


def table(figures: dict[str, dict]) -> list[str]:
    """One row per size and engine: seconds / peak MiB of each stage, then the process."""
    head = ["rows", "engine", *STAGES, "process wall s", "peak MiB"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for runs in figures.values():
        for engine in ENGINES:
            run = runs.get(engine)
            if run is None:
                continue
            rows = run.get("purchase_rows") or _rows_of(runs)
            if run["status"] != "ok":
                lines.append(f"| {rows:,} | {engine} | {run['status']} |" + " |" * (len(head) - 3))
                continue
            cells = [_stage_cell(run["stages"].get(stage)) for stage in STAGES]
            lines.append(
                f"| {rows:,} | {engine} | "
                + " | ".join(cells)
                + f" | **{run['wall']:.1f}** | **{run['peak_mib']:,.0f}** |"
            )
    return lines


def _rows_of(runs: dict) -> int:
    return max((run.get("purchase_rows") or 0) for run in runs.values())


def _stage_cell(entry: dict | None) -> str:
    if entry is None:
        return "-"
    return f"{entry['seconds']:.2f} / {entry['peak_mib']:,.0f}"


def chart(figures: dict[str, dict], path: Path) -> None:
    """Wall time and peak memory against purchase rows (log scales), per engine and stage."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (time_axis, memory_axis) = plt.subplots(1, 2, figsize=(12, 5))
    for engine, colour in zip(ENGINES, ("tab:blue", "tab:orange"), strict=True):
        points = [
            (_rows_of(runs), runs[engine])
            for runs in figures.values()
            if runs.get(engine, {}).get("status") == "ok"
        ]
        if not points:
            continue
        rows = [n for n, _ in points]
        time_axis.plot(rows, [r["wall"] for _, r in points], "o-", color=colour, label=engine)
        memory_axis.plot(
            rows, [r["peak_mib"] / 1024 for _, r in points], "o-", color=colour, label=engine
        )
        for stage, style in zip(
            STAGES, (":", "--", "-.", (0, (1, 3)), (0, (5, 1)), ":"), strict=True
        ):
            seconds = [r["stages"].get(stage, {}).get("seconds") for _, r in points]
            if any(s is not None for s in seconds):
                time_axis.plot(
                    rows,
                    [s or float("nan") for s in seconds],
                    linestyle=style,
                    color=colour,
                    alpha=0.6,
                    label=f"{engine}: {stage}",
                )
    memory_axis.axhline(24, color="grey", linewidth=0.8)
    memory_axis.text(rows[0], 24 * 1.05, "this machine: 24 GiB", color="grey")
    for axis, label in (
        (time_axis, "seconds (whole process; stages dotted)"),
        (memory_axis, "peak memory of the process tree, GiB"),
    ):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("purchase rows")
        axis.set_ylabel(label)
        axis.grid(True, which="both", alpha=0.3)
    time_axis.legend(fontsize=7, ncol=2)
    memory_axis.legend()
    fig.suptitle("Local engine and Spark (local[*], 2 cores) on one machine")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Growth table and chart from bench/engines.py.")
    parser.add_argument("--out", type=Path, default=OUT.parent / "growth.png")
    args = parser.parse_args(argv)
    figures = load_figures()
    if not figures:
        print("No figures yet: run bench/engines.py first.", file=sys.stderr)
        return 1
    print("\n".join(table(figures)))
    chart(figures, args.out)
    print(f"\nchart: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
