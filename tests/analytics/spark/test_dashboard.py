"""The dashboard is one setting away from Spark: its jobs run on the engine named by
``ANALYTICS_ENGINE``, loading included, and store what the local engine stores.

The same generated file is uploaded twice, once per engine, and the Segments, Rules
and Over time pages' jobs run on it as the browser runs them (the ask, then the job).
"""

import pandas as pd
import pytest

from basket_segments.analytics.local import LocalEngine
from basket_segments.analytics.sample import generate_sample
from basket_segments.analytics.significance import adjust_by_group
from basket_segments.analytics.spark.engine import SparkEngine
from basket_segments.analytics.typicality import typicality
from basket_segments.app import create_app
from basket_segments.callbacks import over_time, over_time_products, over_time_work
from basket_segments.queries import OverTimeQuery, PeriodRulesQuery
from basket_segments.store import results, storage
from tests.analytics.spark.test_over_time import drifting_shop
from tests.callbacks_support import (
    choose_segments,
    logged_in_as,
    rules_answer,
    text_of,
    through_long_work,
    with_props,
)
from tests.conftest import make_config

pytestmark = pytest.mark.spark

SETTINGS = {"features": ["Age", "Annual Income", "Spending Score"], "k": 4}
THRESHOLDS = (0.05, 0.5, 1.0, 3)


@pytest.fixture
def app(spark, tmp_path):
    """An app whose jobs run on the test's Spark session (``SPARK_MASTER`` as the tests')."""
    master = spark.sparkContext.master
    return create_app(
        make_config(
            tmp_path, BASKET_SEGMENTS_ANALYTICS_ENGINE="local", BASKET_SEGMENTS_SPARK_MASTER=master
        )
    )


def run_pages(app, engine: str, engines_seen: list) -> tuple:
    """Upload the file, show its segments and mine its rules with ``engine``; return what
    the jobs stored: the segments, and the mining."""
    app.config["BASKET_SEGMENTS_ANALYTICS_ENGINE"] = engine
    engines_seen.append(type(results.analysis_engine()))
    content = generate_sample(400, 30, seed=5).to_csv(index=False).encode()
    owner = "1"
    dataset = storage.save_upload(owner, "shop.csv", content).id
    choose_segments({**SETTINGS, "scale": "auto"}, dataset)
    answer, message = rules_answer(THRESHOLDS, "customer", dataset)
    assert answer is not None, message
    query = results.rules_query(owner, dataset, THRESHOLDS, "customer")
    assert query.segments.k == SETTINGS["k"]
    shown = results.segments(owner, dataset, query.segments, only_cached=True)
    return shown, results.mining(owner, query, only_cached=True)


def single_consequent(rules: pd.DataFrame) -> pd.DataFrame:
    """The rules Spark's FPGrowth finds: one product on the right."""
    kept = rules[rules["consequent"].str.len() == 1]
    key = kept.assign(key=kept["antecedent"].astype(str) + kept["consequent"].astype(str))
    return key.sort_values(["segment", "key"]).drop(columns="key").reset_index(drop=True)


def how_typical(shown: results.SegmentResult, customer: str):
    """The Customers page's measure of how typical ``customer`` is of its segment."""
    found = shown.segments
    return typicality(shown.table, found.features, found.scaling, customer)


