"""Segments over time on Spark: the local engine's periods, per-period RFM, assignments and
migration, cell for cell, on a small dated shop and on five months of online retail."""

import numpy as np
import pandas as pd
import pytest

from basket_segments.analytics.errors import DataError
from basket_segments.analytics.local import LocalEngine
from basket_segments.analytics.migration import LAPSED, NEW
from basket_segments.analytics.periods import PeriodRule, parse_date
from basket_segments.analytics.spark.engine import SparkEngine
from basket_segments.analytics.spark.over_time import over_time_spark, split_by_period_spark
from basket_segments.analytics.stages import AnalysisOptions, StageClock
from basket_segments.cli.commands import main
from tests.analytics.test_over_time import (
    FIVE_MONTHS,
    RFM,
    SPLIT,
    assert_recomputed,
    assert_totals,
    independent_rfm,
)

pytestmark = pytest.mark.spark

#: Per customer type: baskets a month, their days, lines a basket and price a line.
TYPES = (
    (1, (2,), 1, 5),
    (3, (10, 17, 24), 2, 40),
    (6, (5, 9, 13, 17, 21, 25), 3, 300),
)
PRODUCTS = ("tea", "jam", "milk", "bread", "eggs")


def drifting_shop() -> str:
    """Six months of a shop with three clearly different kinds of customer: customers
    0-99 buy in January to March, 20-119 in April to June (so some lapse, some are new),
    and every tenth customer changes kind in April."""
    lines = ["Customer,Invoice,Date,Product,Price"]
    for customer in range(120):
        for month in range(1, 7):
            if not (customer < 100 if month <= 3 else customer >= 20):
                continue
            kind = (customer + (month >= 4 and customer % 10 == 0)) % 3
            baskets, days, size, price = TYPES[kind]
            for n in range(baskets):
                day = days[n] + customer % 3
                for line in range(size):
                    product = PRODUCTS[(customer + n + line) % len(PRODUCTS)]
                    amount = price + (customer * 7 + line) % 11
                    invoice = f"{month}{customer:03d}{n}"
                    lines.append(
                        f"C{customer:03d},{invoice},2020-{month:02d}-{day:02d},{product},{amount}"
                    )
    return "\n".join(lines) + "\n"


def over_time(engine, source, rule: PeriodRule, k: int, scale: str = "auto"):
    """``engine``'s comparison of the periods ``rule`` cuts, on RFM with ``k`` segments."""
    data = engine.load(source, StageClock())
    cut = engine.cut_periods(data, rule)
    return engine.over_time(data, cut, RFM, k, AnalysisOptions(scale=scale))


def by_customer(found) -> pd.DataFrame:
    return found.by_period.sort_values(["period", "customer"], ignore_index=True)


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("shop") / "drifting.csv"
    path.write_text(drifting_shop())
    return str(path)


@pytest.mark.parametrize("window", ["month", "quarter", "45d"])
def test_spark_assigns_and_migrates_as_the_local_engine(spark, shop, window):
    rule = PeriodRule(window=window)
    ours = over_time(SparkEngine(spark), shop, rule, 3)
    theirs = over_time(LocalEngine(), shop, rule, 3)
    assert ours.periods == theirs.periods and len(ours.periods) > 1
    pd.testing.assert_frame_equal(by_customer(ours), by_customer(theirs))
    pd.testing.assert_frame_equal(ours.migration, theirs.migration)
    pd.testing.assert_frame_equal(ours.profiles, theirs.profiles, check_dtype=False, rtol=1e-9)
    moved = ours.migration[ours.migration["from"] != ours.migration["to"]]
    assert {NEW, LAPSED} <= set(moved["from"]) | set(moved["to"])
    assert moved.loc[~moved["from"].isin([NEW]) & ~moved["to"].isin([LAPSED]), "customers"].sum()


def shuffled_customers_with_attributes() -> str:
    """Two months of a file of customers with their age and income beside every purchase,
    the customers in no particular order and without clear clusters: where KMeans lands
    depends on the order the customers are in."""
    rng = np.random.default_rng(1)
    lines = ["Customer,Age,Income,Invoice,Date,Product,Price"]
    for customer in rng.permutation(80):
        age, income = rng.integers(18, 70), rng.integers(10, 100)
        for month in (1, 2):
            for n in range(rng.integers(1, 4) if rng.random() < 0.8 else 0):
                day, price = rng.integers(1, 28), rng.integers(1, 50)
                lines.append(
                    f"K{customer:03d},{age},{income},{month}{customer}{n},"
                    f"2020-0{month}-{day:02d},tea,{price}"
                )
    return "\n".join(lines) + "\n"


def test_a_file_of_customers_with_purchases_keeps_the_local_engines_customer_order(spark, tmp_path):
    """The local engine keeps such a file's customers in the order they first appear;
    sorted instead, 81 of the 127 customer-periods here land in another segment."""
    path = tmp_path / "combined.csv"
    path.write_text(shuffled_customers_with_attributes())
    found = []
    for engine in (SparkEngine(spark), LocalEngine()):
        data = engine.load(str(path), StageClock())
        cut = engine.cut_periods(data, PeriodRule("month"))
        options = AnalysisOptions(scale="standard")
        found.append(engine.over_time(data, cut, ["Age", "Income"], 4, options))
    ours, theirs = found
    assert len(ours.periods) == 2
    pd.testing.assert_frame_equal(by_customer(ours), by_customer(theirs))
    pd.testing.assert_frame_equal(ours.migration, theirs.migration)


