"""Small files of the shapes real users upload, generated with a fixed seed.

Each mimics a public file that once broke a page (issue 12): a customer table of
yearly spend per category with category-code columns and no customer column
(UCI's wholesale customers), a bakery's long file ``Date,Time,Transaction,Item``
with ``NONE`` placeholders and no customer column, and a headerless
one-basket-per-line file. They are built so that the dashboard's default
thresholds find rules, and so that the facts tests assert on are known here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: Spend columns of the wholesale-like table, and its two code columns.
SPEND = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]
CODES = {"Channel": (1, 2), "Region": (1, 2, 3)}
WHOLESALE_CUSTOMERS = 440
#: The bakery's items; bread and butter are bought together, as are coffee and cake.
BAKERY_PAIRS = [("Bread", "Butter"), ("Coffee", "Cake"), ("Tea", "Scone")]
BAKERY_SINGLES = ["Cookies", "Juice", "Sandwich", "Soup"]
BAKERY_BASKETS = 600
#: Rows whose item is the till's placeholder, as in the bakery file.
BAKERY_PLACEHOLDERS = 40
HEADERLESS_BASKETS = 300


def wholesale_table(path: Path, customer_column: str | None = None) -> Path:
    """Yearly spend per category for 440 customers with Channel (1-2) and Region (1-3)
    codes; no customer column unless ``customer_column`` names one."""
    rng = np.random.default_rng(12)
    n = WHOLESALE_CUSTOMERS
    channel = rng.choice(CODES["Channel"], n, p=[0.68, 0.32])
    frame = pd.DataFrame({"Channel": channel, "Region": rng.choice(CODES["Region"], n)})
    for i, column in enumerate(SPEND):
        scale = np.where(channel == 2, 1.8, 1.0) if column in {"Grocery", "Milk"} else 1.0
        frame[column] = (rng.lognormal(8 + i % 3 * 0.4, 0.9, n) * scale).round().astype(int)
    if customer_column:
        frame.insert(0, customer_column, [f"W{n:04d}" for n in range(1, n + 1)])
    frame.to_csv(path, index=False)
    return path


def bakery_file(path: Path) -> Path:
    """``Date,Time,Transaction,Item``: one row per item, no customer, with ``NONE``
    placeholders on ``BAKERY_PLACEHOLDERS`` rows (some of them beside coffee)."""
    rng = np.random.default_rng(7)
    rows = []
    for basket in range(1, BAKERY_BASKETS + 1):
        items = set()
        for first, second in BAKERY_PAIRS:
            if rng.random() < 0.3:
                items.add(first)
                if rng.random() < 0.8:
                    items.add(second)
        items.update(item for item in BAKERY_SINGLES if rng.random() < 0.15)
        if not items:
            items.add(str(rng.choice(BAKERY_SINGLES)))
        day = pd.Timestamp("2016-10-30") + pd.Timedelta(days=basket // 40)
        time = f"{9 + basket % 8:02d}:{basket % 60:02d}:00"
        rows += [(day.date().isoformat(), time, basket, item) for item in sorted(items)]
    placeholders = rng.choice(len(rows), BAKERY_PLACEHOLDERS, replace=False)
    frame = pd.DataFrame(rows, columns=["Date", "Time", "Transaction", "Item"])
    extra = frame.iloc[placeholders].assign(Item="NONE")
    pd.concat([frame, extra]).sort_values("Transaction", kind="stable").to_csv(path, index=False)
    return path


def headerless_baskets(path: Path) -> Path:
    """One basket per line, comma-separated, no header; a few ``none`` and empty items."""
    rng = np.random.default_rng(3)
    lines = []
    for n in range(HEADERLESS_BASKETS):
        items = ["whole milk"] if rng.random() < 0.5 else []
        if rng.random() < 0.4:
            items += ["rolls/buns", "yogurt"] if rng.random() < 0.7 else ["rolls/buns"]
        items += [item for item in ("soda", "coffee", "sugar") if rng.random() < 0.2]
        if n % 25 == 0:
            items.append("none")
        lines.append(",".join(items or ["bottled water"]))
    path.write_text("\n".join(lines) + "\n")
    return path
