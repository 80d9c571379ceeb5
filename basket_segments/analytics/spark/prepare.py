"""Recognise the shape of the data and build customers and purchases, in Spark.

The same four shapes as ``analytics.prepare`` (a customer table, purchase
transactions, both combined, baskets), told apart by the same role detection
on the header, so a file means the same to both engines. Customers come out
as one row per customer with numeric features, cached because KMeans passes
over them many times; purchases as (customer, basket, product) rows.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, reduce
from typing import TYPE_CHECKING, Any

from basket_segments.analytics.columns import (
    apply_mapping,
    detect_roles,
    feature_kind,
    looks_like_codes,
)
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.prepare import (
    CATEGORIES,
    feature_columns,
    missing_customer_message,
    nothing_usable_message,
)
from basket_segments.analytics.spark.reading import SparkTable
from basket_segments.analytics.spark.transactions import (
    clean_transactions,
    derive_rfm,
    is_placeholder,
    placeholders_seen,
)
from basket_segments.analytics.spark.values import col, number, text

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

#: Rows sampled to tell numeric attribute columns, as ``analytics.cleaning.numeric_share``.
NUMERIC_SAMPLE = 20_000
ROW = "_row"


@dataclass(frozen=True)
class SparkData:
    """Customers and purchases as Spark tables, with the counts the summary reports.

    ``customers`` has ``customer`` and numeric feature columns (None for basket
    data); ``purchases`` has ``customer``, ``basket`` and ``product`` (None for a
    customer table); a basket file comes as ``baskets`` (``basket``, ``items``).
    """

    shape: str
    roles: dict[str, str]
    customers: DataFrame | None
    purchases: DataFrame | None
    feature_kinds: dict[str, str] = field(default_factory=dict)
    report: dict = field(default_factory=dict)
    baskets: DataFrame | None = None
    #: Purchases with dates: every clean line (``transactions.CLEAN_COLUMNS``, charges
    #: included), what the RFM was derived from, so periods' RFM can be derived alike.
    lines: DataFrame | None = None
    #: A file of customers with their purchases: ``customer`` and ``_row``, each customer's
    #: first row in the file, the order the local engine keeps its customers in (None:
    #: by customer, as ``derive_rfm`` sorts them). KMeans' seeded starts depend on it.
    first_rows: DataFrame | None = None

    @property
    def features(self) -> list[str]:
        """Numeric customer features available for segmentation."""
        return [] if self.customers is None else self.customers.columns[1:]

    @property
    def has_products(self) -> bool:
        """Whether there are purchases (or baskets) to mine rules and rank products from."""
        return self.purchases is not None or self.baskets is not None

    @cached_property
    def counts(self) -> dict[str, int]:
        """Customers, purchase rows and distinct products, as the summary reports them
        (Spark jobs, run once)."""
        from pyspark.sql import functions as F

        customers = self.customers.count() if self.customers is not None else 0
        rows, products = 0, 0
        if self.purchases is not None:
            counted = self.purchases.agg(F.count(F.lit(1)), F.count_distinct("product")).first()
            rows, products = counted[0], counted[1]
        elif self.baskets is not None:
            held = self.baskets.select(F.explode("items").alias("product"))
            rows, products = held.agg(F.count(F.lit(1)), F.count_distinct("product")).first()
        return {"customers": customers, "purchase_rows": rows, "products": products}


def prepare_table(table: SparkTable, mapping: Mapping[str, Any] | None = None) -> SparkData:
    """Detect roles and shape of a ``SparkTable`` and build customers and purchases;
    ``mapping``: the user's roles and category columns, as the local ``prepare`` takes."""
    if table.is_basket_file:
        return _basket_file(table.frame)
    frame = table.frame
    mapping = dict(mapping or {})
    chosen_categories = mapping.pop(CATEGORIES, None)
    roles = apply_mapping(detect_roles(frame.columns), mapping, frame.columns)
    if "customer" not in roles:
        if "product" in roles and "basket" in roles:
            return _long_baskets(frame, roles)
        raise DataError(missing_customer_message(frame))
    attributes = attribute_columns(frame, roles)
    if attributes:  # KMeans measures amounts, not the codes among them (as locally)
        if chosen_categories is None:
            categories = category_columns(frame, roles["customer"], attributes)
        else:
            categories = [name for name in chosen_categories if name in attributes]
        attributes = feature_columns(attributes, categories)
    if "product" not in roles:
        return _customer_table(frame, roles, attributes)
    if attributes:
        return _combined(frame, roles, attributes)
    return _transactions(frame, roles)


