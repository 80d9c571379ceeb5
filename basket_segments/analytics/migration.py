"""Who moved between segments from the reference period to another, who came and who left.

A customer seen in the reference period and in a later one moved from their
segment there to their segment later (or stayed); one seen only later is
**new** (a row of its own), one seen only in the reference period is **lapsed**
(a column of its own). So the row totals are the reference period's segment
sizes (and the new customers), the column totals the later period's sizes (and
the lapsed), and new + lapsed + both = every customer seen in either period.

Revenue is what the customers of a cell spent: in the later period, where they
bought then; for the lapsed, in the reference period, what was lost. It is the
``Monetary`` feature, so data without prices has no revenue (missing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

#: The row of customers seen only in the later period and the column of those with no
#: purchase in it. In brackets, in words no segment name uses: segments are named from
#: their features, and one may well be called "Lapsed" ("Lapsed, big spend").
NEW = "(new)"
LAPSED = "(no purchase)"
#: The tidy table's columns, one row per cell of each later period's matrix.
MIGRATION_COLUMNS = [
    "period",
    "from",
    "to",
    "from_segment",
    "to_segment",
    "customers",
    "revenue",
]
REVENUE = "Monetary"


def migration_table(
    by_period: pd.DataFrame,
    labels: Sequence[str],
    reference: int,
    names: Mapping[int, str],
) -> pd.DataFrame:
    """The reference period against each other period, one row per cell: ``from`` and
    ``to`` are segment names (numbers in ``from_segment`` and ``to_segment``), ``NEW`` and
    ``LAPSED``; every cell is listed, empty ones with 0 customers.

    ``by_period``: customer, period, segment and (for revenue) ``Monetary``.

    >>> by_period = pd.DataFrame({"customer": ["a", "b", "a", "c"],
    ...     "period": ["A", "A", "B", "B"], "segment": [0, 1, 1, 1],
    ...     "Monetary": [5.0, 7.0, 3.0, 4.0]})
    >>> table = migration_table(by_period, ["A", "B"], 0, {0: "Big", 1: "Small"})
    >>> table[table["customers"] > 0][["from", "to", "customers", "revenue"]].values.tolist()
    [['Big', 'Small', 1, 3.0], ['Small', '(no purchase)', 1, 7.0], ['(new)', 'Small', 1, 4.0]]
    """
    periods = by_period.groupby("period", sort=False)
    first = periods.get_group(labels[reference]).set_index("customer")
    tables = [
        _cells(first, periods.get_group(label).set_index("customer"), label, names)
        for number, label in enumerate(labels)
        if number != reference
    ]
    if not tables:
        return pd.DataFrame(columns=MIGRATION_COLUMNS)
    return pd.concat(tables, ignore_index=True)


def _cells(
    first: pd.DataFrame, later: pd.DataFrame, label: str, names: Mapping[int, str]
) -> pd.DataFrame:
    """One later period's cells, counted with one ``bincount`` over segment pairs."""
    k = len(names)
    both = pd.concat([first["segment"].rename("a"), later["segment"].rename("b")], axis=1)
    source = both["a"].fillna(k).to_numpy(dtype=int)  # k: new
    target = both["b"].fillna(k).to_numpy(dtype=int)  # k: lapsed
    cell = source * (k + 1) + target
    counts = np.bincount(cell, minlength=(k + 1) ** 2)
    revenue = np.full(len(counts), np.nan)
    if REVENUE in first.columns and REVENUE in later.columns:
        spent = later[REVENUE].reindex(both.index).fillna(first[REVENUE].reindex(both.index))
        revenue = np.bincount(cell, weights=spent.to_numpy(dtype=float), minlength=len(counts))
    numbers = [*range(k), None]
    rows = [
        (label, _name(a, names, NEW), _name(b, names, LAPSED), a, b, counts[i], revenue[i])
        for i, (a, b) in enumerate((a, b) for a in numbers for b in numbers)
        if a is not None or b is not None
    ]
    table = pd.DataFrame(rows, columns=MIGRATION_COLUMNS)
    table["revenue"] = table["revenue"].round(2)
    for column in ("from_segment", "to_segment"):
        table[column] = table[column].astype("Int64")
    return table


