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
