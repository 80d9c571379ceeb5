"""Recognise what kind of data a file holds and split it into customers and purchases.

Four shapes reach us (see ``SHAPES``). Whatever the shape, the rest of the
package sees the same two tables: one row per customer with numeric features,
and one row per purchased product with its customer and basket.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd

from basket_segments.analytics.cleaning import (
    REASON_TEXT,
    drop_placeholders,
    numeric_share,
    to_number,
)
from basket_segments.analytics.columns import (
    apply_mapping,
    detect_roles,
    feature_kind,
    is_category,
)
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.factorize import factorize, factorize_runs, first_rows, subset
from basket_segments.analytics.loading import RawTable, Source, read_source
from basket_segments.analytics.machine import side_threads
from basket_segments.analytics.transactions import clean_transactions, derive_rfm

SHAPES = {
    "combined": "customers with their attributes and products, one row per purchase",
    "customers": "a customer table (one row per customer, no products)",
    "transactions": "purchase transactions (customer features derived as RFM)",
    "baskets": "shopping baskets without customer attributes (rules only)",
}
#: Columns a message lists at most; a wide file's full list would bury the sentence.
MAX_LISTED_COLUMNS = 12
#: The key of the category columns among the stored roles (a list, not one column).
CATEGORIES = "categories"
#: The customer column made for a table without one: its row numbers (never shown).
ROW_NUMBER = "\x00row"
NUMBERED_NOTE = "No customer column: each row is one customer, numbered from 1 in file order."
#: Roles that describe purchases, never customer attributes.
PURCHASE_ROLES = ("customer", "product", "basket", "date", "quantity", "price", "stock_code")
#: The columns of a purchase row kept where the data has dates.
DATED_COLUMNS = ["customer", "basket", "product", "date", "amount"]
#: The columns of the clean lines outside the baskets (``PreparedData.other_lines``).
OTHER_LINE_COLUMNS = ["customer", "basket", "date", "amount"]


@dataclass(frozen=True)
class PreparedData:
    """Customers and purchases ready for segmentation and rule mining.

    ``customers`` is indexed by customer id (text) and holds numeric feature
    columns; ``purchases`` has the columns ``customer``, ``basket`` and
    ``product`` (``basket`` is empty where the data has no invoices), and, where the
    data has dates, ``date`` and ``amount`` too (``DATED_COLUMNS``), so it can be cut
    into periods (``analytics.over_time``).
    """

    shape: str
    roles: dict[str, str]
    customers: pd.DataFrame
    purchases: pd.DataFrame
    feature_kinds: dict[str, str] = field(default_factory=dict)
    report: dict = field(default_factory=dict)
    #: Category columns (codes, identifiers, postcodes) per customer, as text: kept out of
    #: the features, there to colour or filter by; None for data without customer attributes.
    categories: pd.DataFrame | None = None
    #: Where the data has dates, the clean purchase lines that are in no basket (postage,
    #: fees, lines without a product), with ``customer``, ``basket``, ``date`` and
    #: ``amount``: they count towards spend and frequency, so a period's RFM needs them
    #: as the whole file's does. None without dates. A few hundred rows in most files.
    other_lines: pd.DataFrame | None = None

    @property
    def choices(self) -> dict:
        """The roles as stored and offered to the user: one column per role, and the
        category columns (an empty list is a choice too: no categories)."""
        if self.categories is None:
            return dict(self.roles)
        return {**self.roles, CATEGORIES: [str(c) for c in self.categories.columns]}

    @property
    def features(self) -> list[str]:
        """Numeric customer features available for segmentation."""
        return list(self.customers.columns)

    @property
    def has_products(self) -> bool:
        """Whether there are purchases to mine rules and rank products from."""
        return not self.purchases.empty

    @cached_property
    def product_count(self) -> int:
        """Distinct products among the purchases, counted once: the load's line and the
        summary both give it (0.1 s each time on five million rows)."""
        return int(self.purchases["product"].nunique()) if len(self.purchases) else 0

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


def has_customers(raw: RawTable) -> bool:
    """Whether a table read names its customers (so it will be segmented), judged by
    its column names alone.

    >>> has_customers(RawTable(pd.DataFrame(columns=["CustomerID", "Age"]), False, "csv"))
    True
    """
    return not raw.is_basket_file and "customer" in detect_roles(raw.frame.columns)


def prepare(raw: RawTable, mapping: Mapping[str, str | None] | None = None) -> PreparedData:
    """Detect roles and shape of a ``RawTable`` and build customers and purchases."""
    if raw.is_basket_file:
        return _prepare_basket_file(raw.frame)
    frame = raw.frame
    mapping = dict(mapping or {})
    chosen_categories = mapping.pop(CATEGORIES, None)
    roles = apply_mapping(detect_roles(frame.columns), mapping, frame.columns)
    if raw.file_format == "csv":
        frame = _roles_as_written(frame, roles)
    if "customer" not in roles:
        if "product" in roles and "basket" in roles:
            return _prepare_long_baskets(frame, roles)
        if "product" not in roles and _all_numbers(frame, roles):
            return _prepare_numbered_customers(frame, roles, chosen_categories)
        raise DataError(missing_customer_message(frame))
    attributes = attribute_columns(frame, roles)  # after the quick refusals: it reads every column
    combined = "product" in roles and bool(attributes)
    # A combined file's customers are coded once: for categories, attributes and duplicates.
    coded = factorize_runs(frame[roles["customer"]]) if combined else None
    categories = category_columns(
        frame, roles["customer"], attributes, chosen_categories, coded and coded[0]
    )
    if "product" not in roles:
        return _prepare_customer_table(frame, roles, attributes, categories)
    if combined:
        return _prepare_combined(frame, roles, attributes, categories, coded)
    return _prepare_transactions(frame, roles)


def _roles_as_written(frame: pd.DataFrame, roles: Mapping[str, str]) -> pd.DataFrame:
    """A text file's role columns as text. Loading reads a column of plainly written whole
    numbers as numbers unless its name marks a role (``whole_numbers``); one the user
    made a role (the customer, a date such as 20240131) is text again, exactly as written.

    >>> frame = pd.DataFrame({"Day": [20240131], "Age": [30]})
    >>> _roles_as_written(frame, {"date": "Day"}).dtypes.astype(str).tolist()
    ['str', 'int64']
    """
    numbers = [
        column
        for column in dict.fromkeys(roles.values())
        if column in frame.columns and pd.api.types.is_integer_dtype(frame[column])
    ]
    if not numbers:
        return frame
    frame = frame.copy(deep=False)  # not `assign(**...)`: a column may be "self"
    for column in numbers:
        frame[column] = frame[column].astype("str")
    return frame


def _all_numbers(frame: pd.DataFrame, roles: Mapping[str, str]) -> bool:
    """Whether the file is a table of customers' numbers: more rows than columns, and every
    column outside the roles numbers (no text column could be the id the user forgot)."""
    others = [c for c in frame.columns if c not in set(roles.values())]
    if not others or len(frame) <= len(frame.columns):
        return False
    return attribute_columns(frame, roles) == others


def _prepare_numbered_customers(
    frame: pd.DataFrame, roles: Mapping[str, str], chosen_categories: list[str] | None
) -> PreparedData:
    """A table of numbers only, without a customer column (UCI's wholesale customers):
    each row is one customer, numbered from 1 in file order, so it can still be segmented."""
    numbered = frame.assign(**{ROW_NUMBER: [str(n) for n in range(1, len(frame) + 1)]})
    with_rows = {**roles, "customer": ROW_NUMBER}
    attributes = attribute_columns(numbered, with_rows)
    categories = category_columns(numbered, ROW_NUMBER, attributes, chosen_categories)
    data = _prepare_customer_table(numbered, with_rows, attributes, categories)
    data.report["notes"].append(NUMBERED_NOTE)
    return replace(data, roles=dict(roles))


def category_columns(
    frame: pd.DataFrame,
    customer: str,
    attributes: list[str],
    chosen: list[str] | None,
    customer_codes: np.ndarray | None = None,
) -> list[str]:
    """The attributes that are categories: the user's choice, else those that look like
    codes, identifiers or postcodes (``columns.is_category``), judged one value per customer
    (a combined file repeats a customer's attributes on every purchase).

    ``customer_codes``: the customer column ``factorize``d, when the caller has it.
    """
    if chosen is None:
        if not attributes:
            return []
        if customer_codes is None:
            customer_codes = factorize(frame[customer])[0]
        per_customer = frame[attributes].iloc[first_rows(customer_codes)]  # attributes only
        return [c for c in attributes if is_category(c, to_number(per_customer[c]))]
    unknown = [c for c in chosen if c not in attributes]
    if unknown:
        raise DataError(
            f"The category column(s) {', '.join(map(str, unknown))} are not numeric "
            f"attributes of this file; they are {', '.join(attributes) or 'none'}."
        )
    return list(chosen)


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
    report = {"rows_read": int(frame["basket"].nunique()), "unit": "baskets", "dropped": {}}
    keep = drop_placeholders(frame["product"], report)
    purchases = pd.DataFrame(
        {
            "customer": pd.Series(pd.NA, index=frame.index[keep], dtype="str"),
            "basket": frame["basket"][keep].astype("str"),
            "product": frame["product"][keep].astype("str"),
        }
    )
    return _basket_data(purchases, {}, report)


def _prepare_long_baskets(frame: pd.DataFrame, roles: Mapping[str, str]) -> PreparedData:
    product, basket = frame[roles["product"]], frame[roles["basket"]]
    present = (product != "") & product.notna() & (basket != "") & basket.notna()
    report = {"rows_read": len(frame), "dropped": {"missing_product": int((~present).sum())}}
    keep = present & drop_placeholders(product.where(present), report)
    purchases = pd.DataFrame(
        {
            "customer": pd.Series(pd.NA, index=frame.index[keep], dtype="str"),
            "basket": basket[keep].astype("str"),
            "product": product[keep].astype("str"),
        }
    )
    return _basket_data(purchases, roles, report)


def _basket_data(purchases: pd.DataFrame, roles: Mapping[str, str], report: dict) -> PreparedData:
    """Baskets without customers; the report counts baskets and product lines, which the
    Data page shows by name (never a bare "rows")."""
    report.setdefault("notes", [])
    report["baskets"] = int(purchases["basket"].nunique())
    report["product_lines"] = len(purchases)
    return PreparedData("baskets", dict(roles), _no_customers(), purchases, {}, report)


def feature_columns(attributes: list[str], categories: list[str]) -> list[str]:
    """The attributes KMeans may use: the numeric ones that are not categories."""
    features = [c for c in attributes if c not in categories]
    if attributes and not features:
        raise DataError(
            f"The numeric columns ({', '.join(attributes)}) all look like codes or "
            "identifiers; on the Data page, take the ones that are amounts out of the "
            "category columns."
        )
    return features


def _prepare_customer_table(
    frame: pd.DataFrame, roles: Mapping[str, str], attributes: list[str], categories: list[str]
) -> PreparedData:
    if not attributes:
        raise DataError("The customer table has no numeric columns to segment customers on.")
    features = feature_columns(attributes, categories)
    rows, report = _rows_with_customer(frame, roles["customer"])
    duplicates = rows.duplicated()
    report["dropped"]["duplicate_rows"] = int(duplicates.sum())
    customers = _customer_attributes(rows[~duplicates], roles["customer"], features, report)
    empty = pd.DataFrame({"customer": [], "basket": [], "product": []}, dtype="str")
    kinds = _kinds(features)
    codes = _customer_categories(rows[~duplicates], roles["customer"], categories, customers)
    return PreparedData("customers", dict(roles), customers, empty, kinds, report, codes)


def _prepare_combined(
    frame: pd.DataFrame,
    roles: Mapping[str, str],
    attributes: list[str],
    categories: list[str],
    coded: tuple[np.ndarray, pd.Index],
) -> PreparedData:
    features = feature_columns(attributes, categories)
    rows, report = _rows_with_customer(frame, roles["customer"])
    if len(rows) < len(frame):
        coded = subset(*coded, frame.index.isin(rows.index))
    # Customers' attributes and the purchase rows are independent, and both are mostly
    # pyarrow and numpy work that releases the interpreter lock: both at once.
    with side_threads(1) as pool:
        attributes_read = pool.submit(
            _customer_attributes, rows, roles["customer"], features, report, coded
        )
        purchases, clean_report = clean_transactions(rows, roles, customer_codes=coded[0])
        customers = attributes_read.result()
    for reason, count in clean_report["dropped"].items():
        report["dropped"][reason] = report["dropped"].get(reason, 0) + count
    report["notes"] += clean_report["notes"]
    kinds = _kinds(features)
    if "date" in roles:
        rfm = derive_rfm(purchases).reindex(customers.index)
        customers = customers.join(rfm).dropna()
        kinds.update({c: c.lower() for c in rfm.columns})
    products, other_lines = _product_lines(purchases, roles)
    return PreparedData(
        "combined",
        dict(roles),
        customers,
        products,
        kinds,
        report,
        _customer_categories(rows, roles["customer"], categories, customers),
        other_lines,
    )


def _product_lines(
    clean: pd.DataFrame, roles: Mapping[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The purchases (clean lines with a product) and, where the data has dates, the other
    clean lines: together every line ``derive_rfm`` counted, with their dates and amounts,
    so a period's RFM can be derived as the whole file's was.

    >>> clean = pd.DataFrame({"customer": ["a", "a"], "basket": ["1", "1"],
    ...     "date": pd.to_datetime(["2020-01-01"] * 2), "product": ["tea", None],
    ...     "amount": [2.0, 5.0]})
    >>> products, other = _product_lines(clean, {"date": "Day"})
    >>> products.columns.tolist(), other["amount"].tolist()
    (['customer', 'basket', 'product', 'date', 'amount'], [5.0])
    >>> _product_lines(clean, {})[1] is None
    True
    """
    if "date" not in roles:
        return clean[["customer", "basket", "product"]].dropna(subset=["product"]), None
    in_baskets = clean["product"].notna().to_numpy()
    return clean.loc[in_baskets, DATED_COLUMNS], clean.loc[~in_baskets, OTHER_LINE_COLUMNS]


def _customer_categories(
    rows: pd.DataFrame, customer: str, categories: list[str], customers: pd.DataFrame
) -> pd.DataFrame:
    """Each customer's first value of every category column, as text, in customer order."""
    if not categories:
        return pd.DataFrame(index=customers.index)
    first = rows[[customer, *categories]].groupby(customer, sort=False)[categories].first()
    return first.reindex(customers.index).astype("string")


def _prepare_transactions(frame: pd.DataFrame, roles: Mapping[str, str]) -> PreparedData:
    purchases, report = clean_transactions(frame, roles)
    report["rows_read"] = len(frame)
    if purchases.empty:
        raise DataError(nothing_usable_message(report))
    customers = derive_rfm(purchases)
    kinds = {c: c.lower() for c in customers.columns}
    products, other_lines = _product_lines(purchases, roles)
    return PreparedData(
        "transactions", dict(roles), customers, products, kinds, report, None, other_lines
    )


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
    # Not `assign(**{column: ...})`: a column may be "self". A shallow copy when every
    # row has its customer (a deep one of five million rows costs a second).
    rows = frame.copy(deep=False) if present.all() else frame[present].copy()
    rows[column] = ids[present]
    return rows, report


def _customer_attributes(
    rows: pd.DataFrame,
    customer: str,
    attributes: list[str],
    report: dict,
    coded: tuple[np.ndarray, pd.Index] | None = None,
) -> pd.DataFrame:
    """One row per customer; conflicting values are reported and the first is kept.

    ``coded``: the customer column ``factorize``d, when the caller has it.
    """
    codes, ids = coded or factorize(rows[customer])
    firsts = first_rows(codes)  # once for every column (0.2 s each for 5 million rows)
    by_value = [_first_by_value(rows[column], codes, firsts) for column in attributes]
    if all(found is not None for found in by_value):
        first, conflicting_rows = zip(*by_value, strict=True)
        customers = pd.DataFrame(dict(zip(attributes, first, strict=True)))
        conflicts = pd.DataFrame(dict(zip(attributes, conflicting_rows, strict=True)))
    else:  # some value missing or not a number: pandas' groupby, which skips them
        values = pd.DataFrame({column: to_number(rows[column]) for column in attributes})
        customers, conflicts = _first_values(values, codes, firsts)
    conflicting = int(conflicts.any(axis=1).sum())
    if conflicting:
        columns = ", ".join(conflicts.columns[conflicts.any()])
        report["notes"].append(
            f"{conflicting:,} customers have conflicting values in {columns}; "
            "the first value of each was used."
        )
    customers.index = pd.Index(ids[customers.index], name="customer")
    incomplete = customers.isna().any(axis=1).to_numpy()
    report["dropped"]["missing_feature"] = int(incomplete.sum())
    report["customers"] = int((~incomplete).sum())
    # A mask of numpy booleans: a Series would first be matched to the customer ids
    # (0.14 s for 500,000 of them), and a file without gaps keeps every row as it is.
    return customers[~incomplete] if incomplete.any() else customers


def _first_by_value(
    column: pd.Series, codes: np.ndarray, firsts: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """Each code's first number in ``column`` and whether it has another, or None when
    some value is missing or not a number (``firsts``: each code's first row,
    ``first_rows(codes)``).

    A combined file repeats a customer's attributes on every purchase: a few hundred
    distinct values in millions of rows. Each distinct text is read as a number once,
    and the rows compare small integers (one per number: "30" and "30.0" are one
    value), instead of making and comparing millions of floats.

    >>> first, conflicts = _first_by_value(pd.Series(["30", "41", "30.0", "50"]),
    ...                                    np.array([0, 1, 0, 1]), np.array([0, 1]))
    >>> first.tolist(), conflicts.tolist()
    ([30.0, 41.0], [False, True])
    >>> _first_by_value(pd.Series(["30", "x"]), np.array([0, 1]), np.array([0, 1])) is None
    True
    >>> first, conflicts = _first_by_value(pd.Series([30, 41, 30, 50]),
    ...                                    np.array([0, 1, 0, 1]), np.array([0, 1]))
    >>> first.tolist(), conflicts.tolist()
    ([30.0, 41.0], [False, True])
    """
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "iu":
        # Whole numbers (``whole_numbers``, a Parquet file): compared as they are, uncoded.
        first, conflicts = _first_and_conflicts(column.to_numpy(), codes, firsts)
        return first.astype("float64"), conflicts
    text_codes, texts = factorize(column)
    numbers = to_number(pd.Series(texts, dtype=object)).to_numpy(dtype="float64")
    if (text_codes < 0).any() or np.isnan(numbers).any():
        return None
    number_of_text, distinct_numbers = pd.factorize(numbers)
    first, conflicts = _first_and_conflicts(
        number_of_text.astype(np.int32)[text_codes], codes, firsts
    )
    return np.asarray(distinct_numbers, dtype="float64")[first], conflicts


def _first_and_conflicts(
    values: np.ndarray, codes: np.ndarray, firsts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each code's first value and whether it has another."""
    first = values[firsts]
    conflicts = np.zeros(len(first), dtype=bool)
    conflicts[codes[values != first[codes]]] = True
    return first, conflicts


def _first_values(
    values: pd.DataFrame, codes: np.ndarray, firsts: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each code's first non-missing value of every column, and where a code has two
    different values, indexed by code (codes numbered in order of first appearance).

    Without missing values (the usual file) this is one pass over the rows with no
    grouping, several times faster than pandas' groupby min, max and first.

    >>> values = pd.DataFrame({"Age": [30.0, 41.0, 31.0, float("nan")]})
    >>> first, conflicts = _first_values(values, np.array([0, 1, 0, 2]), np.array([0, 1, 3]))
    >>> first["Age"].tolist(), conflicts["Age"].tolist()
    ([30.0, 41.0, nan], [True, False, False])
    """
    matrix = values.to_numpy(dtype="float64")
    if np.isnan(matrix).any():
        grouped = values.groupby(codes, sort=False)
        low, high = grouped.min(), grouped.max()
        return grouped.first(), (low != high) & low.notna()
    first = matrix[firsts]
    differs = matrix != first[codes]
    conflicts = np.zeros(first.shape, dtype=bool)
    rows, columns = np.nonzero(differs)
    conflicts[codes[rows], columns] = True
    return (
        pd.DataFrame(first, columns=values.columns),
        pd.DataFrame(conflicts, columns=values.columns),
    )


def _kinds(attributes: list[str]) -> dict[str, str]:
    return {column: kind for column in attributes if (kind := feature_kind(column))}


def _no_customers() -> pd.DataFrame:
    return pd.DataFrame(index=pd.Index([], name="customer", dtype="str"))
