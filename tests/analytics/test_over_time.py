"""Segments over time: the migration recomputed independently on five months of online retail,
and the rules each period's features and assignments follow."""

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

from basket_segments.analytics.errors import DataError
from basket_segments.analytics.migration import LAPSED, NEW, migration_matrix
from basket_segments.analytics.over_time import (
    ByPeriod,
    segments_over_time,
    split_by_period,
)
from basket_segments.analytics.periods import PeriodRule, Periods, parse_date
from basket_segments.analytics.prepare import load_dataset
from basket_segments.analytics.segmentation import assign, segment_customers

FIVE_MONTHS = "online_retail_2011-02_to_2011-06.csv"
SPLIT = "2011-04-01"
RFM = ["Recency", "Frequency", "Monetary"]


def independent_rfm(path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each period's RFM from the raw file with plain pandas, the README's cleaning rules:
    a customer, not a cancellation (invoice starting C), quantity and price above 0.
    Postage and fees count towards spend, so they stay in (they are only kept out of
    baskets, which RFM does not use)."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw = raw[raw["CustomerID"].str.strip() != ""]
    raw = raw[~raw["InvoiceNo"].str.upper().str.startswith("C")]
    quantity, price = raw["Quantity"].astype(float), raw["UnitPrice"].astype(float)
    raw = raw.assign(
        amount=quantity * price, date=pd.to_datetime(raw["InvoiceDate"], format="mixed")
    )[(quantity > 0) & (price > 0)]
    split = pd.Timestamp(SPLIT)
    return rfm(raw[raw["date"] < split]), rfm(raw[raw["date"] >= split])


def rfm(rows: pd.DataFrame) -> pd.DataFrame:
    customers = rows.groupby("CustomerID")
    day_after = rows["date"].max().normalize() + pd.Timedelta(days=1)
    return pd.DataFrame(
        {
            "Recency": (day_after - customers["date"].max().dt.normalize()).dt.days,
            "Frequency": customers["InvoiceNo"].nunique(),
            "Monetary": customers["amount"].sum().round(2),
        }
    )


@pytest.fixture(scope="module")
def five_months(shared_data):
    data = load_dataset(shared_data / FIVE_MONTHS)
    cut = split_by_period(data, PeriodRule(split_date=parse_date(SPLIT)))
    found = segments_over_time(cut, RFM, 4, data.feature_kinds, scale="standard")
    return found, independent_rfm(shared_data / FIVE_MONTHS)


def test_the_migration_matches_scikit_learn_and_pandas_cell_for_cell(five_months):
    found, (rfm_a, rfm_b) = five_months
    assert_recomputed(found, rfm_a, rfm_b)


def assert_recomputed(found, rfm_a: pd.DataFrame, rfm_b: pd.DataFrame) -> None:
    """The issue's acceptance test: StandardScaler fitted on period A, KMeans(n_init=10,
    random_state=0), period B by ``predict``, ``pandas.crosstab``; the app's segments are
    matched to scikit-learn's clusters by their members (also run on the Spark engine)."""
    scaler = StandardScaler().fit(rfm_a[RFM])
    model = KMeans(n_clusters=4, n_init=10, random_state=0).fit(scaler.transform(rfm_a[RFM]))
    ours_a = pd.Series(model.labels_, index=rfm_a.index)
    ours_b = pd.Series(model.predict(scaler.transform(rfm_b[RFM])), index=rfm_b.index)

    app = found.by_period.set_index("customer")
    app_a = app[app["period"] == found.periods.labels[0]]
    same = {}  # our cluster -> the app's segment name, where their members are the same
    for cluster, members in ours_a.groupby(ours_a).groups.items():
        names = app_a.loc[members, "segment_name"].unique()
        assert len(names) == 1 and (app_a["segment_name"] == names[0]).sum() == len(members)
        same[cluster] = names[0]
    assert len(set(same.values())) == 4

    both = pd.concat([ours_a.map(same).rename("from"), ours_b.map(same).rename("to")], axis=1)
    expected = pd.crosstab(both["from"].fillna(NEW), both["to"].fillna(LAPSED))
    matrix = migration_matrix(found.migration)
    expected = expected.reindex(index=matrix.index, columns=matrix.columns, fill_value=0)
    pd.testing.assert_frame_equal(matrix, expected, check_names=False, check_dtype=False)
    assert (matrix.to_numpy() != np.diag(np.diag(matrix.to_numpy()))).any()  # some moved


def test_each_periods_rfm_is_the_periods_own(five_months):
    found, (rfm_a, rfm_b) = five_months
    app = found.by_period.set_index("customer")
    for label, expected in zip(found.periods.labels, (rfm_a, rfm_b), strict=True):
        got = app.loc[app["period"] == label, RFM].sort_index()
        pd.testing.assert_frame_equal(
            got, expected.sort_index(), check_names=False, check_dtype=False
        )


def test_totals_are_the_segment_sizes_and_everyone_is_counted_once(five_months):
    found, (rfm_a, rfm_b) = five_months
    assert_totals(found, rfm_a, rfm_b)


def assert_totals(found, rfm_a: pd.DataFrame, rfm_b: pd.DataFrame) -> None:
    """Row and column totals are the segment sizes; new + lapsed + both = customers seen."""
    matrix = migration_matrix(found.migration)
    periods = found.by_period.groupby("period")["segment_name"]
    sizes_a = periods.get_group(found.periods.labels[0]).value_counts()
    sizes_b = periods.get_group(found.periods.labels[1]).value_counts()
    pd.testing.assert_series_equal(
        matrix.drop(index=NEW).sum(axis=1), sizes_a.reindex(matrix.index[:-1]), check_names=False
    )
    assert (found.profiles.set_index("name")["size"] == sizes_a).all()
    pd.testing.assert_series_equal(
        matrix.drop(columns=LAPSED).sum(), sizes_b.reindex(matrix.columns[:-1]), check_names=False
    )
    new, lapsed = matrix.loc[NEW].sum(), matrix[LAPSED].sum()
    both = matrix.drop(index=NEW, columns=LAPSED).to_numpy().sum()
    assert new + lapsed + both == len(rfm_a.index.union(rfm_b.index)) == matrix.to_numpy().sum()
    assert (new, lapsed) == (
        len(rfm_b.index.difference(rfm_a.index)),
        len(rfm_a.index.difference(rfm_b.index)),
    )


def test_revenue_is_the_later_spend_and_the_lapsed_customers_earlier_spend(five_months):
    found, (rfm_a, rfm_b) = five_months
    revenue = migration_matrix(found.migration, value="revenue")
    stayed = rfm_b.index.intersection(rfm_a.index)
    assert revenue.drop(index=NEW, columns=LAPSED).to_numpy().sum() == pytest.approx(
        rfm_b.loc[stayed, "Monetary"].sum()
    )
    lapsed = rfm_a.index.difference(rfm_b.index)
    assert revenue[LAPSED].sum() == pytest.approx(rfm_a.loc[lapsed, "Monetary"].sum())


def test_assignment_is_kmeans_predict_in_the_fitted_scaling():
    rng = np.random.default_rng(3)
    first = pd.DataFrame(rng.lognormal(size=(300, 3)), columns=list("abc"))
    later = pd.DataFrame(rng.lognormal(size=(200, 3)) * 1.5, columns=list("abc"))
    for scale in ("auto", "standard", "none"):
        fitted = segment_customers(first, list("abc"), 5, scale=scale, n_init=3)
        assert assign(first, fitted).equals(fitted.labels)  # KMeans' own labels, as numbered
        matrix = fitted.scaler.apply(later.to_numpy())
        model = KMeans(n_clusters=5, init=fitted.centers, n_init=1).fit(
            fitted.scaler.apply(first.to_numpy())
        )
        np.testing.assert_array_equal(assign(later, fitted).to_numpy(), model.predict(matrix))


def test_a_single_window_derives_the_whole_files_rfm():
    data = load_dataset(
        b"Customer,Invoice,Date,Product,Price\n"
        b"a,1,2020-01-02,tea,2\na,1,2020-01-02,POSTAGE,5\nb,2,2020-01-20,jam,3\n"
    )
    cut = split_by_period(data, PeriodRule(window="quarter"))
    assert cut.periods.labels == ("2020-Q1",)
    pd.testing.assert_frame_equal(cut.customers[0], data.customers)
    assert cut.customers[0].loc["a", "Monetary"] == 7.0  # postage counts towards spend


def test_a_customer_tables_attributes_stay_while_rfm_is_per_period():
    data = load_dataset(
        b"CustomerID,Age,Date,Product,Price\n"
        b"1,30,2020-01-05,tea,2\n1,30,2020-02-03,jam,3\n2,50,2020-02-01,tea,4\n"
    )
    assert data.shape == "combined"
    cut = split_by_period(data, PeriodRule(window="month"))
    january, february = cut.customers
    assert january.to_dict("index") == {
        "1": {"Age": 30.0, "Recency": 1, "Frequency": 1, "Monetary": 2.0}
    }
    assert february["Age"].to_dict() == {"1": 30.0, "2": 50.0}
    assert february["Recency"].to_dict() == {"1": 1, "2": 3}


@pytest.mark.parametrize(
    ("csv", "rule", "message"),
    [
        (b"CustomerID,Age,Income\n1,30,5\n2,40,6\n", PeriodRule(), "needs purchases with dates"),
        (b"Customer,Product\na,tea\nb,jam\n", PeriodRule(), "needs purchases with dates"),
        (
            b"Customer,Date,Product\na,2020-01-02,tea\nb,2020-03-02,jam\n",
            PeriodRule(window="month"),
            r"^The period 2020-02 has no purchases; choose longer periods",
        ),
        (
            b"Customer,Date,Product\na,2020-01-02,tea\nb,2020-03-02,jam\n",
            PeriodRule(split_date=pd.Timestamp("2021-01-01")),
            r"^The split date 2021-01-01 is outside the data, whose purchases run from "
            r"2020-01-02 to 2020-03-02;",
        ),
    ],
)
def test_data_that_cannot_be_cut_is_refused_in_a_sentence(csv, rule, message):
    with pytest.raises(DataError, match=message):
        split_by_period(load_dataset(csv), rule)


def test_a_period_with_too_few_customers_is_refused_in_a_sentence():
    customers = pd.DataFrame({"x": np.arange(10.0)}, index=[str(i) for i in range(10)])
    few = customers.iloc[:2]
    edges = tuple(pd.to_datetime(["2020-01-01", "2020-02-01", "2020-03-01"]))
    cut = ByPeriod(Periods(edges, ("2020-01", "2020-02")), (customers, few), 0)
    with pytest.raises(DataError, match=r"^The period 2020-02 has 2 customers, too few for 3 "):
        segments_over_time(cut, ["x"], 3)


def test_a_segment_named_lapsed_is_not_confused_with_no_purchase():
    """Segments are named from their features: on recency alone one is "Lapsed". The
    migration's row and column of customers outside a period must read differently from
    every segment, whatever the case (they were "new" and "lapsed")."""
    recency = np.r_[np.arange(1, 21) % 4 + 1, np.arange(1, 21) % 9 + 50]
    first = pd.DataFrame({"Recency": recency}, index=[f"c{i}" for i in range(40)])
    later = first.iloc[10:35]
    periods = Periods(tuple(pd.to_datetime(["2020-01-01", "2020-02-01", "2020-03-01"])), ("A", "B"))
    cut = ByPeriod(periods, (first, later), 0)
    found = segments_over_time(cut, ["Recency"], 2, {"Recency": "recency"})
    assert "Lapsed" in found.names.values()
    matrix = migration_matrix(found.migration)
    for labels in (matrix.index, matrix.columns):
        assert len({label.casefold() for label in labels}) == len(labels)
    assert matrix[LAPSED].sum() == 15 and matrix.loc[NEW].sum() == 0
    assert matrix.drop(index=NEW, columns=LAPSED).to_numpy().sum() == 25
