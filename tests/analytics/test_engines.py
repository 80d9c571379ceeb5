"""Choosing an engine: local by default, and spark without pyspark ends in one sentence.

These run in the main suite, without pyspark or Java; the Spark engine itself
is tested in tests/analytics/spark (``-m spark``).
"""

import subprocess
import sys
import threading

import pandas as pd
import pytest

from basket_segments.analytics.engines import choose_engine
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.local import LocalEngine
from basket_segments.analytics.pipeline import analyze
from basket_segments.analytics.sample import generate_sample
from basket_segments.analytics.spark import engine
from basket_segments.analytics.spark.reading import file_format
from basket_segments.analytics.spark.session import MISSING_PYSPARK, out_of_memory_in_words
from basket_segments.analytics.stages import AnalysisOptions, StageClock
from basket_segments.cli.commands import main
from tests.conftest import REPO


@pytest.fixture
def no_pyspark(monkeypatch):
    """pyspark not importable, whether or not this machine has it."""
    monkeypatch.setitem(sys.modules, "pyspark", None)


def test_importing_the_package_and_the_cli_never_imports_pyspark():
    code = (
        "import sys, basket_segments.cli.commands, basket_segments.analytics.pipeline, "
        "basket_segments.analytics.spark.engine; "
        "print('pyspark' in sys.modules)"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert run.stdout.strip() == "False"


@pytest.mark.usefixtures("no_pyspark")
def test_spark_without_pyspark_is_one_sentence_and_exit_2(shared_data, tmp_path, capsys):
    data = str(shared_data / "Mall_Customers.csv")
    code = main(["analyze", data, "--engine", "spark", "--out", str(tmp_path / "out")])
    assert code == 2
    error = capsys.readouterr().err
    assert error == f"error: {MISSING_PYSPARK}\n"
    assert "requirements-spark.txt" in error
    assert not (tmp_path / "out").exists()


@pytest.mark.usefixtures("no_pyspark")
def test_analytics_engine_variable_chooses_spark(shared_data, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ANALYTICS_ENGINE", "spark")
    code = main(["analyze", str(shared_data / "Mall_Customers.csv"), "--out", str(tmp_path)])
    assert code == 2
    assert "needs pyspark" in capsys.readouterr().err


@pytest.mark.usefixtures("no_pyspark")
def test_local_engine_is_the_default_and_needs_no_pyspark(shared_data, tmp_path, monkeypatch):
    monkeypatch.delenv("ANALYTICS_ENGINE", raising=False)
    assert main(["analyze", str(shared_data / "Mall_Customers.csv"), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "profiles.csv").exists()
    assert '"engine": "local"' in (tmp_path / "summary.json").read_text()


def test_an_unknown_engine_in_the_environment_is_named():
    with pytest.raises(DataError, match="must be local or spark, not 'flink'"):
        choose_engine(None, {"ANALYTICS_ENGINE": "flink"})
    assert choose_engine("local", {"ANALYTICS_ENGINE": "spark"}) == "local"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("hdfs://namenode:8020/shop/sales.parquet", "parquet"),
        ("s3a://shop/sales/part-0001.csv", "csv"),
        ("sales.csv.gz", "csv"),
        ("file:///data/sales.PARQUET", "parquet"),
    ],
)
def test_spark_reads_csv_and_parquet_by_name(source, expected):
    assert file_format(source) == expected


def test_a_local_parquet_file_without_suffix_is_recognised(tmp_path):
    path = tmp_path / "export"
    path.write_bytes(b"PAR1" + b"\0" * 16)
    assert file_format(str(path)) == "parquet"


def test_excel_is_refused_by_the_spark_engine_with_advice():
    with pytest.raises(DataError, match=r"not Excel files.*--engine local"):
        file_format("/data/Online Retail.xlsx")


def test_spark_options_without_the_spark_engine_are_refused(shared_data, tmp_path, capsys):
    data = str(shared_data / "Mall_Customers.csv")
    code = main(["analyze", data, "--engine", "local", "--spark-master", "local[2]"])
    assert code == 2
    assert "need --engine spark" in capsys.readouterr().err


def test_a_segments_table_too_large_to_collect_goes_where_spark_can_write(monkeypatch):
    monkeypatch.setattr(engine, "COLLECT_SEGMENTS_MAX", 1_000)
    assert engine.large_table_destination(1_000, None) is None
    assert engine.large_table_destination(1_001, "hdfs:///x") == "hdfs:///x"
    with pytest.raises(DataError, match="1,001 customers are too many to collect"):
        engine.large_table_destination(1_001, None)


def test_java_running_out_of_memory_is_one_sentence_with_the_remedy():
    with pytest.raises(DataError, match=r"spark\.driver\.memory=8g"), out_of_memory_in_words():
        raise RuntimeError("An error occurred: java.lang.OutOfMemoryError: Java heap space")
    with pytest.raises(KeyError), out_of_memory_in_words():
        raise KeyError("any other error passes through")


def test_kmeans_restarts_can_be_chosen_for_either_engine(shared_data, tmp_path, capsys):
    data = str(shared_data / "Mall_Customers.csv")
    assert main(["analyze", data, "--n-init", "0", "--out", str(tmp_path)]) == 2
    assert "--n-init must be at least 1, not 0." in capsys.readouterr().err
    assert main(["analyze", data, "--n-init", "1", "--out", str(tmp_path)]) == 0


class RecordingEngine(LocalEngine):
    """The local engine, noting which thread built the baskets and what ``mine`` got."""

    def __init__(self):
        super().__init__()
        self.built, self.mined_with = [], []

    def baskets(self, data, options, clock):
        baskets = super().baskets(data, options, clock)
        self.built.append((threading.current_thread().name, baskets))
        return baskets

    def mine(self, data, segments, options, clock, baskets=None):
        self.mined_with.append(baskets)
        return super().mine(data, segments, options, clock, baskets)


def test_baskets_are_built_once_beside_the_segments():
    """KMeans and the baskets need nothing of each other: the baskets are built in a
    thread while this one segments, and mining gets them instead of building them again."""
    engine = RecordingEngine()
    result = analyze(engine, generate_sample(600), AnalysisOptions(k=3))
    ((thread, baskets),) = engine.built
    assert thread != threading.current_thread().name
    assert engine.mined_with == [baskets]
    assert result.summary["baskets"] == len(baskets) > 0
    assert {"segment", "baskets"} <= set(result.summary["timings"])


def test_the_products_are_counted_once_for_the_load_line_and_the_summary(monkeypatch):
    counted = []
    real = pd.Series.nunique

    def counting(values, *args, **kwargs):
        counted.append(values.name)
        return real(values, *args, **kwargs)

    monkeypatch.setattr(pd.Series, "nunique", counting)
    result = analyze(LocalEngine(), generate_sample(300), AnalysisOptions(k=3, segment=False))
    assert counted.count("product") == 1
    assert result.summary["products"] == real(generate_sample(300)["Product"])


def test_a_segmenting_error_still_waits_for_the_baskets_thread():
    """Too few customers for K: the sentence comes out, and no thread is left running."""
    engine = RecordingEngine()
    with pytest.raises(DataError, match="too few for 900 segments"):
        analyze(engine, generate_sample(600), AnalysisOptions(k=900))
    assert len(engine.built) == 1
    assert not [t for t in threading.enumerate() if t.name.startswith("baskets")]


def test_stage_times_from_two_threads_add_up_to_the_whole():
    clock = StageClock()
    started = clock.start
    laps = [threading.Thread(target=clock.lap, args=(f"stage {i}", "")) for i in range(8)]
    for lap in laps:
        lap.start()
    for lap in laps:
        lap.join()
    assert len(clock.timings) == 8
    assert sum(clock.timings.values()) == pytest.approx(clock.start - started, abs=0.01)
