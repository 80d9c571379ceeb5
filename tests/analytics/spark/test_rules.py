"""FPGrowth rules on Spark: the same rules as the local engine, thresholds exactly inclusive."""

import pandas as pd
import pytest

from basket_segments.analytics.baskets import build_baskets
from basket_segments.analytics.measures import MEASURE_COLUMNS
from basket_segments.analytics.pipeline import analyze
from basket_segments.analytics.prepare import load_dataset
from basket_segments.analytics.rules import RuleParams, mine_rules
from basket_segments.analytics.spark.engine import SparkEngine
from basket_segments.analytics.spark.rules import mine_spark
from basket_segments.analytics.stages import AnalysisOptions

pytestmark = pytest.mark.spark

MEASURES = [
    "support",
    "confidence",
    "lift",
    "leverage",
    "lift_vs_all",
    "p_value",
    "p_adjusted",
    *MEASURE_COLUMNS,
]
EXACT = ["count", "antecedent_count", "consequent_count", "baskets", "redundant", "sentence"]


def spark_rules(spark, path, params: RuleParams) -> pd.DataFrame:
    options = AnalysisOptions(segment=False, rules=params)
    return analyze(SparkEngine(spark), str(path), options).rules


def assert_same_rules(spark_table: pd.DataFrame, local_table: pd.DataFrame) -> None:
    """Rule by rule: the same (segment, antecedent, consequent) set, exact counts and
    flags, measures to a floating-point tolerance."""
    key = ["segment", "antecedent", "consequent"]
    ours = spark_table.set_index(key).sort_index()
    theirs = local_table.set_index(key).sort_index()
    assert ours.index.tolist() == theirs.index.tolist()
    pd.testing.assert_frame_equal(ours[EXACT], theirs[EXACT], check_dtype=False)
    pd.testing.assert_frame_equal(ours[MEASURES], theirs[MEASURES], rtol=1e-9, atol=1e-12)


@pytest.fixture(scope="module")
def groceries_local(shared_data):
    return build_baskets(load_dataset(shared_data / "groceries.csv").purchases)


@pytest.mark.parametrize("max_length", [3, 2])
def test_groceries_rules_match_the_local_engine(spark, shared_data, groceries_local, max_length):
    params = RuleParams(0.01, 0.3, max_length=max_length, single_consequent=True)
    ours = spark_rules(spark, shared_data / "groceries.csv", params)
    theirs = mine_rules(groceries_local, params=params)
    assert len(theirs) == (125 if max_length == 3 else 69)
    assert_same_rules(ours, theirs)


def boundary_baskets(path) -> None:
    """100 baskets: tea and jam together in 7, tea in 10, jam in 7, milk in 83.

    At min support 0.07 the pair is exactly at the threshold (7 of 100), and
    ``jam -> tea`` has confidence 1, ``tea -> jam`` exactly 0.7.
    """
    lines = ["tea,jam"] * 7 + ["tea,milk"] * 3 + ["milk,bread"] * 80 + ["bread"] * 10
    path.write_text("\n".join(lines) + "\n")


def test_thresholds_exactly_met_are_kept(spark, tmp_path):
    path = tmp_path / "baskets.csv"
    boundary_baskets(path)
    params = RuleParams(0.07, 0.7, max_length=2, single_consequent=True)
    ours = spark_rules(spark, path, params)
    found = {(a, c): n for a, c, n in ours[["antecedent", "consequent", "count"]].itertuples(False)}
    assert found[(("tea",), ("jam",))] == 7
    assert found[(("jam",), ("tea",))] == 7
    theirs = mine_rules(build_baskets(load_dataset(path).purchases), params=params)
    assert_same_rules(ours, theirs)


def test_plain_fpgrowth_would_drop_a_rule_exactly_at_the_threshold(spark):
    """Why we do not pass min_support to FPGrowth as it is: 0.07 * 100 rounds up to 8."""
    from pyspark.ml.fpm import FPGrowth

    baskets = [(["tea", "jam"],)] * 7 + [(["milk"],)] * 93
    frame = spark.createDataFrame(baskets, "items array<string>")
    itemsets = FPGrowth(minSupport=0.07).fit(frame).freqItemsets.collect()
    assert [row["items"] for row in itemsets] == [["milk"]]


def test_lift_against_all_customers_counts_rules_found_only_in_a_segment(spark):
    """tea and jam are frequent in segment 0's 30 baskets, not among all 240, so the Spark
    engine counts the pair over all baskets itself, as the local engine does."""
    baskets = [("a", ["tea", "jam"])] * 30 + [("b", ["milk", "bread"])] * 200
    baskets += [("b", ["tea"])] * 10
    rows = [(str(i), customer, items) for i, (customer, items) in enumerate(baskets)]
    segments = pd.Series({"a": 0, "b": 1})
    frame = spark.createDataFrame(rows, "basket string, customer string, items array<string>")
    labels = spark.createDataFrame(list(segments.items()), "customer string, segment int")
    params = RuleParams(0.2, 0.5, max_length=2, single_consequent=True)
    ours, sizes, _kept = mine_spark(frame.join(labels, "customer"), 2, {}, params)
    assert sizes == {-1: 240, 0: 30, 1: 210}
    rule = ours.set_index(["segment", "antecedent", "consequent"]).loc[(0, ("jam",), ("tea",))]
    assert rule["lift"] == pytest.approx(1.0)  # every basket of the segment has both
    assert rule["lift_vs_all"] == pytest.approx(1.0 / (30 * 240 / (30 * 40)))
    purchases = pd.DataFrame(
        [(c, b, item) for b, c, items in rows for item in items],
        columns=["customer", "basket", "product"],
    )
    theirs = mine_rules(build_baskets(purchases, "invoice"), segments, params=params)
    assert_same_rules(ours, theirs)


def test_customer_day_baskets_of_transactions_match_the_local_engine(spark, shared_data):
    """Groceries_dataset.csv has no invoices: a basket is one customer's purchases of a day."""
    path = shared_data / "Groceries_dataset.csv"
    params = RuleParams(0.002, 0.05, max_length=3, single_consequent=True)
    options = AnalysisOptions(segment=False, basket="invoice", rules=params)
    ours = analyze(SparkEngine(spark), str(path), options)
    theirs = mine_rules(build_baskets(load_dataset(path).purchases, "invoice"), params=params)
    assert len(theirs) == 219
    assert ours.summary["baskets"] == 14_963
    assert_same_rules(ours.rules, theirs)
