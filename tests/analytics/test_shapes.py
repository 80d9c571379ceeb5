"""Data shapes the first tests never used: category codes, placeholders, no customers."""

import numpy as np
import pandas as pd
import pytest

from basket_segments.analytics.baskets import build_baskets
from basket_segments.analytics.cleaning import describe_report
from basket_segments.analytics.columns import is_category
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.local import LocalEngine
from basket_segments.analytics.prepare import CATEGORIES, NUMBERED_NOTE, load_dataset
from basket_segments.analytics.rules import RuleParams, mine_groups, mine_rules
from basket_segments.analytics.segmentation import segment_customers
from basket_segments.analytics.sentences import rule_sentence
from basket_segments.analytics.stages import AnalysisOptions
from tests import shapes


@pytest.fixture
def wholesale(tmp_path):
    return load_dataset(shapes.wholesale_table(tmp_path / "wholesale.csv"))


def test_code_columns_are_categories_not_features(wholesale):
    assert wholesale.shape == "customers"
    assert wholesale.features == shapes.SPEND
    assert list(wholesale.categories.columns) == list(shapes.CODES)
    assert set(wholesale.categories["Region"]) == {"1", "2", "3"}
    assert wholesale.choices[CATEGORIES] == list(shapes.CODES)


def test_a_table_without_a_customer_column_numbers_its_rows(wholesale):
    assert len(wholesale.customers) == shapes.WHOLESALE_CUSTOMERS
    assert wholesale.customers.index[:3].tolist() == ["1", "2", "3"]
    assert "customer" not in wholesale.roles  # nothing to store: the numbering is redone
    assert NUMBERED_NOTE in describe_report(wholesale.report)


def test_a_named_customer_column_is_used_and_codes_still_found(tmp_path):
    path = shapes.wholesale_table(tmp_path / "w.csv", customer_column="Customer ID")
    data = load_dataset(path)
    assert data.roles["customer"] == "Customer ID"
    assert data.customers.index[0] == "W0001"
    assert data.features == shapes.SPEND


def test_the_user_may_overrule_the_categories(tmp_path):
    path = shapes.wholesale_table(tmp_path / "w.csv")
    data = load_dataset(path, mapping={CATEGORIES: ["Channel"]})
    assert data.features == ["Region", *shapes.SPEND]
    assert list(data.categories.columns) == ["Channel"]
    with pytest.raises(DataError, match="not numeric attributes"):
        load_dataset(path, mapping={CATEGORIES: ["Colour"]})


@pytest.mark.parametrize(
    ("name", "values", "category"),
    [
        ("Channel", [1, 2] * 20, True),
        ("Region", [1, 2, 3] * 20, True),
        ("Postcode", [10115, 80331, 20095], True),  # a code by its name, however few
        ("StoreID", [3, 9, 27, 81], True),
        ("Row", list(range(1, 41)), True),  # 1, 2, 3 ... for every customer
        ("Age", [20, 31, 44, 25, 58, 37], False),  # an amount by its name
        ("Children", [0, 1, 2, 3] * 3, False),  # few values, but too few customers each
        ("Visits", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13] * 4, False),  # 13 levels
        ("Rating", [1.5, 2.0, 1.5, 2.0] * 10, False),  # not whole numbers
        ("Constant", [7] * 30, False),
    ],
)
def test_which_numbers_are_codes(name, values, category):
    assert is_category(name, pd.Series(values, dtype="float64")) is category


