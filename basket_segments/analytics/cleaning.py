"""Turn text cells into numbers and dates, and describe what cleaning dropped.

Users' numbers come with currency signs and thousands separators, their dates
in day-first or month-first order; we accept the common forms and count, by
reason, every row we cannot use, so nothing disappears silently.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from basket_segments.analytics.factorize import by_row, factorize
from basket_segments.analytics.table_checks import arrow_text

#: Plain-language text for each reason a row or customer is dropped.
REASON_TEXT: dict[str, str] = {
    "missing_customer": "rows without a customer",
    "missing_product": "rows without a product",
    "placeholder_product": "rows whose product is a placeholder",
    "cancellation": "cancellations",
    "non_positive_quantity": "rows with a quantity of zero or less",
    "non_positive_price": "rows with a price of zero or less",
    "bad_date": "rows with an unreadable date",
    "non_product_code": "rows of postage, fees or manual entries (kept out of baskets)",
    "duplicate_rows": "exact duplicate rows",
    "missing_feature": "customers with a missing or non-numeric feature value",
}

#: Product names that stand for "no product" (any case): exports write them into empty cells.
PLACEHOLDER_PRODUCTS = frozenset({"none", "nan", "null", "n/a", "unknown", "?"})
#: Placeholders a cleaning report names at most.
MAX_NAMED_PLACEHOLDERS = 5

#: Date formats tried in order; the first that reads (almost) every sampled value wins.
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d-%m-%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%d/%m/%Y %H:%M",
    "%d-%m-%Y %H:%M",
    "%m/%d/%Y",
    "%m-%d-%Y",
    "%m/%d/%Y %H:%M",
)

_CURRENCY = r"^[\$€£¥]\s*|\s*[\$€£¥%]$"
_THOUSANDS = r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$"
#: 1.234,5 or 45,5: a decimal comma, as European exports write numbers.
_DECIMAL_COMMA = r"^[-+]?(\d{1,3}(\.\d{3})+|\d+),\d+$"
#: 1,234 reads as a thousand and more in either convention; only its neighbours tell.
_COMMA_THOUSANDS = r"^[-+]?\d{1,3}(,\d{3})+$"


def to_number(values: pd.Series) -> pd.Series:
    """Parse numbers, accepting currency signs, thousands separators and decimal commas.

    A column whose numbers use a decimal comma (``45,5``, ``1.234,5``) and
    never a decimal point is read the European way; otherwise commas group
    thousands. Unreadable and infinite values become NaN, so callers count them.

    >>> to_number(pd.Series(["1,234.5", "$12", "abc", "inf", "7"])).tolist()
    [1234.5, 12.0, nan, nan, 7.0]
    >>> to_number(pd.Series(["45,5", "1.234,5", "€3"])).tolist()
    [45.5, 1234.5, 3.0]
    """
    plain = _plain_numbers(values)
    if plain is not None:
        return plain
    numbers = pd.to_numeric(values, errors="coerce")
    failed = numbers.isna() & values.notna()
    if failed.any():
        text = values[failed].astype(str).str.strip().str.replace(_CURRENCY, "", regex=True)
        if _decimal_comma(text):
            text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        else:
            grouped = text.str.match(_THOUSANDS)
            text = text.where(~grouped, text.str.replace(",", "", regex=False))
        numbers = numbers.astype("float64")
        numbers[failed] = pd.to_numeric(text, errors="coerce").astype("float64")
    numbers = numbers.astype("float64")
    return numbers.where(np.isfinite(numbers))


def _plain_numbers(values: pd.Series) -> pd.Series | None:
    """The values as numbers when every one is a plain number or empty, else None.

    pyarrow's cast parses a column of clean numbers (most files) about ten times
    faster than ``pd.to_numeric`` on text; anything else fails it as a whole,
    and the careful path above reads the column.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    text = arrow_text(values)
    if text is None:
        return None
    try:
        if pc.any(pc.equal(text, "")).as_py():  # empty cells are missing (a copy: only then)
            text = pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text)
        numbers = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    numbers = np.where(np.isfinite(numbers), numbers, np.nan)
    return pd.Series(numbers, index=values.index, name=values.name)