def test_a_dashboard_job_on_spark_stores_what_the_local_engine_stores(app):
    seen = []
    with logged_in_as(app):
        local_shown, local_mined = run_pages(app, "local", seen)
        spark_shown, spark_mined = run_pages(app, "spark", seen)
    assert seen == [LocalEngine, SparkEngine]
    # The segments (Spark's KMeans finds sklearn's on well-separated data) and their names.
    columns = ["customer", "segment", "segment_name"]
    pd.testing.assert_frame_equal(
        spark_shown.table[columns].sort_values("customer", ignore_index=True),
        local_shown.table[columns].sort_values("customer", ignore_index=True),
    )
    assert spark_shown.names == local_shown.names
    assert len(spark_shown.silhouettes) == len(local_shown.silhouettes) == 400
    # How typical a customer is of its segment comes from the stored table (issue 21).
    for customer in local_shown.table["customer"].iloc[::10]:
        assert how_typical(spark_shown, customer) == how_typical(local_shown, customer)
    # The rules of every segment and of all customers, and the top products.
    # The corrected p-value counts the rules each engine keeps per group (Spark keeps
    # single-consequent rules only), so it is compared as the page shows it: corrected
    # again over the same rules (``filter_rules`` does so for every view).
    ours, expected = single_consequent(spark_mined.rules), single_consequent(local_mined.rules)
    assert len(ours) == len(expected) > 0
    assert set(ours["segment"]) == set(expected["segment"]) and len(set(ours["segment"])) > 1
    ours, expected = (
        table.assign(p_adjusted=adjust_by_group(table["p_value"], table["segment"]))
        for table in (ours, expected)
    )
    pd.testing.assert_frame_equal(ours, expected, check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(spark_mined.products, local_mined.products, check_dtype=False)
    assert spark_mined.baskets == local_mined.baskets


def compare_months(app, engine: str, engines_seen: list):
    """Upload the dated shop, segment it, compare its months and mine each month with
    ``engine``; return the stored comparison, what the page draws of it, and the stored
    rules and top products per month."""
    app.config["BASKET_SEGMENTS_ANALYTICS_ENGINE"] = engine
    engines_seen.append(type(results.analysis_engine()))
    dataset = storage.save_upload("1", "dated.csv", drifting_shop().encode()).id
    rfm = {"features": ["Recency", "Frequency", "Monetary"], "k": 3, "scale": "auto"}
    choose_segments(rfm, dataset)
    asked = (dataset, "month", None, 30, 1, "Segments as on the Segments page")
    answer, message = through_long_work(over_time_work.OVER_TIME, *asked)
    assert answer is not None, text_of(message)
    query = OverTimeQuery.from_json(answer["result"]["query"])
    drawn, props = with_props(over_time.show_comparison, answer, None, "customers")
    assert drawn[0] and not props, "the page shows no comparison"
    mined, message = through_long_work(over_time_products.CHANGES, answer, None)
    assert mined is not None, text_of(message)
    rules_query = PeriodRulesQuery.from_json(mined["result"]["query"])
    stored = results.period_mining("1", rules_query, only_cached=True)
    return results.over_time("1", query, only_cached=True), drawn, stored


def test_the_over_time_page_on_spark_stores_what_the_local_engine_stores(app, monkeypatch):
    seen, compared = [], []
    real = SparkEngine.over_time

    def counted(self, *args, **kwargs):
        compared.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SparkEngine, "over_time", counted)
    with logged_in_as(app):
        local, local_drawn, local_mined = compare_months(app, "local", seen)
        spark, spark_drawn, spark_mined = compare_months(app, "spark", seen)
    assert seen == [LocalEngine, SparkEngine] and len(compared) == 1
    assert spark.periods == local.periods and len(spark.periods) == 6
    order = ["period", "customer"]
    pd.testing.assert_frame_equal(
        spark.by_period.sort_values(order, ignore_index=True),
        local.by_period.sort_values(order, ignore_index=True),
    )
    pd.testing.assert_frame_equal(spark.migration, local.migration)
    assert spark.names == local.names
    # The page draws the same: periods offered, heatmap, Sankey, sizes, and its sentence.
    assert spark_drawn[:2] == local_drawn[:2] and spark_drawn[5:] == local_drawn[5:]
    for ours, theirs in zip(spark_drawn[2:5], local_drawn[2:5], strict=True):
        assert ours.to_json() == theirs.to_json()
    # Each month's top products per segment, and its single-consequent rules.
    pd.testing.assert_frame_equal(spark_mined.products, local_mined.products, check_dtype=False)
    key = ["period", "segment", "antecedent", "consequent"]
    measures = ["support", "confidence", "lift"]
    ours, theirs = (
        single_consequent(mined.rules).sort_values(key, ignore_index=True)[key + measures]
        for mined in (spark_mined, local_mined)
    )
    assert len(ours) > 0 and ours["period"].nunique() == 6
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False, rtol=1e-9)
