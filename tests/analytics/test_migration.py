"""The migration table against a brute-force count of customers and spend, on random data."""

import numpy as np
import pandas as pd
import pytest

from basket_segments.analytics.migration import LAPSED, NEW, migration_matrix, migration_table

NAMES = {0: "Big", 1: "Small", 2: "Lapsed"}  # a segment may be named like the column


def random_periods(seed: int, labels=("A", "B", "C")) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    tables = []
    for label in labels:
        customers = rng.choice(60, size=rng.integers(20, 50), replace=False)
        tables.append(
            pd.DataFrame(
                {
                    "customer": [f"c{c}" for c in customers],
                    "period": label,
                    "segment": rng.integers(0, 3, len(customers)),
                    "Monetary": rng.integers(1, 100, len(customers)).astype(float),
                }
            )
        )
    return pd.concat(tables, ignore_index=True)


def brute_force(by_period: pd.DataFrame, first: str, later: str) -> dict:
    """(from, to) -> [customers, revenue], one customer at a time."""
    a = by_period[by_period["period"] == first].set_index("customer")
    b = by_period[by_period["period"] == later].set_index("customer")
    cells: dict = {}
    for customer in a.index.union(b.index):
        source = NAMES[a.loc[customer, "segment"]] if customer in a.index else NEW
        target = NAMES[b.loc[customer, "segment"]] if customer in b.index else LAPSED
        spent = (b if customer in b.index else a).loc[customer, "Monetary"]
        count, revenue = cells.get((source, target), (0, 0.0))
        cells[source, target] = (count + 1, revenue + spent)
    return cells


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("reference", [0, 1])
def test_every_cell_is_the_brute_force_count(seed, reference):
    by_period = random_periods(seed)
    labels = ["A", "B", "C"]
    table = migration_table(by_period, labels, reference, NAMES)
    assert set(table["period"]) == set(labels) - {labels[reference]}
    for later, cells in table.groupby("period"):
        expected = brute_force(by_period, labels[reference], later)
        got = {
            (row["from"], row["to"]): (row["customers"], row["revenue"])
            for _, row in cells.iterrows()
            if row["customers"]
        }
        assert got.keys() == expected.keys()
        for key, (count, revenue) in expected.items():
            assert got[key][0] == count and got[key][1] == pytest.approx(revenue)
        assert len(cells) == (len(NAMES) + 1) ** 2 - 1  # every cell but new -> lapsed


def test_totals_are_the_sizes_and_every_customer_is_counted_once():
    by_period = random_periods(7, ("A", "B"))
    matrix = migration_matrix(migration_table(by_period, ["A", "B"], 0, NAMES))
    assert matrix.index.tolist() == ["Big", "Small", "Lapsed", NEW]
    assert matrix.columns.tolist() == ["Big", "Small", "Lapsed", LAPSED]
    a, b = (by_period[by_period["period"] == p] for p in "AB")
    sizes_a = a["segment"].map(NAMES).value_counts()
    sizes_b = b["segment"].map(NAMES).value_counts()
    assert matrix.drop(index=NEW).sum(axis=1).to_dict() == sizes_a.to_dict()
    assert matrix.drop(columns=LAPSED).sum().to_dict() == sizes_b.to_dict()
    assert matrix.to_numpy().sum() == len(set(a["customer"]) | set(b["customer"]))
    assert matrix.loc[NEW, LAPSED] == 0


def test_without_spend_the_revenue_is_missing_and_one_period_has_no_migration():
    by_period = random_periods(3, ("A", "B")).drop(columns="Monetary")
    table = migration_table(by_period, ["A", "B"], 0, NAMES)
    assert table["revenue"].isna().all() and table["customers"].sum() > 0
    assert migration_table(by_period, ["A"], 0, NAMES).empty