def _decimal_comma(text: pd.Series) -> bool:
    """Whether numbers are written with a decimal comma: some value can only be read
    that way (``45,5``, ``1.234,5``) and none has a decimal point after thousands."""
    european = text.str.match(_DECIMAL_COMMA) & ~text.str.match(_COMMA_THOUSANDS)
    if not european.any():
        return False
    return not (text.str.match(_THOUSANDS) & text.str.contains(".", regex=False)).any()


def to_date(values: pd.Series) -> pd.Series:
    """Parse dates in the first common format that fits the values.

    >>> to_date(pd.Series(["21-07-2015", "05-01-2015"])).dt.month.tolist()
    [7, 1]
    """
    sample = values.dropna()
    sample = sample[sample.astype(str) != ""].head(2000)
    for fmt in DATE_FORMATS:
        parsed = pd.to_datetime(sample, format=fmt, errors="coerce")
        if len(sample) and parsed.notna().mean() >= 0.99:
            return pd.to_datetime(values, format=fmt, errors="coerce")
    return pd.to_datetime(values, format="mixed", errors="coerce")


def numeric_share(values: pd.Series, sample: int = 20_000) -> float:
    """Share of the non-empty values that read as numbers, judged on a sample of rows.

    >>> numeric_share(pd.Series(["1", "2", "x", ""]))
    0.6666666666666666
    """
    if len(values) > sample:  # evenly spaced rows: as fair as random, without a shuffle
        values = values.iloc[np.linspace(0, len(values) - 1, sample).astype(np.int64)]
    present = values[values.notna() & (values.astype(str) != "")]
    return float(to_number(present).notna().mean()) if len(present) else 0.0


def placeholder_products(
    products: pd.Series, coded: tuple[np.ndarray, pd.Index] | None = None
) -> pd.Series:
    """Which products are placeholders (``NONE``, ``nan``, ``N/A``, ``?``...), not products,
    judged once per distinct name. ``coded``: the products ``factorize``d, when the
    caller has them.

    >>> placeholder_products(pd.Series(["NONE", "Bread", " n/a ", None])).tolist()
    [True, False, True, False]
    >>> coded = (np.array([0, 1, 2, -1]), pd.Index(["NONE", "Bread", " n/a "]))
    >>> placeholder_products(pd.Series(["NONE", "Bread", " n/a ", None]), coded).tolist()
    [True, False, True, False]
    """
    codes, uniques = coded or factorize(products)
    names = pd.Series(uniques, dtype="string")
    flags = names.str.strip().str.casefold().isin(PLACEHOLDER_PRODUCTS).to_numpy(dtype=bool)
    return pd.Series(by_row(flags, codes), index=products.index)


def drop_placeholders(
    products: pd.Series, report: dict, coded: tuple[np.ndarray, pd.Index] | None = None
) -> pd.Series:
    """Which rows to keep: not a placeholder product. Counts the rest in ``report``, with
    the placeholders seen, so the cleaning report can name them. ``coded``: as
    ``placeholder_products`` takes it."""
    placeholder = placeholder_products(products, coded)
    report["dropped"]["placeholder_product"] = int(placeholder.sum())
    if placeholder.any():
        seen = sorted(set(products[placeholder].astype(str).str.strip()))
        report["placeholders"] = seen[:MAX_NAMED_PLACEHOLDERS]
    return ~placeholder


def describe_report(report: dict) -> list[str]:
    """Sentences a user reads about what cleaning did; ``unit`` says what was read.

    >>> describe_report({"rows_read": 10, "dropped": {"cancellation": 2}})
    ['Read 10 rows.', 'Dropped 2 cancellations.']
    >>> describe_report({"rows_read": 7501, "unit": "baskets", "placeholders": ["NONE"],
    ...                  "dropped": {"placeholder_product": 786}})
    ['Read 7,501 baskets.', 'Dropped 786 rows whose product is a placeholder (NONE).']
    """
    lines = [f"Read {report.get('rows_read', 0):,} {report.get('unit', 'rows')}."]
    for reason, count in report.get("dropped", {}).items():
        if count:
            named = report.get("placeholders") if reason == "placeholder_product" else None
            detail = f" ({', '.join(named)})" if named else ""
            lines.append(f"Dropped {count:,} {REASON_TEXT.get(reason, reason)}{detail}.")
    lines.extend(report.get("notes", []))
    return lines
