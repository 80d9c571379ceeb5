"""Clean purchase lines and derive recency, frequency and monetary value, in Spark.

The same rules as ``analytics.transactions``, as column expressions: a sale
row has a customer, is not a cancellation (invoice starting "C"), and has
quantity > 0 and price > 0 where those columns exist; postage and fees count
towards spend but stay out of baskets; every dropped row is counted by reason,
in one pass over the data.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from functools import reduce
from typing import TYPE_CHECKING

from basket_segments.analytics.cleaning import MAX_NAMED_PLACEHOLDERS, PLACEHOLDER_PRODUCTS
from basket_segments.analytics.columns import NON_PRODUCT_CODES
from basket_segments.analytics.spark.values import col, date_parser, number, text
from basket_segments.analytics.transactions import NON_PRODUCT_NAMES

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

#: The clean table's columns and their types where the data lacks them.
CLEAN_COLUMNS = {
    "customer": "string",
    "basket": "string",
    "date": "timestamp",
    "product": "string",
    "amount": "double",
}
DROP_PREFIX = "_drop_"


def clean_transactions(frame: DataFrame, roles: Mapping[str, str]) -> tuple[DataFrame, dict]:
    """Sale rows (``CLEAN_COLUMNS``; ``product`` missing for charges) and a cleaning
    report with the local engine's reasons and counts (a row can have several)."""
    from pyspark.sql import functions as F

    values = _values(frame, roles)
    flags = _problems(values)
    charge = _is_charge(values["product"], values["stock_code"])
    placeholder = is_placeholder(values["product"])
    marked = frame.select(
        *[_or_null(values[name], kind).alias(name) for name, kind in CLEAN_COLUMNS.items()],
        *[flag.alias(DROP_PREFIX + reason) for reason, flag in flags.items()],
        charge.alias("_charge"),
        (placeholder & ~charge).alias("_placeholder"),
        (~_any(flags.values())).alias("_keep"),
    ).cache()  # one parse of the source feeds the report, the features and the baskets
    kept, charged, placeheld = F.col("_keep"), F.col("_charge"), F.col("_placeholder")
    counts = marked.agg(
        F.count(F.lit(1)).alias("rows_read"),
        *[F.count_if(F.col(DROP_PREFIX + reason)).alias(reason) for reason in flags],
        F.count_if(kept & charged).alias("non_product_code"),
        F.count_if(kept & F.col("product").isNull() & ~charged).alias("missing_product"),
        F.count_if(kept & placeheld).alias("placeholder_product"),
        F.count_if(kept).alias("rows_used"),
    ).first()
    reasons = [*flags, "non_product_code", "missing_product", "placeholder_product"]
    report = {
        "rows_read": counts["rows_read"],
        "dropped": {reason: counts[reason] for reason in reasons},
        "notes": [],
        "rows_used": counts["rows_used"],
    }
    if counts["placeholder_product"]:
        report["placeholders"] = placeholders_seen(marked.where(kept & placeheld))
    product = F.when(~charged & ~placeheld, F.col("product")).alias("product")
    clean = marked.where(kept).select("customer", "basket", "date", product, "amount")
    return clean, report


def _values(frame: DataFrame, roles: Mapping[str, str]) -> dict[str, Column | None]:
    """Each purchase value as a column expression; None where the data lacks it."""
    from pyspark.sql import functions as F

    def role(name: str, read: Callable[[Column], Column]) -> Column | None:
        return read(col(roles[name])) if name in roles else None

    values = {
        "customer": text(col(roles["customer"])),
        "invoice": role("basket", text),
        "quantity": role("quantity", number),
        "price": role("price", number),
        "date": date_parser(frame, roles["date"]) if "date" in roles else None,
        "product": role("product", text),
        "stock_code": role("stock_code", text),
    }
    values["amount"] = _amount(values["quantity"], values["price"])
    values["basket"] = values["invoice"]
    if values["basket"] is None and values["date"] is not None:  # a basket is a customer's day
        day = F.date_format(values["date"], "yyyy-MM-dd")
        values["basket"] = F.concat(values["customer"], F.lit("|"), day)
    return values