def test_all_columns_codes_asks_the_user_to_say_which_are_amounts(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text(
        "CustomerID,Channel,Region\n" + "".join(f"{n},{n % 2},{n % 3}\n" for n in range(60))
    )
    with pytest.raises(DataError, match="all look like codes or identifiers"):
        load_dataset(path)


def test_bakery_placeholders_are_dropped_and_reported(tmp_path):
    data = load_dataset(shapes.bakery_file(tmp_path / "bakery.csv"))
    assert data.shape == "baskets"
    assert data.roles == {"product": "Item", "basket": "Transaction", "date": "Date"}
    assert "NONE" not in set(data.purchases["product"])
    text = describe_report(data.report)
    assert f"Dropped {shapes.BAKERY_PLACEHOLDERS} rows whose product is a placeholder (NONE)." in (
        text
    )
    assert data.report["baskets"] == shapes.BAKERY_BASKETS
    assert data.report["product_lines"] == len(data.purchases)


def test_headerless_baskets_count_baskets_and_drop_placeholders(tmp_path):
    data = load_dataset(shapes.headerless_baskets(tmp_path / "baskets.csv"))
    assert data.shape == "baskets"
    text = describe_report(data.report)
    assert text[0] == f"Read {shapes.HEADERLESS_BASKETS} baskets."
    assert "Dropped 12 rows whose product is a placeholder (none)." in text
    assert "none" not in set(data.purchases["product"])


@pytest.mark.parametrize("placeholder", ["NONE", "nan", "null", "N/A", "unknown", "?", " None "])
def test_every_placeholder_spelling_leaves_transactions(tmp_path, placeholder):
    path = tmp_path / "sales.csv"
    rows = [f"{c},{c}00,tea,1,2" for c in range(1, 4)] + [f"1,100,{placeholder},1,2"]
    path.write_text("CustomerID,InvoiceNo,Description,Quantity,UnitPrice\n" + "\n".join(rows))
    data = load_dataset(path)
    assert set(data.purchases["product"]) == {"tea"}
    assert data.report["dropped"]["placeholder_product"] == 1
    assert data.customers.loc["1", "Monetary"] == 4.0  # the spend still counts


def test_real_products_that_contain_a_placeholder_word_stay(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("Transaction,Item\n1,None Such Jam\n1,Unknown Pleasures LP\n2,tea\n")
    assert set(load_dataset(path).purchases["product"]) == {
        "None Such Jam",
        "Unknown Pleasures LP",
        "tea",
    }


@pytest.fixture
def mall_like():
    rng = np.random.default_rng(0)
    income = np.concatenate([rng.normal(30, 5, 60), rng.normal(90, 8, 60)])
    spend = rng.lognormal(2, 1.5, 120)  # a few big spenders: skewed
    return pd.DataFrame({"income": income, "spend": spend}, index=[str(i) for i in range(120)])


def test_scaling_choices_and_what_each_feature_went_through(mall_like, tmp_path):
    engine = LocalEngine()
    mall_like.rename_axis("CustomerID").to_csv(tmp_path / "mall.csv")
    data = load_dataset(tmp_path / "mall.csv")
    said = {}
    for scale in ("auto", "standard", "none"):
        found = engine.segment(data, ["income", "spend"], 2, AnalysisOptions(scale=scale))
        said[scale] = found.transformations
        assert found.scaling == scale
    assert said == {
        "auto": {"income": "standardised", "spend": "log1p, then standardised"},
        "standard": {"income": "standardised", "spend": "standardised"},
        "none": {"income": "as is", "spend": "as is"},
    }


def test_standard_scaling_is_exactly_scikit_learns(mall_like):
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler

    ours = segment_customers(mall_like, ["income", "spend"], k=3, scale="standard", n_init=10)
    model = KMeans(n_clusters=3, n_init=10, random_state=0)
    theirs = model.fit_predict(StandardScaler().fit_transform(mall_like))
    assert len(set(zip(ours.labels, theirs, strict=True))) == 3
    assert ours.inertia == model.inertia_
    with pytest.raises(DataError, match="Scaling is one of auto, standard, none"):
        segment_customers(mall_like, ["income"], k=2, scale="log")


def test_sentences_read_well_with_any_segment_name():
    args = (("bread",), ("milk",), 0.62, 1.9)
    assert rule_sentence("Average customers", False, *args).startswith(
        "Average customers who buy bread also buy milk"
    )
    assert rule_sentence("Average customers (2)", False, *args).startswith(
        "Average customers (2) who buy"
    )
    assert rule_sentence("Young, big spend", False, *args).startswith(
        "Customers in Young, big spend who buy"
    )
    assert rule_sentence("All customers", True, *args).startswith("Customers who buy")


def test_progress_names_the_segments_the_user_sees():
    purchases = pd.DataFrame(
        {
            "customer": [f"c{n}" for n in range(40) for _ in range(2)],
            "basket": [f"c{n}" for n in range(40) for _ in range(2)],
            "product": ["tea", "jam"] * 40,
        }
    )
    labels = pd.Series([n % 2 for n in range(40)], index=[f"c{n}" for n in range(40)])
    said = []
    mine_groups(
        build_baskets(purchases),
        labels,
        RuleParams(0.1, 0.5, max_length=2),
        n_jobs=1,
        report=lambda _fraction, text: said.append(text),
        names={0: "Young", 1: "Old"},
    )
    assert list(dict.fromkeys(said)) == [
        "Finding the rules of all customers",
        "Finding the rules of Young",
        "Finding the rules of Old",
    ]


def test_a_basket_files_rules_and_progress_speak_of_baskets():
    """A basket file said "Customers who buy ..." and "Mining all customers": it has no
    customers, only baskets."""
    purchases = pd.DataFrame(
        {
            "customer": [None] * 80,
            "basket": [f"b{n}" for n in range(40) for _ in range(2)],
            "product": ["tea", "jam"] * 40,
        }
    )
    said = []
    rules = mine_rules(
        build_baskets(purchases),
        params=RuleParams(0.1, 0.5, max_length=2),
        report=lambda _fraction, text: said.append(text),
    )
    assert "Finding the rules of all baskets" in said
    assert not any("customers" in text for text in said)
    assert rules["sentence"].tolist() == [
        "Baskets with jam also hold tea (100% of the time, 1.0x more than usual).",
        "Baskets with tea also hold jam (100% of the time, 1.0x more than usual).",
    ]
