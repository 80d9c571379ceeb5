"""Read text cells as ids, numbers and dates in Spark, as the local engine reads them.

Spark reads CSV cells as text; these column expressions turn them into the
values the analysis needs with the local engine's rules where Spark can follow
them: empty text is missing, numbers must be finite, and dates take the first
of the local engine's formats that reads (almost) every sampled value.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from basket_segments.analytics.cleaning import DATE_FORMATS

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

#: Sampled values a date format must read, as in ``analytics.cleaning.to_date``.
DATE_SAMPLE = 2000
DATE_SHARE = 0.99
#: strftime directives and the Java patterns that read the same values. One letter for
#: month, day, hour and minute reads "1" and "01" alike, as Python's strptime does.
JAVA_DIRECTIVES = {"%Y": "yyyy", "%m": "M", "%d": "d", "%H": "H", "%M": "m", "%S": "s"}


def col(name: str) -> Column:
    """The column called ``name``, whatever characters it has (dots, spaces, brackets)."""
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def text(column: Column) -> Column:
    """Trimmed text, with empty cells as missing (the local engine's ``_text``)."""
    from pyspark.sql import functions as F

    trimmed = F.trim(column.cast("string"))
    return F.when(trimmed != "", trimmed)


def number(column: Column) -> Column:
    """A finite number, or missing. Currency signs, thousands separators and decimal
    commas are not read (the local engine reads them); NaN and infinity are missing."""
    from pyspark.sql import functions as F

    value = F.trim(column.cast("string")).try_cast("double")
    return F.when(F.abs(value) < float("inf"), value)  # NaN compares above infinity


def java_pattern(strftime: str) -> str:
    """The Spark (Java) date pattern for a strftime format.

    >>> java_pattern("%d/%m/%Y %H:%M")
    'd/M/yyyy H:m'
    """
    return re.sub("%[YmdHMS]", lambda match: JAVA_DIRECTIVES[match.group()], strftime)


def date_parser(frame: DataFrame, name: str) -> Column:
    """A timestamp column for ``name``, in the first format reading the sampled values."""
    from pyspark.sql import functions as F

    sample = frame.select(text(col(name)).alias("v")).where(F.col("v").isNotNull())
    sample = sample.limit(DATE_SAMPLE)
    patterns = [java_pattern(fmt) for fmt in DATE_FORMATS]
    shares = sample.agg(
        F.count(F.lit(1)).alias("n"),
        *[
            F.count(F.try_to_timestamp("v", F.lit(p))).alias(f"p{i}")
            for i, p in enumerate(patterns)
        ],
    ).first()
    source = text(col(name))
    for i, pattern in enumerate(patterns):
        if shares["n"] and shares[f"p{i}"] >= DATE_SHARE * shares["n"]:
            return F.try_to_timestamp(source, F.lit(pattern))
    return F.try_to_timestamp(source)