def attribute_columns(frame: DataFrame, roles: Mapping[str, str]) -> list[str]:
    """Columns outside the purchase roles whose sampled values are (mostly) numbers."""
    from pyspark.sql import functions as F

    used = set(roles.values())
    candidates = [name for name in frame.columns if name not in used]
    if not candidates:
        return []
    sample = frame.limit(NUMERIC_SAMPLE)
    counts = sample.agg(
        *[F.count(text(col(name))).alias(f"t{i}") for i, name in enumerate(candidates)],
        *[F.count(number(col(name))).alias(f"n{i}") for i, name in enumerate(candidates)],
    ).first()
    return [
        name
        for i, name in enumerate(candidates)
        if counts[f"t{i}"] and counts[f"n{i}"] >= 0.5 * counts[f"t{i}"]
    ]


def _basket_file(frame: DataFrame) -> SparkData:
    """One basket per line, placeholder products taken out of each (as the local engine)."""
    from pyspark.sql import functions as F

    marked = frame.select(
        "basket",
        F.filter("items", lambda item: ~is_placeholder(item)).alias("items"),
        F.filter("items", is_placeholder).alias("placeholders"),
    ).cache()
    counts = marked.agg(F.count(F.lit(1)), F.sum(F.size("placeholders"))).first()
    report = {
        "rows_read": counts[0],
        "unit": "baskets",
        "dropped": {"placeholder_product": int(counts[1] or 0)},
        "notes": [],
    }
    if counts[1]:
        seen = marked.select(F.explode("placeholders").alias("product"))
        report["placeholders"] = placeholders_seen(seen)
    return SparkData("baskets", {}, None, None, {}, report, marked.drop("placeholders"))


def category_columns(frame: DataFrame, customer: str, attributes: list[str]) -> list[str]:
    """The attributes that look like codes, identifiers or postcodes, judged on one row
    per customer from a summary of each column (``columns.looks_like_codes``)."""
    from pyspark.sql import functions as F

    values = frame.dropDuplicates([customer]).select(
        *[number(col(name)).alias(f"v{i}") for i, name in enumerate(attributes)]
    )
    summaries = []
    for i in range(len(attributes)):
        value = F.col(f"v{i}")
        summaries += [
            F.count(value).alias(f"n{i}"),
            F.count_distinct(value).alias(f"d{i}"),
            F.min(value).alias(f"lo{i}"),
            F.max(value).alias(f"hi{i}"),
            F.count_if(value != F.round(value)).alias(f"f{i}"),
        ]
    row = values.agg(*summaries).first()
    return [
        name
        for i, name in enumerate(attributes)
        if looks_like_codes(
            name, row[f"n{i}"], row[f"d{i}"], row[f"lo{i}"], row[f"hi{i}"], not row[f"f{i}"]
        )
    ]


def _long_baskets(frame: DataFrame, roles: Mapping[str, str]) -> SparkData:
    from pyspark.sql import functions as F

    rows = frame.select(
        F.lit(None).cast("string").alias("customer"),
        text(col(roles["basket"])).alias("basket"),
        text(col(roles["product"])).alias("product"),
    ).cache()
    present = F.col("product").isNotNull() & F.col("basket").isNotNull()
    placeheld = present & is_placeholder(F.col("product"))
    counts = rows.agg(F.count(F.lit(1)), F.count_if(present), F.count_if(placeheld)).first()
    report = {
        "rows_read": counts[0],
        "dropped": {"missing_product": counts[0] - counts[1], "placeholder_product": counts[2]},
        "notes": [],
    }
    if counts[2]:
        report["placeholders"] = placeholders_seen(rows.where(placeheld))
    purchases = rows.where(present & ~placeheld)
    return SparkData("baskets", dict(roles), None, purchases, {}, report)


def _customer_table(frame: DataFrame, roles: Mapping[str, str], attributes: list[str]) -> SparkData:
    if not attributes:
        raise DataError("The customer table has no numeric columns to segment customers on.")
    rows, report = _rows_with_customer(frame, roles["customer"])
    distinct = rows.select(*[col(name) for name in frame.columns]).distinct().count()
    with_customer = report["rows_read"] - report["dropped"]["missing_customer"]
    report["dropped"]["duplicate_rows"] = with_customer - distinct
    customers = _customer_attributes(rows, attributes, report)
    return SparkData("customers", dict(roles), customers, None, _kinds(attributes), report)


