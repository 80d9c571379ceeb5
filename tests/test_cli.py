"""The command line: result files, progress lines, and one-sentence errors."""

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from basket_segments.analytics.migration import LAPSED, NEW
from basket_segments.analytics.rules import RULE_COLUMNS
from basket_segments.cli.commands import PERIOD_FILES, build_parser, main
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


def test_significance_keeps_the_rules_whose_corrected_p_value_is_at_most_it(tmp_path, capsys):
    """``--significance 0.05 --correction bh`` keeps what Benjamini-Hochberg over each
    segment's rules (statsmodels' fdr_bh) keeps at 5 %; without it every rule stays."""
    common = ["analyze", "--sample", "--k", "3"]
    assert main([*common, "--out", str(tmp_path / "every")]) == 0
    chosen = ["--significance", "0.05", "--correction", "bh"]
    assert main([*common, *chosen, "--out", str(tmp_path / "kept")]) == 0
    every = pd.read_csv(tmp_path / "every" / "rules.csv")
    kept = pd.read_csv(tmp_path / "kept" / "rules.csv")
    assert list(every.columns) == list(kept.columns) == RULE_COLUMNS
    adjusted = every.groupby("segment")["p_value"].transform(
        lambda p: multipletests(p, method="fdr_bh")[1]
    )
    expected = every[adjusted <= 0.05]
    key = ["segment", "antecedent", "consequent"]
    assert kept[key].values.tolist() == expected[key].values.tolist()
    assert 0 < len(kept) < len(every)
    summary = json.loads((tmp_path / "kept" / "summary.json").read_text())
    assert summary["rules"] == len(kept)
    assert summary["rule_params"]["significance"] == 0.05
    assert summary["rule_params"]["correction"] == "bh"
    assert main([*common, "--significance", "5", "--out", str(tmp_path / "bad")]) == 2
    assert "significance must be above 0 and at most 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*common, "--correction", "bonferroni"])


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
status = main(["analyze", sys.argv[1], "--k", "3", "--out", sys.argv[2], *sys.argv[3:]])
unused = ["sklearn", "pyarrow.parquet", "basket_segments.analytics.over_time",
          "basket_segments.analytics.spark.engine"]
