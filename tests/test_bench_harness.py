"""The benchmark's local harness still drives the engine it subclasses.

``bench/engines.py`` meters the local engine through a subclass; when the engine gained
state of its own (its scikit-learn process), the subclass broke without any test noticing.
"""

from basket_segments.analytics.stages import AnalysisOptions
from basket_segments.cli.commands import main
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