def _name(segment: int | None, names: Mapping[int, str], otherwise: str) -> str:
    return otherwise if segment is None else names[segment]


def migration_matrix(
    migration: pd.DataFrame, period: str | None = None, value: str = "customers"
) -> pd.DataFrame:
    """One later period's cells as a matrix: reference segments (then ``new``) down, that
    period's segments (then ``lapsed``) across; ``value`` is ``customers`` or ``revenue``.

    >>> by_period = pd.DataFrame({"customer": ["a", "b", "a", "c"],
    ...     "period": ["A", "A", "B", "B"], "segment": [0, 1, 1, 1]})
    >>> matrix = migration_matrix(migration_table(by_period, ["A", "B"], 0, {0: "Big", 1: "Small"}))
    >>> matrix.index.tolist(), matrix.columns.tolist()
    (['Big', 'Small', '(new)'], ['Big', 'Small', '(no purchase)'])
    >>> matrix.values.tolist()
    [[0, 1, 0], [0, 0, 1], [0, 1, 0]]
    """
    period = migration["period"].iloc[0] if period is None else period
    cells = migration[migration["period"] == period]
    matrix = cells.pivot(index="from", columns="to", values=value)
    matrix = matrix.reindex(index=pd.unique(cells["from"]), columns=pd.unique(cells["to"]))
    if value == "customers":
        matrix = matrix.fillna(0).astype(int)
    matrix.index.name, matrix.columns.name = "from", "to"
    return matrix


#: The columns of ``by_period`` that are not a customer's features.
PERIOD_TABLE_COLUMNS = ("customer", "period", "segment", "segment_name")


def cell_customers(
    by_period: pd.DataFrame,
    reference: str,
    period: str,
    from_segment: int | None,
    to_segment: int | None,
) -> pd.DataFrame:
    """The customers one cell of ``migration_table`` counts, with their features in both
    periods: those in segment ``from_segment`` in the ``reference`` period (None: not
    there, **new**) and in ``to_segment`` in ``period`` (None: not there, **lapsed**).

    Columns: ``customer``, ``from`` and ``to`` (names, as the table's), then each feature
    in the reference period and in the later one (``Recency (A)``, ``Recency (B)``).

    >>> by_period = pd.DataFrame({"customer": ["a", "b", "a", "c"],
    ...     "period": ["A", "A", "B", "B"], "segment": [0, 1, 1, 1],
    ...     "segment_name": ["Big", "Small", "Small", "Small"], "x": [5.0, 7.0, 3.0, 4.0]})
    >>> cell_customers(by_period, "A", "B", 0, 1).values.tolist()
    [['a', 'Big', 'Small', 5.0, 3.0]]
    >>> cell_customers(by_period, "A", "B", None, 1)[["customer", "from", "x (A)"]].values.tolist()
    [['c', '(new)', nan]]
    """
    features = [c for c in by_period.columns if c not in PERIOD_TABLE_COLUMNS]
    sides = []
    for label in (reference, period):
        rows = by_period[by_period["period"].to_numpy() == label].set_index("customer")
        sides.append(rows[["segment", "segment_name", *features]].add_suffix(f" ({label})"))
    both = sides[0].join(sides[1], how="outer").sort_index()
    source, target = both[f"segment ({reference})"], both[f"segment ({period})"]
    keep = _in_segment(source, from_segment) & _in_segment(target, to_segment)
    rows = both[keep.to_numpy()]
    table = pd.DataFrame(
        {
            "customer": rows.index.astype("str"),
            "from": rows[f"segment_name ({reference})"].fillna(NEW).to_numpy(),
            "to": rows[f"segment_name ({period})"].fillna(LAPSED).to_numpy(),
        }
    )
    for feature in features:
        for label in (reference, period):
            table[f"{feature} ({label})"] = rows[f"{feature} ({label})"].to_numpy()
    return table


def _in_segment(segments: pd.Series, segment: int | None) -> pd.Series:
    """Whether each customer is in ``segment`` (None: absent from the period)."""
    return segments.isna() if segment is None else segments == segment