print(status, [name for name in unused if name in sys.modules])
"""


def test_the_command_line_segments_without_importing_scikit_learn_itself(tmp_path):
    """scikit-learn's import and KMeans happen in a process of their own (a fresh
    interpreter, since this one has scikit-learn loaded); and a CSV file's run without
    periods loads neither Parquet's reader (with pyarrow's file systems, 0.07 s), nor over
    time's code, nor the Spark engine's."""
    data = tmp_path / "sample.csv"
    assert main(["sample", str(data)]) == 0
    run = subprocess.run(
        [sys.executable, "-c", MAIN_PROCESS_CHECK, str(data), str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.splitlines()[-1] == "0 []"
    segments = pd.read_csv(tmp_path / "segments.csv")
    assert sorted(segments["segment"].unique()) == [0, 1, 2]


def dated_purchases(path, customers=40, seed=5):
    """A small transactions file over three months: each customer buys on a few random days,
    some only in January, some only later, so periods have new and lapsed customers."""
    rng = np.random.default_rng(seed)
    rows, invoice = ["Customer,Invoice,Date,Product,Quantity,Price"], 0
    for customer in range(customers):
        months = [m for m in (1, 2, 3) if rng.random() < 0.7] or [1]
        for month in months:
            for _ in range(rng.integers(1, 4)):
                invoice += 1
                day = f"2020-{month:02d}-{rng.integers(1, 29):02d}"
                for product in rng.choice(["tea", "jam", "milk", "bread", "eggs"], 3):
                    rows.append(f"c{customer},{invoice},{day},{product},1,{rng.integers(1, 9)}")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_periods_write_the_migration_and_each_periods_segments_and_rules(tmp_path, capsys):
    data = dated_purchases(tmp_path / "dated.csv")
    out = tmp_path / "out"
    arguments = ["analyze", str(data), "--k", "3", "--periods", "month", "--out", str(out)]
    assert main([*arguments, "--min-support", "0.1", "--max-length", "3"]) == 0
    assert {p.name for p in out.iterdir()} == RESULT_FILES | set(PERIOD_FILES.values())
    assert "over_time: 3 periods, segments fitted on 2020-01" in capsys.readouterr().out
    by_period = pd.read_csv(out / "segments_by_period.csv", dtype={"customer": str})
    assert list(by_period.columns[:4]) == ["customer", "period", "segment", "segment_name"]
    raw = pd.read_csv(data, parse_dates=["Date"])
    seen = raw.groupby(raw["Date"].dt.strftime("%Y-%m"))["Customer"].unique()
    for month, customers in seen.items():
        assert set(by_period.loc[by_period["period"] == month, "customer"]) == set(customers)
    migration = pd.read_csv(out / "migration.csv")
    assert list(migration.columns[:3]) == ["period", "from", "to"]
    assert set(migration["period"]) == {"2020-02", "2020-03"}
    for month, cells in migration.groupby("period"):
        crosstab = _crosstab(by_period, "2020-01", month)
        got = cells.set_index(["from", "to"])["customers"]
        assert got[got > 0].sort_index().to_dict() == crosstab.to_dict()
    rules = pd.read_csv(out / "rules_by_period.csv")
    assert set(rules["period"]) <= {"2020-01", "2020-02", "2020-03"} and len(rules)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["periods"]["reference"] == "2020-01"
    assert summary["periods"]["customers"] == {m: len(c) for m, c in seen.items()}


def _crosstab(by_period: pd.DataFrame, first: str, later: str) -> pd.Series:
    """Customers per (from, to), counted with pandas from segments_by_period."""
    names = by_period.set_index(["period", "customer"])["segment_name"]
    both = pd.concat([names[first].rename("from"), names[later].rename("to")], axis=1)
    counts = pd.crosstab(both["from"].fillna(NEW), both["to"].fillna(LAPSED)).stack()
    return counts[counts > 0].sort_index()


def test_split_date_alone_splits_at_the_middle_month(tmp_path, capsys):
    data = dated_purchases(tmp_path / "dated.csv")
    out = tmp_path / "out"
    assert main(["analyze", str(data), "--k", "2", "--split-date", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["periods"]["labels"] == ["2020-01-01 to 2020-01-31", "2020-02-01 to 2020-03-28"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--split-date", "2021-05-01"], "The split date 2021-05-01 is outside the data, whose "),
        (["--split-date", "01/04/2020"], "--split-date must be a date such as 2011-04-01, not"),
        (["--periods", "week"], "Periods are month, quarter or a number of days such as 30d"),
        (
            ["--periods", "7d", "--k", "6"],
            r"The period \S+ to \S+ has \d customers?, too few for 6 ",
        ),
        (["--periods", "month", "--no-segments"], "Comparing periods needs segments"),
    ],
)
def test_periods_that_cannot_be_compared_fail_with_one_sentence(
    tmp_path, capsys, arguments, message
):
    data = dated_purchases(tmp_path / "dated.csv")
    assert main(["analyze", str(data), *arguments, "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert re.search(message, error) and error.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_data_without_dates_cannot_be_compared(shared_data, tmp_path, capsys):
    mall = str(shared_data / "Mall_Customers.csv")
    assert main(["analyze", mall, "--split-date", "--out", str(tmp_path)]) == 2
    assert "Comparing periods needs purchases with dates" in capsys.readouterr().err


def test_periods_are_segmented_without_importing_scikit_learn_here_either(tmp_path):
    """The reference period's KMeans runs in the same process of its own as the whole
    file's, which stays open until then (over time's code is loaded now)."""
    data = dated_purchases(tmp_path / "dated.csv")
    run = subprocess.run(
        [sys.executable, "-c", MAIN_PROCESS_CHECK, str(data), str(tmp_path), "--periods", "month"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.splitlines()[-1] == "0 ['basket_segments.analytics.over_time']"
    assert (tmp_path / "migration.csv").exists()


def test_reference_fits_the_segments_on_another_period(tmp_path, capsys):
    """``--reference 2``: segments fitted on February; January and March are placed in
    them, and the migration compares February with each of them."""
    data = dated_purchases(tmp_path / "dated.csv")
    out = tmp_path / "out"
    arguments = ["analyze", str(data), "--k", "3", "--periods", "month", "--reference", "2"]
    assert main([*arguments, "--out", str(out)]) == 0
    assert "segments fitted on 2020-02" in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert summary["periods"]["reference"] == "2020-02"
    migration = pd.read_csv(out / "migration.csv")
    assert set(migration["period"]) == {"2020-01", "2020-03"}
    by_period = pd.read_csv(out / "segments_by_period.csv", dtype={"customer": str})
    for month, cells in migration.groupby("period"):
        got = cells.set_index(["from", "to"])["customers"]
        assert (
            got[got > 0].sort_index().to_dict() == _crosstab(by_period, "2020-02", month).to_dict()
        )


@pytest.mark.parametrize(
    ("arguments", "sentence"),
    [
        (["--periods", "month", "--reference", "4"], "must be one of the 3 periods"),
        (["--periods", "month", "--reference", "0"], "--reference counts periods from 1, not 0"),
        (["--reference", "2"], "--reference needs --split-date or --periods"),
    ],
)
def test_a_reference_period_that_is_not_one_gets_a_sentence(tmp_path, capsys, arguments, sentence):
    data = dated_purchases(tmp_path / "dated.csv")
    assert main(["analyze", str(data), "--k", "2", *arguments, "--out", str(tmp_path)]) != 0
    assert sentence in capsys.readouterr().err
