"""Cleaning purchase lines codes the product column once, and reports what pandas finds."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from basket_segments.analytics import factorize as factorize_module
from basket_segments.analytics import transactions
from basket_segments.analytics.transactions import clean_transactions

ROLES = {"customer": "Customer", "product": "Item"}
NAMES = ["tea", "jam", "POSTAGE", "NONE", "Bread", "", "postage ", "n/a"]


def _purchases(rows: int = 400, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "Customer": rng.choice(["a", "b", "c", "d"], rows),
            "Item": rng.choice(NAMES, rows),
        },
        dtype="str",
    )


def _duplicates_noted(report: dict) -> int:
    found = [re.match(r"([\d,]+) exact duplicate rows", note) for note in report["notes"]]
    return next((int(m.group(1).replace(",", "")) for m in found if m), 0)


def test_the_product_column_is_coded_once(monkeypatch):
    frame = _purchases()
    customer_codes = factorize_module.factorize(frame["Customer"])[0]
    coded: list[int] = []
    real = factorize_module.factorize

    def counting(values: pd.Series):
        coded.append(len(values))
        return real(values)

    monkeypatch.setattr(transactions, "factorize", counting)
    monkeypatch.setattr(factorize_module, "factorize", counting)
    clean, report = clean_transactions(frame, ROLES, customer_codes=customer_codes)
    assert coded == [len(frame)]  # the products; the customers came coded
    assert report["dropped"]["non_product_code"] == int(
        frame["Item"].str.strip().str.upper().eq("POSTAGE").sum()
    )
    placeholders = frame["Item"].isin(["NONE", "n/a"])
    assert report["dropped"]["placeholder_product"] == int(placeholders.sum())
    assert _duplicates_noted(report) == int(frame.duplicated().sum())
    in_baskets = ~frame["Item"].str.strip().str.upper().isin(["POSTAGE", "NONE", "N/A", ""])
    assert clean["product"].notna().tolist() == in_baskets.tolist()


@pytest.mark.parametrize("missing", [None, ""])
def test_duplicate_rows_tell_a_missing_name_from_an_empty_one(missing):
    frame = pd.DataFrame(
        {"Customer": ["a", "a", "a", "a"], "Item": ["tea", "tea", "", missing]}, dtype="str"
    )
    customer_codes = factorize_module.factorize(frame["Customer"])[0]
    _clean, report = clean_transactions(frame, ROLES, customer_codes=customer_codes)
    expected = 1 if missing is None else 2  # a missing name differs from an empty one
    assert _duplicates_noted(report) == int(frame.duplicated().sum()) == expected