def _problems(values: Mapping[str, Column | None]) -> dict[str, Column]:
    """Why a row is no sale, per reason, for the columns the data has."""
    from pyspark.sql import functions as F

    no = F.lit(False)
    flags = {"missing_customer": values["customer"].isNull()}
    if values["invoice"] is not None:
        flags["cancellation"] = F.coalesce(F.upper(values["invoice"]).startswith("C"), no)
    if values["quantity"] is not None:
        flags["non_positive_quantity"] = ~F.coalesce(values["quantity"] > 0, no)
    if values["price"] is not None:
        flags["non_positive_price"] = ~F.coalesce(values["price"] > 0, no)
    if values["date"] is not None:
        flags["bad_date"] = values["date"].isNull()
    return flags


def _any(flags: Iterable[Column]) -> Column:
    """True where any flag is (every flag is true or false, never missing)."""
    return reduce(operator.or_, flags)


def _or_null(value: Column | None, kind: str) -> Column:
    from pyspark.sql import functions as F

    return F.lit(None).cast(kind) if value is None else value


def _amount(quantity: Column | None, price: Column | None) -> Column:
    from pyspark.sql import functions as F

    if price is None:
        return F.lit(None).cast("double")
    return price * quantity if quantity is not None else price


def _is_charge(product: Column | None, stock_code: Column | None) -> Column:
    """Postage, fees and manual adjustments, by description or stock code."""
    from pyspark.sql import functions as F

    if product is None:
        return F.lit(False)
    charge = F.coalesce(F.upper(product).isin(*sorted(NON_PRODUCT_NAMES)), F.lit(False))
    if stock_code is not None:
        by_code = F.upper(stock_code).isin(*sorted(NON_PRODUCT_CODES))
        charge = charge | F.coalesce(by_code, F.lit(False))
    return charge


def is_placeholder(product: Column | None) -> Column:
    """``NONE``, ``nan``, ``N/A``... in any case: placeholders, not products
    (``cleaning.PLACEHOLDER_PRODUCTS``)."""
    from pyspark.sql import functions as F

    if product is None:
        return F.lit(False)
    folded = F.lower(F.trim(product))
    return F.coalesce(folded.isin(*sorted(PLACEHOLDER_PRODUCTS)), F.lit(False))


def placeholders_seen(rows: DataFrame) -> list[str]:
    """The placeholders a cleaning report names, as the local engine names them."""
    from pyspark.sql import functions as F

    seen = rows.select(F.trim("product").alias("seen")).distinct().collect()
    return sorted(row["seen"] for row in seen)[:MAX_NAMED_PLACEHOLDERS]


def derive_rfm(clean: DataFrame) -> DataFrame:
    """Recency (days), frequency (baskets) and monetary value (spend) per customer.

    Recency counts days from a customer's last purchase to the day after the
    data's last date; columns the data cannot support are left out, as in the
    local engine.
    """
    from pyspark.sql import functions as F

    facts = clean.agg(
        F.max(F.to_date("date")).alias("last_day"),
        F.count("basket").alias("baskets"),
        F.count("amount").alias("amounts"),
    ).first()
    features = []
    if facts["last_day"] is not None:
        reference = F.date_add(F.lit(facts["last_day"]), 1)
        features.append(F.datediff(reference, F.max(F.to_date("date"))).alias("Recency"))
    if facts["baskets"]:
        features.append(F.count_distinct("basket").alias("Frequency"))
    if facts["amounts"]:
        features.append(F.bround(F.sum("amount"), 2).alias("Monetary"))
    if not features:
        return clean.select("customer").distinct()
    return clean.groupBy("customer").agg(*features)
