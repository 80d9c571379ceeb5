"""Let Spark read the data file itself: CSV or Parquet, local or on a distributed file system.

The whole point of the Spark engine is that a huge file never passes through
pandas, so only its first lines are looked at here (to find the delimiter and
tell a basket file, one basket per line without a header, from a table); the
rest is read by Spark's own readers, in parallel, wherever the file lives.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import pandas as pd

from basket_segments.analytics.columns import detect_roles
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.loading import sniff_delimiter
from basket_segments.analytics.stages import StoredTable
from basket_segments.analytics.table_checks import check_header

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: Lines read to sniff the delimiter and the shape, as the local engine's sniffing sample.
HEAD_LINES = 200
PARQUET_SUFFIXES = (".parquet", ".pq")
#: Compression Spark's text readers undo by themselves.
COMPRESSION_SUFFIXES = (".gz", ".bz2", ".deflate", ".lz4", ".snappy", ".zst")
UNSUPPORTED = {".xlsx": "Excel", ".xlsm": "Excel", ".xls": "Excel", ".ods": "OpenDocument"}


@dataclass(frozen=True)
class SparkTable:
    """A file as Spark read it: a table with a header, or for a basket file one row per
    basket with ``basket`` (a number) and ``items`` (its distinct products)."""

    frame: DataFrame
    is_basket_file: bool
    file_format: str


def file_format(source: str) -> str:
    """'parquet' or 'csv', from the name (or, for a local file, its first bytes).

    >>> file_format("s3a://shop/sales/2024.parquet"), file_format("hdfs:///x/baskets.csv.gz")
    ('parquet', 'csv')
    """
    path = urlparse(source).path if "://" in source else source
    name = path.lower()
    for suffix in COMPRESSION_SUFFIXES:
        name = name.removesuffix(suffix)
    suffix = Path(name).suffix
    if suffix in UNSUPPORTED:
        raise DataError(
            f"The Spark engine reads CSV and Parquet, not {UNSUPPORTED[suffix]} files; save "
            f"{Path(path).name} as CSV, or use --engine local."
        )
    if suffix in PARQUET_SUFFIXES or _local_parquet(source):
        return "parquet"
    return "csv"


def _local_parquet(source: str) -> bool:
    """A local Parquet file without the suffix, or a folder of Parquet parts (Spark's output)."""
    if "://" in source and not source.startswith("file:"):
        return False
    path = Path(urlparse(source).path if "://" in source else source)
    if path.is_dir():
        return any(path.glob("*.parquet"))
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"PAR1"
    except OSError:
        return False


def read_table(spark: SparkSession, source: str | pd.DataFrame | StoredTable) -> SparkTable:
    """Read a path, the dashboard's stored table, or (for ``--sample``) an in-memory table
    into a ``SparkTable``."""
    if isinstance(source, pd.DataFrame):
        return SparkTable(spark.createDataFrame(source.astype(str)), False, "memory")
    if isinstance(source, StoredTable):
        return stored_table(spark, source)
    kind = file_format(source)
    with spark_read_errors(source):
        if kind == "parquet":
            return SparkTable(_named(spark.read.parquet(source)), False, "parquet")
        lines = [row.value for row in spark.read.text(source).limit(HEAD_LINES).collect()]
    if not "".join(lines).strip():
        raise DataError(f"The file {source} is empty.")
    lines[0] = lines[0].lstrip("\ufeff")
    delimiter = sniff_delimiter("\n".join(lines))
    rows = [row for row in csv.reader(lines, delimiter=delimiter) if row]
    if is_basket_lines(rows):
        return SparkTable(basket_lines(spark, source, delimiter), True, "baskets")
    check_header(rows[0], f"'{source}'")
    with spark_read_errors(source):
        frame = spark.read.csv(
            source,
            header=True,
            sep=delimiter,
            quote='"',
            escape='"',
            ignoreLeadingWhiteSpace=True,
            ignoreTrailingWhiteSpace=True,
        )
    return SparkTable(_named(frame), False, "csv")


def stored_table(spark: SparkSession, stored: StoredTable) -> SparkTable:
    """The dashboard's stored table; a basket file, kept in long form, as one row per basket."""
    from pyspark.sql import functions as F

    path = str(stored.path)
    with spark_read_errors(path):
        frame = spark.read.parquet(path)
    if not stored.is_basket_file:
        return SparkTable(frame, False, stored.file_format)
    items = F.array_distinct(F.collect_list("product")).alias("items")
    return SparkTable(frame.groupBy("basket").agg(items), True, "baskets")


def is_basket_lines(rows: list[list[str]]) -> bool:
    """One basket per line: no recognisable header and rows of varying length
    (the local engine's test, so both engines see the same file the same way).

    >>> is_basket_lines([["milk", "bread"], ["tea"]]), is_basket_lines([["Customer", "Age"]])
    (True, False)
    """
    if len(rows) < 2 or detect_roles(rows[0]):
        return False
    return len({len(row) for row in rows}) > 1


def basket_lines(spark: SparkSession, source: str, delimiter: str) -> DataFrame:
    """Each non-empty line as a basket of its distinct, trimmed, unquoted products."""
    from pyspark.sql import functions as F

    line = F.regexp_replace("value", "^\ufeff", "")
    cells = F.transform(
        F.split(line, re.escape(delimiter)),
        lambda cell: F.regexp_replace(F.trim(cell), '^"|"$', ""),
    )
    items = F.array_distinct(F.filter(cells, lambda cell: cell != ""))
    frame = spark.read.text(source).select(items.alias("items")).where(F.size("items") > 0)
    return frame.select(F.monotonically_increasing_id().alias("basket"), "items")


def _named(frame: DataFrame) -> DataFrame:
    """Column names without a byte-order mark or surrounding spaces."""
    return frame.toDF(*[name.lstrip("\ufeff").strip() for name in frame.columns])


@contextmanager
def spark_read_errors(source: str) -> Iterator[None]:
    """Turn Spark's complaint about a missing or unreadable file into one sentence."""
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import AnalysisException

    try:
        yield
    except AnalysisException as error:
        if "PATH_NOT_FOUND" in str(error):
            raise DataError(f"The file {source} does not exist.") from error
        raise DataError(f"Spark cannot read {source}: {_reason(error)}.") from error
    except Py4JJavaError as error:
        raise DataError(f"Spark cannot read {source}: {_reason(error)}.") from error


def _reason(error: Exception) -> str:
    """The first line of Spark's message, without the error-class prefix.

    >>> _reason(ValueError("[PATH_NOT_FOUND] Path does not exist: /x.\\n  at ..."))
    'Path does not exist: /x'
    """
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return re.sub(r"^\[[A-Z_.]+\]\s*", "", first).rstrip(".")
