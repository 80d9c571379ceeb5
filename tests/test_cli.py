"""The command line: result files, progress lines, and one-sentence errors."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from basket_segments.cli.commands import build_parser, main
from tests.conftest import REPO

RESULT_FILES = {"segments.csv", "profiles.csv", "rules.csv", "top_products.csv", "summary.json"}


def test_analyze_sample_writes_every_result(tmp_path, capsys):
    assert main(["analyze", "--sample", "--k", "4", "--out", str(tmp_path)]) == 0
    assert {p.name for p in tmp_path.iterdir()} == RESULT_FILES
    lines = capsys.readouterr().out.splitlines()
    stages = [line.split(":")[0] for line in lines]
    assert stages[0] == "load"
    assert sorted(stages[1:3]) == ["baskets", "segment"]  # side by side: either ends first
    assert stages[3:6] == ["mine", "rules_table", "top_products"]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["k"] == 4
    assert sum(summary["sizes"].values()) == summary["customers"] == 3000
    assert set(summary["timings"]) >= {"load", "segment", "baskets", "mine", "rules_table"}
    rules = pd.read_csv(tmp_path / "rules.csv")
    assert len(rules) == summary["rules"] > 0
    assert json.loads(rules.loc[0, "antecedent"])[0] in set(
        pd.read_csv(tmp_path / "top_products.csv")["product"]
    ) | {json.loads(rules.loc[0, "antecedent"])[0]}
    segments = pd.read_csv(tmp_path / "segments.csv")
    assert list(segments.columns[:3]) == ["customer", "segment", "segment_name"]
    assert "Annual Income" in segments.columns


def test_analyze_transactions_includes_derived_rfm(shared_data, tmp_path):
    out = tmp_path / "retail"
    code = main(
        [
            "analyze",
            str(shared_data / "online_retail_2010-12.csv"),
            "--k",
            "3",
            "--basket",
            "invoice",
            "--min-support",
            "0.03",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    segments = pd.read_csv(out / "segments.csv", dtype={"customer": str})
    assert {"Recency", "Frequency", "Monetary"} <= set(segments.columns)
    assert len(segments) == 885
    summary = json.loads((out / "summary.json").read_text())
    assert summary["cleaning"]["dropped"]["cancellation"] == 728


def test_groceries_defaults_give_the_5668_rules_arules_publishes(shared_data, tmp_path):
    """arules' apriori caps rules at 10 products; so does our command line by default."""
    code = main(
        [
            "analyze",
            str(shared_data / "groceries.csv"),
            "--no-segments",
            "--min-support",
            "0.001",
            "--min-confidence",
            "0.5",
            "--single-consequent",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    rules = pd.read_csv(tmp_path / "rules.csv")
    assert len(rules) == 5668
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["rule_params"]["max_length"] == 10
    assert summary["cleaning_text"] == ["Read 9,835 baskets."]


def test_help_shows_every_default(capsys, monkeypatch):
    """Each option that takes a value says its default; flags and repeatable ones need not."""
    monkeypatch.setenv("COLUMNS", "500")  # no wrapping, so each help reads as one line
    with pytest.raises(SystemExit):
        main(["analyze", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "as in R's arules (default: 10)" in text
    analyze = build_parser()._subparsers._group_actions[0].choices["analyze"]
    formatter = analyze._get_formatter()
    for action in analyze._actions:
        takes_value = action.nargs != 0 and action.option_strings
        if takes_value and action.dest != "spark_conf":  # repeatable: nothing to default
            shown = " ".join(formatter._expand_help(action).split())
            assert "default" in shown, action.option_strings[0]
            assert shown in text
    assert "--min-lift MIN_LIFT inclusive (default: 0.0)" in text


def test_a_closed_pipe_ends_quietly(tmp_path):
    """``... | head -1``: the reader leaves early; no traceback, no error exit."""
    command = (
        f"{sys.executable} -m basket_segments.cli analyze --sample "
        f"--out {tmp_path / 'out'} | head -1"
    )
    run = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.stdout.startswith("load:")
    assert run.stderr == ""
    assert run.returncode == 0


def test_scale_standard_is_scikit_learns_textbook_kmeans(shared_data, tmp_path):
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler

    mall = shared_data / "Mall_Customers.csv"
    features = ["Annual Income (k$)", "Spending Score (1-100)", "Age"]
    out = tmp_path / "standard"
    arguments = ["analyze", str(mall), "--k", "5", "--scale", "standard", "--out", str(out)]
    assert main([*arguments, "--features", *features]) == 0
    ours = pd.read_csv(out / "segments.csv").sort_values("customer")
    table = pd.read_csv(mall).sort_values("CustomerID")
    model = KMeans(n_clusters=5, n_init=10, random_state=0)
    theirs = model.fit_predict(StandardScaler().fit_transform(table[features]))
    pairs = set(zip(ours["segment"], theirs, strict=True))
    assert len(pairs) == 5  # the same partition, numbered by size instead
    summary = json.loads((out / "summary.json").read_text())
    assert summary["inertia"] == pytest.approx(model.inertia_, rel=1e-12)
    assert summary["transformations"] == dict.fromkeys(features, "standardised")


def test_customer_table_says_there_are_no_rules(shared_data, tmp_path, capsys):
    assert main(["analyze", str(shared_data / "Mall_Customers.csv"), "--out", str(tmp_path)]) == 0
    assert "no product column" in capsys.readouterr().out
    assert pd.read_csv(tmp_path / "profiles.csv")["size"].sum() == 200


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--k", "500"], "too few for 500 segments"),
        (["--k", "five"], "--k must be a whole number"),
        (["--features", "Height"], "Unknown feature"),
        (["--min-support", "2"], "min_support"),
    ],
)
def test_bad_options_fail_with_one_sentence(shared_data, tmp_path, capsys, arguments, message):
    code = main(
        ["analyze", str(shared_data / "Mall_Customers.csv"), *arguments, "--out", str(tmp_path)]
    )
    assert code == 2
    error = capsys.readouterr().err
    assert message in error
    assert error.count("\n") == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "is empty"), (bytes(range(256)), "binary data"), (b"a,b\n1,2\n", "customer")],
)
def test_bad_files_exit_non_zero_without_traceback(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "basket_segments.cli",
            "analyze",
            str(path),
            "--out",
            str(tmp_path / "o"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "o").exists()


def test_sample_command_writes_a_loadable_csv(tmp_path):
    path = tmp_path / "sample.csv"
    assert main(["sample", str(path), "--customers", "100"]) == 0
    assert pd.read_csv(path)["CustomerID"].nunique() == 100


def explosive_basket_file(path, baskets=21, products=40):
    """Identical baskets of many products: every combination is a rule of confidence 1."""
    line = ",".join(f"p{i:03d}" for i in range(products)) + "\n"
    path.write_text(line * baskets + "tea\njam,tea\n")
    return path


def test_max_rules_keeps_the_strongest_and_says_how_many_were_left_out(tmp_path, capsys):
    data = explosive_basket_file(tmp_path / "explosive.csv")
    out = tmp_path / "out"
    short = ["--max-length", "3"]
    assert main(["analyze", str(data), *short, "--max-rules", "500", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    everything = 40 * 39 + 40 * 39 * 38  # at length 3
    assert summary["rules"] == 500 == len(pd.read_csv(out / "rules.csv"))
    note = f"All customers: kept the 500 strongest of {everything:,} rules"
    assert any(line.startswith(note) for line in summary["notes"])
    assert main(["analyze", str(data), *short, "--max-rules", "0", "--out", str(out)]) == 0
    assert json.loads((out / "summary.json").read_text())["rules"] == everything
    assert main(["analyze", str(data), "--max-rules", "-1", "--out", str(out)]) == 2
    assert "--max-rules must be 0 (no limit) or more" in capsys.readouterr().err


def test_run_exits_at_once_unless_workers_are_still_running(monkeypatch):
    """``run`` skips the interpreter's teardown with ``os._exit``, but not while worker
    processes live (the ordinary exit stops them)."""
    from basket_segments.cli import commands as cli

    class Exited(Exception):
        pass

    def fast_exit(status):
        raise Exited(status)

    monkeypatch.setattr(cli, "main", lambda: 3)
    monkeypatch.setattr(cli.os, "_exit", fast_exit)
    monkeypatch.setattr(cli.multiprocessing, "active_children", lambda: [])
    with pytest.raises(Exited) as exited:
        cli.run()
    assert exited.value.args == (3,)
    monkeypatch.setattr(cli.multiprocessing, "active_children", lambda: ["a worker"])
    with pytest.raises(SystemExit) as stopped:
        cli.run()
    assert stopped.value.code == 3


def test_collections_are_restored_after_the_analysis():
    import gc

    from basket_segments.cli.commands import fewer_collections

    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold()[0] == 50_000
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_the_analysis_allocates_arrow_memory_from_jemalloc(monkeypatch, tmp_path):
    """mimalloc, pyarrow's default, faulted in the large benchmark's memory over and over;
    the command line's analysis uses jemalloc, and gives the default back afterwards."""
    import pyarrow as pa

    from basket_segments.cli import commands as cli

    seen = []
    real_analyze = cli.analyze

    def analyze(*args, **kwargs):
        seen.append(pa.default_memory_pool().backend_name)
        return real_analyze(*args, **kwargs)

    before = pa.default_memory_pool().backend_name
    monkeypatch.setattr(cli, "analyze", analyze)
    assert cli.main(["analyze", "--sample", "--out", str(tmp_path)]) == 0
    assert seen == ["jemalloc"]
    assert pa.default_memory_pool().backend_name == before != "jemalloc"


MAIN_PROCESS_CHECK = """
import sys
from basket_segments.cli.commands import main
status = main(["analyze", sys.argv[1], "--k", "3", "--out", sys.argv[2]])
print(status, "sklearn" in sys.modules)
"""


def test_the_command_line_segments_without_importing_scikit_learn_itself(tmp_path):
    """scikit-learn's import and KMeans happen in a process of their own (a fresh
    interpreter, since this one has scikit-learn loaded)."""
    data = tmp_path / "sample.csv"
    assert main(["sample", str(data)]) == 0
    run = subprocess.run(
        [sys.executable, "-c", MAIN_PROCESS_CHECK, str(data), str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.splitlines()[-1] == "0 False"
    segments = pd.read_csv(tmp_path / "segments.csv")
    assert sorted(segments["segment"].unique()) == [0, 1, 2]
