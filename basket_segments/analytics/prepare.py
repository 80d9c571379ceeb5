"""Recognise what kind of data a file holds and split it into customers and purchases.

Four shapes reach us (see ``SHAPES``). Whatever the shape, the rest of the
package sees the same two tables: one row per customer with numeric features,
and one row per purchased product with its customer and basket.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from basket_segments.analytics.cleaning import REASON_TEXT, numeric_share, to_number
from basket_segments.analytics.columns import apply_mapping, detect_roles, feature_kind
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.loading import RawTable, Source, read_source
from basket_segments.analytics.transactions import clean_transactions, derive_rfm

SHAPES = {
    "combined": "customers with their attributes and products, one row per purchase",
    "customers": "a customer table (one row per customer, no products)",
    "transactions": "purchase transactions (customer features derived as RFM)",
    "baskets": "shopping baskets without customer attributes (rules only)",
}
#: Columns a message lists at most; a wide file's full list would bury the sentence.
MAX_LISTED_COLUMNS = 12
#: Roles that describe purchases, never customer attributes.
PURCHASE_ROLES = ("customer", "product", "basket", "date", "quantity", "price", "stock_code")


@dataclass(frozen=True)
class PreparedData:
    """Customers and purchases ready for segmentation and rule mining.

    ``customers`` is indexed by customer id (text) and holds numeric feature
    columns; ``purchases`` has the columns ``customer``, ``basket`` and
    ``product`` (``basket`` is empty where the data has no invoices).
    """

    shape: str
    roles: dict[str, str]
    customers: pd.DataFrame
    purchases: pd.DataFrame
    feature_kinds: dict[str, str] = field(default_factory=dict)
    report: dict = field(default_factory=dict)

    @property
    def features(self) -> list[str]:
        """Numeric customer features available for segmentation."""
        return list(self.customers.columns)

    @property
    def has_products(self) -> bool:
        """Whether there are purchases to mine rules and rank products from."""
        return not self.purchases.empty

    @property
    def has_invoices(self) -> bool:
        """Whether baskets can be single invoices rather than whole customers."""
        return bool(self.purchases["basket"].notna().any()) if len(self.purchases) else False


def load_dataset(
    source: Source, filename: str | None = None, mapping: Mapping[str, str | None] | None = None
) -> PreparedData:
    """Read a file and prepare it: the one call the command line and the app make.

    >>> data = load_dataset(b"CustomerID,Age,Product\\n1,30,bread\\n1,30,milk\\n2,41,milk\\n")
    >>> data.shape, data.features, len(data.purchases)
    ('combined', ['Age'], 3)
    """
    return prepare(read_source(source, filename), mapping)


def prepare(raw: RawTable, mapping: Mapping[str, str | None] | None = None) -> PreparedData:
    """Detect roles and shape of a ``RawTable`` and build customers and purchases."""
    if raw.is_basket_file:
        return _prepare_basket_file(raw.frame)
    frame = raw.frame
    roles = apply_mapping(detect_roles(frame.columns), mapping, frame.columns)
    if "customer" not in roles:
        if "product" in roles and "basket" in roles:
            return _prepare_long_baskets(frame, roles)
        raise DataError(missing_customer_message(frame))
    attributes = attribute_columns(frame, roles)  # after the quick refusals: it reads every column
    if "product" not in roles:
        return _prepare_customer_table(frame, roles, attributes)
    if attributes:
        return _prepare_combined(frame, roles, attributes)
    return _prepare_transactions(frame, roles)


def attribute_columns(frame: pd.DataFrame, roles: Mapping[str, str]) -> list[str]:
    """Columns outside the purchase roles whose values are (almost all) numbers."""
    used = set(roles.values())
    return [c for c in frame.columns if c not in used and numeric_share(frame[c]) >= 0.5]


def nothing_usable_message(report: dict) -> str:
    """Why no purchase row survived cleaning, by the commonest reasons (both engines).

    >>> nothing_usable_message({"rows_read": 10, "dropped": {"bad_date": 10, "cancellation": 0}})
    'No usable purchase rows among the 10 read: 10 rows with an unreadable date.'
    """
    reasons = sorted(report["dropped"].items(), key=lambda item: -item[1])
    counts = [f"{n:,} {REASON_TEXT.get(reason, reason)}" for reason, n in reasons[:3] if n]
    read = report["rows_read"]
    return f"No usable purchase rows among the {read:,} read: {'; '.join(counts)}."


def missing_customer_message(frame: pd.DataFrame) -> str:
    """Which columns the file has, when none of them names the customer (any table with
    ``columns``, so the Spark engine says the same)."""
    names = [str(column) for column in frame.columns]
    columns = ", ".join(names[:MAX_LISTED_COLUMNS])
    if len(names) > MAX_LISTED_COLUMNS:
        columns += f" and {len(names) - MAX_LISTED_COLUMNS:,} more"
    return (
        "No customer column found (looked for names like CustomerID, Customer, Member_number); "
        f"the file's columns are {columns}. Name the customer column explicitly."
    )


def _prepare_basket_file(frame: pd.DataFrame) -> PreparedData:
    purchases = pd.DataFrame(
        {
            "customer": pd.Series(pd.NA, index=frame.index, dtype="str"),
            "basket": frame["basket"].astype("str"),
            "product": frame["product"].astype("str"),
        }
    )
    report = {"rows_read": int(frame["basket"].nunique()), "dropped": {}, "notes": []}
    return PreparedData("baskets", {}, _no_customers(), purchases, {}, report)


def _prepare_long_baskets(frame: pd.DataFrame, roles: Mapping[str, str]) -> PreparedData:
    product, basket = frame[roles["product"]], frame[roles["basket"]]
    keep = (product != "") & product.notna() & (basket != "") & basket.notna()
    purchases = pd.DataFrame(
        {
            "customer": pd.Series(pd.NA, index=frame.index[keep], dtype="str"),
            "basket": basket[keep].astype("str"),
            "product": product[keep].astype("str"),
        }
    )
    report = {"rows_read": len(frame), "dropped": {"missing_product": int((~keep).sum())}}
    return PreparedData("baskets", dict(roles), _no_customers(), purchases, {}, report)


def _prepare_customer_table(
    frame: pd.DataFrame, roles: Mapping[str, str], attributes: list[str]
) -> PreparedData:
    if not attributes:
        raise DataError("The customer table has no numeric columns to segment customers on.")
    rows, report = _rows_with_customer(frame, roles["customer"])
    duplicates = rows.duplicated()
    report["dropped"]["duplicate_rows"] = int(duplicates.sum())
    customers = _customer_attributes(rows[~duplicates], roles["customer"], attributes, report)
    empty = pd.DataFrame({"customer": [], "basket": [], "product": []}, dtype="str")
    kinds = _kinds(attributes)
    return PreparedData("customers", dict(roles), customers, empty, kinds, report)


def _prepare_combined(
    frame: pd.DataFrame, roles: Mapping[str, str], attributes: list[str]
) -> PreparedData:
    rows, report = _rows_with_customer(frame, roles["customer"])
    customers = _customer_attributes(rows, roles["customer"], attributes, report)
    purchases, clean_report = clean_transactions(rows, roles)
    for reason, count in clean_report["dropped"].items():
        report["dropped"][reason] = report["dropped"].get(reason, 0) + count
    report["notes"] += clean_report["notes"]
    kinds = _kinds(attributes)
    if "date" in roles:
        rfm = derive_rfm(purchases).reindex(customers.index)
        customers = customers.join(rfm).dropna()
        kinds.update({c: c.lower() for c in rfm.columns})
    return PreparedData(
        "combined",
        dict(roles),
        customers,
        purchases[["customer", "basket", "product"]].dropna(subset=["product"]),
        kinds,
        report,
    )


def _prepare_transactions(frame: pd.DataFrame, roles: Mapping[str, str]) -> PreparedData:
    purchases, report = clean_transactions(frame, roles)
    report["rows_read"] = len(frame)
    if purchases.empty:
        raise DataError(nothing_usable_message(report))
    customers = derive_rfm(purchases)
    kinds = {c: c.lower() for c in customers.columns}
    products = purchases.dropna(subset=["product"])[["customer", "basket", "product"]]
    return PreparedData("transactions", dict(roles), customers, products, kinds, report)


def _rows_with_customer(frame: pd.DataFrame, column: str) -> tuple[pd.DataFrame, dict]:
    ids = frame[column].astype("str")
    present = ids.notna() & (ids != "") & (ids != "nan")
    report = {
        "rows_read": len(frame),
        "dropped": {"missing_customer": int((~present).sum())},
        "notes": [],
    }
    if not present.any():
        raise DataError(f"The customer column '{column}' is empty in every row.")
    rows = frame[present].copy()  # not `assign(**{column: ...})`: a column may be "self"
    rows[column] = ids[present]
    return rows, report


def _customer_attributes(
    rows: pd.DataFrame, customer: str, attributes: list[str], report: dict
) -> pd.DataFrame:
    """One row per customer; conflicting values are reported and the first is kept."""
    values = rows[attributes].apply(to_number)
    codes, ids = pd.factorize(rows[customer])
    grouped = values.groupby(codes, sort=False)
    low, high = grouped.min(), grouped.max()
    conflicts = (low != high) & low.notna()
    conflicting = int(conflicts.any(axis=1).sum())
    if conflicting:
        columns = ", ".join(conflicts.columns[conflicts.any()])
        report["notes"].append(
            f"{conflicting:,} customers have conflicting values in {columns}; "
            "the first value of each was used."
        )
    customers = grouped.first()
    customers.index = pd.Index(ids[customers.index], name="customer")
    incomplete = customers.isna().any(axis=1)
    report["dropped"]["missing_feature"] = int(incomplete.sum())
    report["customers"] = int((~incomplete).sum())
    return customers[~incomplete]


def _kinds(attributes: list[str]) -> dict[str, str]:
    return {column: kind for column in attributes if (kind := feature_kind(column))}


def _no_customers() -> pd.DataFrame:
    return pd.DataFrame(index=pd.Index([], name="customer", dtype="str"))