def _combined(frame: DataFrame, roles: Mapping[str, str], attributes: list[str]) -> SparkData:
    from pyspark.sql import functions as F

    rows, report = _rows_with_customer(frame, roles["customer"])
    customers = _customer_attributes(rows, attributes, report)
    clean, clean_report = clean_transactions(rows, roles)
    for reason, count in clean_report["dropped"].items():
        report["dropped"][reason] = report["dropped"].get(reason, 0) + count
    kinds = _kinds(attributes)
    if "date" in roles:
        rfm = derive_rfm(clean)
        customers = customers.join(rfm.dropna(), "customer").cache()
        kinds.update({name: name.lower() for name in rfm.columns[1:]})
    purchases = clean.where(F.col("product").isNotNull()).select("customer", "basket", "product")
    lines = clean if "date" in roles else None
    first = rows.groupBy(F.col("_customer").alias("customer")).agg(F.min(ROW).alias(ROW))
    return SparkData(
        "combined", dict(roles), customers, purchases, kinds, report, None, lines, first
    )


def _transactions(frame: DataFrame, roles: Mapping[str, str]) -> SparkData:
    from pyspark.sql import functions as F

    clean, report = clean_transactions(frame, roles)
    if not report["rows_used"]:
        raise DataError(nothing_usable_message(report))
    customers = derive_rfm(clean).cache()
    kinds = {name: name.lower() for name in customers.columns[1:]}
    purchases = clean.where(F.col("product").isNotNull()).select("customer", "basket", "product")
    lines = clean if "date" in roles else None
    return SparkData("transactions", dict(roles), customers, purchases, kinds, report, None, lines)


def _rows_with_customer(frame: DataFrame, column: str) -> tuple[DataFrame, dict]:
    """Rows with a customer id, numbered in file order (for "first value" below)."""
    from pyspark.sql import functions as F

    marked = frame.withColumn("_customer", text(col(column)))
    counts = marked.agg(F.count(F.lit(1)), F.count("_customer")).first()
    if not counts[1]:
        raise DataError(f"The customer column '{column}' is empty in every row.")
    report = {
        "rows_read": counts[0],
        "dropped": {"missing_customer": counts[0] - counts[1]},
        "notes": [],
    }
    rows = marked.where(F.col("_customer").isNotNull())
    return rows.withColumn(ROW, F.monotonically_increasing_id()), report


def _customer_attributes(rows: DataFrame, attributes: list[str], report: dict) -> DataFrame:
    """One row per customer with the first value of each attribute in file order;
    conflicting values are reported, customers with a missing value dropped."""
    from pyspark.sql import functions as F

    values = rows.select(
        F.col("_customer").alias("customer"),
        ROW,
        *[number(col(name)).alias(name) for name in attributes],
    )
    first = [F.min_by(col(a), F.when(col(a).isNotNull(), F.col(ROW))).alias(a) for a in attributes]
    conflicts = [
        (F.min(col(a)) != F.max(col(a))).alias(f"_conflict{i}") for i, a in enumerate(attributes)
    ]
    grouped = values.groupBy("customer").agg(*first, *conflicts).cache()
    complete = reduce(operator.and_, [col(name).isNotNull() for name in attributes])
    flags = [F.coalesce(F.col(f"_conflict{i}"), F.lit(False)) for i in range(len(attributes))]
    counts = grouped.agg(
        F.count_if(~complete).alias("incomplete"),
        F.count_if(complete).alias("complete"),
        F.count_if(reduce(operator.or_, flags)).alias("conflicting"),
        *[F.count_if(flag).alias(f"c{i}") for i, flag in enumerate(flags)],
    ).first()
    if counts["conflicting"]:
        columns = ", ".join(a for i, a in enumerate(attributes) if counts[f"c{i}"])
        report["notes"].append(
            f"{counts['conflicting']:,} customers have conflicting values in {columns}; "
            "the first value of each was used."
        )
    report["dropped"]["missing_feature"] = counts["incomplete"]
    report["customers"] = counts["complete"]
    return grouped.where(complete).select("customer", *[col(a) for a in attributes]).cache()


def _kinds(attributes: list[str]) -> dict[str, str]:
    return {name: kind for name in attributes if (kind := feature_kind(name))}
