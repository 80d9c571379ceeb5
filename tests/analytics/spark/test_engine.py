"""The command line on the Spark engine: the local engine's result files from a Parquet file."""

import json

import pandas as pd
import pytest

from basket_segments.analytics.sample import generate_sample
from basket_segments.cli.commands import main

pytestmark = pytest.mark.spark

OPTIONS = [
    "--k",
    "5",
    "--n-init",
    "2",
    "--min-support",
    "0.05",
    "--min-confidence",
    "0.5",
    "--single-consequent",
]


@pytest.fixture(scope="module")
def runs(spark, tmp_path_factory):
    """One generated combined dataset analysed by both engines (Spark writes the segments
    table itself, as it would for millions of customers)."""
    folder = tmp_path_factory.mktemp("engines")
    data = folder / "sample.parquet"
    # The sample without its dates and prices, one row per customer and product, as it was
    # before it had dates: with them, every feature (Recency, Frequency, Monetary too) gives
    # the two engines different KMeans segments of it (33% of customers, 600 customers).
    undated = generate_sample(600, 60, seed=3).drop(columns=["Date", "Price"])
    undated.drop_duplicates(["CustomerID", "Product"]).to_parquet(data, index=False)
    local, ours, parts = folder / "local", folder / "spark", folder / "segments-parts"
    assert main(["analyze", str(data), *OPTIONS, "--out", str(local)]) == 0
    spark_options = ["--engine", "spark", "--segments-out", str(parts)]
    assert main(["analyze", str(data), *OPTIONS, *spark_options, "--out", str(ours)]) == 0
    return local, ours, parts


def read_rules(folder):
    rules = pd.read_csv(folder / "rules.csv")
    return rules.sort_values(["segment", "antecedent", "consequent"], ignore_index=True)


def test_spark_writes_the_segments_table_itself(runs):
    local, ours, parts = runs
    assert not (ours / "segments.csv").exists()
    summary = json.loads((ours / "summary.json").read_text())
    assert summary["segments_path"] == str(parts)
    written = pd.concat(pd.read_csv(part) for part in parts.glob("part-*.csv"))
    expected = pd.read_csv(local / "segments.csv")
    written = written.sort_values("customer", ignore_index=True)
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)


def test_both_engines_find_the_same_rules_and_top_products(runs):
    local, ours, _ = runs
    ours_rules, local_rules = read_rules(ours), read_rules(local)
    assert len(ours_rules) == len(local_rules) > 0
    pd.testing.assert_frame_equal(ours_rules, local_rules, check_exact=False, rtol=1e-9)
    products = pd.read_csv(ours / "top_products.csv")
    pd.testing.assert_frame_equal(products, pd.read_csv(local / "top_products.csv"))


def test_the_summary_times_each_spark_stage(runs):
    local, ours, _ = runs
    summary = json.loads((ours / "summary.json").read_text())
    assert list(summary["timings"]) == [
        "spark_start",
        "read",
        "features",
        "segment",
        "rules",
        "products",
    ]
    expected = json.loads((local / "summary.json").read_text())
    for key in ("customers", "purchase_rows", "products", "baskets", "sizes", "rules"):
        assert summary[key] == expected[key], key
    assert summary["cleaning"]["dropped"] == expected["cleaning"]["dropped"]
