"""The benchmark's local harness still drives the engine it subclasses.

``bench/engines.py`` meters the local engine through a subclass; when the engine gained
state of its own (its scikit-learn process), the subclass broke without any test noticing.
"""

import subprocess
import sys

from basket_segments.analytics.sample import generate_sample
from basket_segments.analytics.stages import AnalysisOptions
from basket_segments.cli.commands import main
from bench import run
from bench.engines import StageMeter, run_local


def test_the_growth_benchmark_runs_the_local_engine_stage_by_stage(tmp_path):
    data = tmp_path / "sample.csv"
    assert main(["sample", str(data), "--customers", "400"]) == 0
    meter = StageMeter()
    try:
        result = run_local(str(data), AnalysisOptions(k=3), meter)
    finally:
        meter.done.set()
    assert set(meter.stages) >= {"read", "features", "segment", "rules", "products"}
    assert all(stage["seconds"] >= 0 for stage in meter.stages.values())
    assert sum(result.summary["sizes"].values()) == 400


def test_the_over_time_benchmark_times_a_segmentation_and_a_comparison(tmp_path):
    """``bench/over_time.py`` drives a live server through Segments and Over time."""
    from bench import over_time
    from tests.test_over_time_callbacks import DATED

    data = tmp_path / "dated.csv"
    data.write_text(DATED)
    ((segmenting, comparing, summary),) = over_time.main(
        ["--file", str(data), "--rounds", "1", "--k", "3"]
    )
    assert segmenting > 0 and comparing > 0
    assert summary.startswith("2 periods, segments fitted on 2020-01-01")


def test_pinned_commands_see_only_the_cpus_they_are_given():
    """``bench/run.py --cpus 1`` is the one-CPU lead only if the children really get one."""
    probe = [sys.executable, "-c", "import os; print(len(os.sched_getaffinity(0)))"]
    seen = subprocess.run(run.pinned(probe, 1), capture_output=True, text=True, check=True)
    assert seen.stdout.strip() == "1"


def test_the_pinned_comparison_reports_cpu_seconds_and_the_same_rules(tmp_path, monkeypatch):
    """Both contenders run pinned on a small file and the report says so, with CPU seconds."""
    data = tmp_path / "sample.csv"
    generate_sample(400, dated=False).to_csv(data, index=False)  # as bench.generate writes
    monkeypatch.setattr(run, "OUT", tmp_path / "out")
    args = run.build_parser().parse_args(["--cpus", "1", "--k", "3", "--min-support", "0.1"])
    report, ours, baseline = run.bench_pinned("harness", data, 1, args)
    assert ours.ok and baseline.ok, (ours.status, baseline.status)
    assert ours.cpu > 0 and baseline.cpu > 0
    assert report.splitlines()[0].endswith("(1 CPU)")
    assert "CPU seconds (user + system)" in report
    assert "per-segment rule counts as multisets" in report and ": SAME" in report


def test_the_load_benchmark_clicks_the_rule_views(capsys):
    """``bench/load.py`` drives one user through a live server, the Rules page's matrix and
    graph clicks included: each lists rules, and their p95 is reported."""
    from bench import load

    one_user = ["--users", "1", "--rounds", "1", "--workers", "1", "--customers", "150"]
    status = load.main([*one_user, "--no-explosive", "--no-bombs"])
    printed = capsys.readouterr().out
    assert status == 0, printed[-3000:]
    clicks = [line for line in printed.splitlines() if line.startswith("rule view click")]
    assert clicks and int(clicks[0].split()[3]) == len(load.RULE_VIEW_CLICKS)
    assert "Rule view click p95:" in printed and "0 leaks" in printed


def test_the_alternating_comparison_reports_each_stage_pinned(tmp_path):
    """``bench/ab.py --cpus 1``: before and after alternated on one CPU, with each stage's
    seconds (its CPU seconds there) read from the runs' summaries."""
    from tests.conftest import REPO

    data = tmp_path / "sample.csv"
    generate_sample(300, dated=False).to_csv(data, index=False)
    command = [sys.executable, "bench/ab.py", "--runs", "1", "--cpus", "1", "a=.", "b=."]
    command += ["--", str(data), "--k", "3", "--min-support", "0.1"]
    printed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True)
    lines = printed.stdout.splitlines()
    assert [line.split()[0] for line in lines[::2]] == ["a", "b"]
    for stages in lines[1::2]:
        named = dict(part.rsplit(" ", 1) for part in stages.split(": ", 1)[1].split(", "))
        assert {"load", "segment", "mine", "rules_table"} <= set(named)
        assert all(float(seconds) >= 0 for seconds in named.values())