@pytest.mark.parametrize(
    ("csv", "rule"),
    [
        (b"CustomerID,Age,Income\n1,30,5\n2,40,6\n", PeriodRule()),
        (b"Customer,Date,Product\na,2020-01-02,tea\nb,2020-03-02,jam\n", PeriodRule("month")),
        (
            b"Customer,Date,Product\na,2020-01-02,tea\nb,2020-03-02,jam\n",
            PeriodRule(split_date=pd.Timestamp("2021-01-01")),
        ),
    ],
)
def test_data_that_cannot_be_cut_gets_the_local_engines_sentence(spark, tmp_path, csv, rule):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv)
    sentences = []
    for engine in (LocalEngine(), SparkEngine(spark)):
        with pytest.raises(DataError) as refused:
            engine.cut_periods(engine.load(str(path), StageClock()), rule)
        sentences.append(str(refused.value))
    assert sentences[0] == sentences[1]


def test_a_period_with_too_few_customers_gets_the_local_engines_sentence(spark, shop):
    rule = PeriodRule(split_date=parse_date("2020-04-01"))
    sentences = []
    for engine in (LocalEngine(), SparkEngine(spark)):
        with pytest.raises(DataError) as refused:
            over_time(engine, shop, rule, 100)
        sentences.append(str(refused.value))
    assert sentences[0] == sentences[1]
    assert "has 100 customers, too few for 100 segments" in sentences[0]


def test_negative_values_the_reference_never_had_get_the_local_engines_sentence(spark, tmp_path):
    """A skewed attribute is taken as log1p on the first period's customers; a customer of
    the second with a negative value cannot go through that scaling."""
    scores = [1] * 27 + [50, 60, 70]
    rows = [f"c{c},{scores[c]},2020-01-{1 + c % 20:02d},tea,{1 + c}" for c in range(30)]
    rows += [f"c{c},{scores[c]},2020-02-{1 + c % 20:02d},jam,{2 + c}" for c in range(30)]
    rows.append("c30,-5,2020-02-03,tea,4")
    path = tmp_path / "scores.csv"
    path.write_text("Customer,Score,Date,Product,Price\n" + "\n".join(rows) + "\n")
    sentences = []
    for engine in (LocalEngine(), SparkEngine(spark)):
        data = engine.load(str(path), StageClock())
        cut = engine.cut_periods(data, PeriodRule("month"))
        with pytest.raises(DataError) as refused:
            engine.over_time(data, cut, ["Score"], 2, AnalysisOptions(scale="auto"))
        sentences.append(str(refused.value))
    assert sentences[0] == sentences[1]
    assert sentences[0].startswith("Some customers have negative values")


def test_more_customer_periods_than_come_back_are_refused_before_kmeans(spark, shop):
    data = SparkEngine(spark).load(shop, StageClock())
    cut = split_by_period_spark(data, PeriodRule("month"))
    with pytest.raises(DataError, match=r"^600 customers over the periods are too many"):
        over_time_spark(cut, RFM, 3, max_rows=599)


def test_the_command_line_on_spark_writes_the_local_migration(spark, shop, tmp_path):
    written = {}
    for engine in ("local", "spark"):
        out = tmp_path / engine
        run = ["analyze", shop, "--k", "3", "--split-date", "2020-04-01", "--out", str(out)]
        spark_run = ["--engine", "spark", "--spark-master", "local[2]"] if engine == "spark" else []
        assert main([*run, *spark_run]) == 0
        written[engine] = {
            name: pd.read_csv(out / name, dtype={"customer": str})
            for name in ("migration.csv", "segments_by_period.csv")
        }
    for name, table in written["local"].items():
        pd.testing.assert_frame_equal(written["spark"][name], table)
    assert written["spark"]["migration.csv"]["customers"].sum() == 120


@pytest.fixture(scope="module")
def five_months(spark, shared_data):
    path = str(shared_data / FIVE_MONTHS)
    rule = PeriodRule(split_date=parse_date(SPLIT))
    ours = over_time(SparkEngine(spark), path, rule, 4, "standard")
    theirs = over_time(LocalEngine(), path, rule, 4, "standard")
    return ours, theirs, independent_rfm(shared_data / FIVE_MONTHS)


def test_five_months_are_the_local_engines_exactly(five_months):
    """The reference period is fitted on the driver with the local engine's code, so every
    customer's RFM, segment and name in every period, the profiles and the migration are
    the local engine's, exactly."""
    ours, theirs, _ = five_months
    assert ours.periods == theirs.periods
    pd.testing.assert_frame_equal(by_customer(ours), by_customer(theirs), check_exact=True)
    pd.testing.assert_frame_equal(ours.migration, theirs.migration, check_exact=True)
    pd.testing.assert_frame_equal(ours.profiles, theirs.profiles, check_exact=True)
    assert ours.names == theirs.names and len(ours.names) == 4


def test_five_months_migration_is_the_issues_recomputation(five_months):
    """StandardScaler on period A, scikit-learn's default KMeans(n_init=10, random_state=0),
    period B by ``predict``, ``pandas.crosstab``: cell for cell, segments matched by members."""
    ours, _, (rfm_a, rfm_b) = five_months
    assert_recomputed(ours, rfm_a, rfm_b)


def test_five_months_totals_are_the_segment_sizes(five_months):
    ours, _, (rfm_a, rfm_b) = five_months
    assert_totals(ours, rfm_a, rfm_b)
