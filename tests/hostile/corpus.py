"""A generated corpus of hostile input files and what the app must make of each.

Users upload whatever they have: empty files, images renamed ``.csv``, zip
bombs renamed ``.xlsx``, Windows exports, cells a spreadsheet would run as
formulas. Each ``Case`` here writes one such file (huge ones are generated
when a test runs, never committed) and states the expected outcome: refused
with a message containing a given fragment, or accepted with exact figures,
and for files that only fail at analysis time, the message segmentation or
rule mining must give. The expectations are written by hand from the data,
never computed by the code under test.

``python -m tests.hostile.corpus OUTDIR`` writes every file into ``OUTDIR``
for trials with the command line or the browser.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tests.hostile.files import (
    BOMB_ROWS,
    HEADER,
    MILLION_CUSTOMERS,
    OVER_LIMIT_CUSTOMERS,
    OVER_LIMIT_ROWS_EACH,
    PRODUCTS_PER_CUSTOMER,
    dictionary_bomb,
    frame,
    garbage,
    huge_cell,
    million_products,
    old_xls,
    over_limit,
    parquet,
    parquet_bomb,
    pdf,
    png,
    raw,
    shared_string_bomb,
    shop_rows,
    table_text,
    text,
    truncated,
    with_income,
    xlsx,
    zip_bomb,
    zip_of_csv,
)

#: The number of segments the analysis-time checks ask for.
ANALYSIS_K = 3
FEATURES = ("Age", "Income")
#: Columns of the wide file (a message must not list them all), and of the too wide one.
WIDE_COLUMNS = 100
TOO_MANY_COLUMNS = 3_000
#: What a table's values may take, for the dashboard (its default ``MAX_TABLE_MB``) and
#: the command line (``--max-table-mb``, which the tests pass).
TABLE_LIMIT_MB = 200
TABLE_LIMIT = f"{TABLE_LIMIT_MB} MB"
#: The upload limit for the over-size case and the Parquet bomb.
SMALL_LIMIT_MB = 1


@dataclass(frozen=True)
class Refused:
    """The file is refused with a message containing ``message``, and nothing is stored."""

    message: str


@dataclass(frozen=True)
class Accepted:
    """The file is read, with these exact figures.

    ``rows`` is the table's rows as read (before cleaning), ``customers`` and
    ``products`` what remains to analyse; ``product_names``, ``customer_values``
    (feature values of some customers) and ``dropped`` (the cleaning report's
    non-zero counts) are checked exactly when given.
    ``segment_error`` / ``rules_error``: the file reads fine but segmenting it
    into ``ANALYSIS_K`` segments, or mining its rules, must give a message
    containing this fragment (the command line exits 2 on a segmentation
    error and notes a rules one in its output).
    """

    shape: str
    rows: int
    customers: int
    products: int
    features: tuple[str, ...] = FEATURES
    product_names: frozenset[str] | None = None
    customer_values: dict[str, dict[str, float]] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    segment_error: str | None = None
    rules_error: str | None = None


Outcome = Refused | Accepted


@dataclass(frozen=True)
class Case:
    """One hostile file: its name as the user gives it, how to write it, what must happen.

    ``upload`` overrides ``expected`` for the dashboard's upload path when the
    two differ (the upload limit, ``upload_limit_mb``, applies to uploads only).
    ``slow``: the case takes several seconds to analyse.
    """

    name: str
    filename: str
    writer: Callable[[Path], None]
    expected: Outcome
    upload: Outcome | None = None
    upload_limit_mb: float | None = None
    slow: bool = False

    def write(self, folder: Path) -> Path:
        """Write the file into ``folder`` and return its path."""
        path = Path(folder) / self.filename
        self.writer(path)
        return path

    @property
    def upload_expected(self) -> Outcome:
        return self.upload or self.expected


# --- the cases -------------------------------------------------------------------------------

SHOP = Accepted("combined", 12, 6, 2, product_names=frozenset({"bread", "milk"}))
ODD_NAMES = (
    "Salt, coarse",
    'The "Best" Tea',
    "🍕 Pizza slice",
    "=cmd|' /C calc'!A0",
    "+44 mug",
    "@SUM(A1:A2)",
)
#: 60 customers of varied age and income, each buying only milk.
VARIED = [(str(i), str(20 + i % 40), str(30 + (i * 7) % 90), "milk") for i in range(1, 61)]
TRANSACTION_HEADER = ("CustomerID", "InvoiceDate", "Product")


def _cases() -> list[Case]:
    return [
        # Not a table at all.
        Case("empty", "empty.csv", raw(b""), Refused("is empty")),
        Case("blank_lines", "blank.csv", raw(b"\n  \r\n\t\n"), Refused("is empty")),
        Case("header_only", "header.csv", text([]), Refused("has a header but no rows")),
        Case("binary_garbage", "garbage.csv", raw(garbage), Refused("binary data")),
        Case("png_renamed_csv", "photo.csv", raw(png), Refused("is a PNG image")),
        Case("pdf_renamed_csv", "invoice.csv", raw(pdf), Refused("is a PDF document")),
        Case("old_xls_renamed", "report.xlsx", raw(old_xls), Refused("Excel 97-2003")),
        Case(
            "zip_bomb_xlsx",
            "bomb.xlsx",
            raw(zip_bomb),
            Refused("would unpack to 2,861 MB"),
        ),
        Case("zip_of_csv_xlsx", "archive.xlsx", raw(zip_of_csv), Refused("not an Excel")),
        Case(
            "truncated_xlsx",
            "cut.xlsx",
            raw(truncated(lambda: xlsx(shop_rows()))),
            Refused("damaged or truncated"),
        ),
        Case(
            "truncated_parquet",
            "cut.parquet",
            raw(truncated(lambda: parquet(frame(shop_rows())))),
            Refused("damaged or truncated"),
        ),
        Case(
            "parquet_bomb",
            "bomb.parquet",
            raw(parquet_bomb),
            Accepted(
                "combined",
                BOMB_ROWS,
                1,
                1,
                segment_error="There is only 1 customer",
                rules_error="Every purchase is of one product (bread)",
            ),
            upload=Refused(f"unpacks to {BOMB_ROWS:,} rows of 4 columns, more than the"),
            upload_limit_mb=SMALL_LIMIT_MB,
        ),
        # A few hundred KB that stand for gigabytes of text once read.
        Case(
            "dictionary_bomb",
            "long_names.parquet",
            raw(dictionary_bomb),
            Refused(f"expands to 3 GB of values once read; the limit is {TABLE_LIMIT}"),
        ),
        Case(
            "shared_string_bomb",
            "long_names.xlsx",
            raw(shared_string_bomb),
            Refused(f"expands to 3 GB of values once read; the limit is {TABLE_LIMIT}"),
        ),
        # Valid but awkward text.
        Case(
            "utf16_tabs",
            "unicode.txt",
            text(shop_rows(products=("Müsli", "Crème fraîche")), "utf-16", "\t"),
            Accepted("combined", 12, 6, 2, product_names=frozenset({"Müsli", "Crème fraîche"})),
        ),
        Case(
            "utf16_without_bom",
            "unicode.csv",
            text(shop_rows(products=("Müsli", "tea")), "utf-16-le"),
            Accepted("combined", 12, 6, 2, product_names=frozenset({"Müsli", "tea"})),
        ),
        Case(
            "latin1",
            "latin1.csv",
            text(
                [
                    ("Müller", *row[1:]) if row[0] == "1" else row
                    for row in shop_rows(products=("Müsli", "Crème fraîche"))
                ],
                "latin-1",
            ),
            Accepted(
                "combined",
                12,
                6,
                2,
                product_names=frozenset({"Müsli", "Crème fraîche"}),
                customer_values={"Müller": {"Age": 23.0, "Income": 35.0}},
            ),
        ),
        Case(
            "windows1252_euro",
            "windows.csv",
            text(
                [
                    *with_income(["€45", "€50", "€55", "€60", "€65", "€70"])[:-1],
                    ("6", "38", "€70", "Baker’s bread"),
                ],
                "cp1252",
                ";",
            ),
            Accepted(
                "combined",
                12,
                6,
                3,
                product_names=frozenset({"bread", "milk", "Baker’s bread"}),
                customer_values={"1": {"Income": 45.0}, "6": {"Income": 70.0}},
            ),
        ),
        Case("semicolons", "semi.csv", text(shop_rows(), delimiter=";"), SHOP),
        Case(
            "semicolons_decimal_commas",
            "european.csv",
            text(with_income(["35,5", "40,25", "45,5", "50", "55,5", "1.234,5"]), delimiter=";"),
            Accepted(
                "combined",
                12,
                6,
                2,
                customer_values={
                    "1": {"Income": 35.5},
                    "2": {"Income": 40.25},
                    "4": {"Income": 50.0},
                    "6": {"Income": 1234.5},
                },
            ),
        ),
        Case("tabs", "tabs.tsv", text(shop_rows(), delimiter="\t"), SHOP),
        Case(
            "quoted_newlines",
            "newlines.csv",
            text(shop_rows(products=("Gift box\nwith card", "milk"))),
            Accepted(
                "combined", 12, 6, 2, product_names=frozenset({"Gift box\nwith card", "milk"})
            ),
        ),
        Case(
            "mac_line_endings",
            "old_mac.csv",
            raw(table_text(shop_rows()).replace("\n", "\r").encode()),
            SHOP,
        ),
        # Columns.
        Case(
            "column_named_self",
            "self.csv",
            text(
                [(c, age, income, "note", p) for c, age, income, p in shop_rows()],
                header=("CustomerID", "Age", "Income", "self", "Product"),
            ),
            SHOP,
        ),
        Case(
            "huge_column_name",
            "long_header.csv",
            text(shop_rows(), header=("CustomerID", "Age", "x" * 1_000_000, "Product")),
            Refused("A column name in 'long_header.csv' is longer than 1,000 characters"),
        ),
        Case(
            "wide_without_customer",
            "wide.csv",
            text(
                [[str(i + row) for i in range(WIDE_COLUMNS)] for row in range(3)],
                header=[f"c{i:04d}" for i in range(WIDE_COLUMNS)],
            ),
            Refused(f"c0011 and {WIDE_COLUMNS - 12:,} more"),
        ),
        Case(
            "too_many_columns",
            "very_wide.csv",
            text(
                [[str(i + row) for i in range(TOO_MANY_COLUMNS)] for row in range(3)],
                header=["CustomerID", *(f"c{i:04d}" for i in range(1, TOO_MANY_COLUMNS))],
            ),
            Refused(f"has {TOO_MANY_COLUMNS:,} columns, more than the 1,000 we read"),
        ),
        Case(
            "duplicate_columns",
            "dupes.csv",
            text(shop_rows(), header=("CustomerID", "Age", "Age", "Product")),
            Refused("The column name Age appears more than once"),
        ),
        Case(
            "duplicate_columns_xlsx",
            "dupes.xlsx",
            raw(lambda: xlsx(shop_rows(), ("CustomerID", "Age", "Age", "Product"))),
            Refused("The column name Age appears more than once"),
        ),
        Case(
            "no_customer_column",
            "nocustomer.csv",
            text([row[1:] for row in shop_rows()], header=HEADER[1:]),
            Refused("No customer column found"),
        ),
        Case(
            "customer_blanks",
            "blanks.csv",
            text([*shop_rows(), ("", "50", "60", "tea"), (" ", "51", "61", "tea"), ("",) * 4]),
            Accepted(
                "combined",
                15,
                6,
                2,
                product_names=frozenset({"bread", "milk"}),
                dropped={"missing_customer": 3},
            ),
        ),
        Case(
            "customer_all_blank",
            "noids.csv",
            text([("", *row[1:]) for row in shop_rows()]),
            Refused("The customer column 'CustomerID' is empty in every row"),
        ),
        Case(
            "short_rows",
            "short.csv",
            raw((table_text(shop_rows()) + "7,41,65\n").encode()),
            Accepted(
                "combined",
                13,
                7,
                2,
                product_names=frozenset({"bread", "milk"}),
                customer_values={"7": {"Age": 41.0, "Income": 65.0}},
                dropped={"missing_product": 1},
            ),
        ),
        Case(
            "ragged_rows",
            "ragged.csv",
            raw((table_text(shop_rows()) + "7,41,65,tea,extra\n").encode()),
            Refused("Line 14 of 'ragged.csv' has 5 values but the header names 4 columns"),
        ),
        Case(
            "unclosed_quote",
            "quote.csv",
            raw((table_text(shop_rows()) + '7,41,65,"tea\n8,42,70,milk\n').encode()),
            Refused("never closed"),
        ),
        Case(
            "huge_cell",
            "huge_cell.csv",
            huge_cell,
            Refused("Row 2 of column 'Product' holds 10,000,000 characters"),
        ),
        Case(
            "huge_basket_item",
            "baskets.csv",
            raw(lambda: ("bread,milk,eggs\ntea\njam,milk\n" + "x" * 200_000 + ",tea\n").encode()),
            Refused("Line 4 of 'baskets.csv' holds a value longer than 32,767 characters"),
        ),
        # Numbers.
        Case(
            "thousands_separators",
            "thousands.csv",
            text(with_income(["1,234", "2,345", "12,000", "999", "1,000,000", "3,500.75"])),
            Accepted(
                "combined",
                12,
                6,
                2,
                customer_values={
                    "1": {"Income": 1234.0},
                    "3": {"Income": 12000.0},
                    "5": {"Income": 1_000_000.0},
                    "6": {"Income": 3500.75},
                },
            ),
        ),
        Case(
            "currency_signs",
            "currency.csv",
            text(with_income(["$45", "€45", "45 €", "£1,200.50", "$ 60", "¥7000"])),
            Accepted(
                "combined",
                12,
                6,
                2,
                customer_values={
                    "1": {"Income": 45.0},
                    "2": {"Income": 45.0},
                    "3": {"Income": 45.0},
                    "4": {"Income": 1200.5},
                    "5": {"Income": 60.0},
                    "6": {"Income": 7000.0},
                },
            ),
        ),
        Case(
            "nan_and_inf",
            "not_numbers.csv",
            text(with_income(["NaN", "inf", "-inf", "40", "45", "50", "55", "60"])),
            Accepted(
                "combined",
                16,
                5,
                2,
                customer_values={"4": {"Income": 40.0}, "8": {"Income": 60.0}},
                dropped={"missing_feature": 3},
            ),
        ),
        Case(
            "negative_incomes",
            "negative.csv",
            text(with_income(["-5000", "-1.5", "0", "40", "55", "70"])),
            Accepted(
                "combined",
                12,
                6,
                2,
                customer_values={"1": {"Income": -5000.0}, "2": {"Income": -1.5}},
            ),
        ),
        Case(
            "excel_blank_cells",
            "blanks.xlsx",
            raw(
                lambda: xlsx(
                    [
                        *shop_rows(),
                        (None, 50, 60, "tea"),
                        ("7", 51, 61, None),
                        ("8", 52, 62, "NA"),
                    ]
                )
            ),
            Accepted(
                "combined",
                15,
                8,
                3,
                product_names=frozenset({"bread", "milk", "NA"}),
                dropped={"missing_customer": 1, "missing_product": 1},
            ),
        ),
        Case(
            "parquet_nulls",
            "nulls.parquet",
            raw(
                lambda: parquet(
                    frame([*shop_rows(), (None, "50", "60", "tea"), ("7", "51", "61", None)])
                )
            ),
            Accepted(
                "combined",
                14,
                7,
                2,
                product_names=frozenset({"bread", "milk"}),
                dropped={"missing_customer": 1, "missing_product": 1},
            ),
        ),
        Case(
            "unreadable_dates",
            "dates.csv",
            text(
                [(str(i), f"someday {i}", "bread") for i in range(1, 11)],
                header=TRANSACTION_HEADER,
            ),
            Refused("No usable purchase rows among the 10 read: 10 rows with an unreadable date"),
        ),
        # Reads fine, fails at analysis time.
        Case(
            "single_customer",
            "solo.csv",
            text([("solo", "40", "50", p) for p in ("bread", "milk", "tea", "jam", "eggs")]),
            Accepted(
                "combined",
                5,
                1,
                5,
                segment_error="There is only 1 customer, too few for 3 segments",
                rules_error="All purchases form a single basket",
            ),
        ),
        Case(
            "fewer_customers_than_k",
            "pair.csv",
            text(shop_rows(2)),
            Accepted(
                "combined",
                4,
                2,
                2,
                segment_error="There are 2 customers, too few for 3 segments",
                rules_error="All purchases form only 2 baskets",
            ),
        ),
        Case(  # a segment per customer has no silhouette: sklearn raised, a 500 before
            "as_many_customers_as_k",
            "trio.csv",
            text(shop_rows(ANALYSIS_K)),
            Accepted(
                "combined",
                2 * ANALYSIS_K,
                ANALYSIS_K,
                2,
                # (the Rules page segments them into the default K, also too many)
                segment_error=f"There are {ANALYSIS_K} customers, too few for",
            ),
        ),
        Case(
            "all_identical",
            "clones.csv",
            text([(str(i), "40", "60", p) for i in range(1, 31) for p in ("bread", "milk")]),
            Accepted(
                "combined",
                60,
                30,
                2,
                segment_error="All 30 customers have the same Age and Income",
            ),
        ),
        Case(
            "two_kinds_of_customer",
            "twins.csv",
            text([(str(i), str(30 + 10 * (i % 2)), "60", "bread") for i in range(1, 31)]),
            Accepted(
                "combined",
                30,
                30,
                1,
                segment_error="Only 2 groups of customers differ in Age and Income, too few for 3",
                rules_error="Every purchase is of one product (bread)",
            ),
        ),
        Case(
            "one_product",
            "milk.csv",
            text(VARIED),
            Accepted(
                "combined",
                60,
                60,
                1,
                product_names=frozenset({"milk"}),
                rules_error="Every purchase is of one product (milk)",
            ),
        ),
        Case(
            "million_products",
            "million.csv",
            million_products,
            Accepted(
                "combined",
                MILLION_CUSTOMERS * PRODUCTS_PER_CUSTOMER,
                MILLION_CUSTOMERS,
                MILLION_CUSTOMERS * PRODUCTS_PER_CUSTOMER,
                rules_error="No product is in more than one of the 1,000 baskets",
            ),
            slow=True,
        ),
        Case(
            "odd_product_names",
            "names.csv",
            text(shop_rows(products=ODD_NAMES)),
            Accepted("combined", 36, 6, 6, product_names=frozenset(ODD_NAMES)),
        ),
        # Size.
        Case(
            "over_size_limit",
            "big.csv",
            over_limit,
            Accepted(
                "combined",
                OVER_LIMIT_CUSTOMERS * OVER_LIMIT_ROWS_EACH,
                OVER_LIMIT_CUSTOMERS,
                4,
                product_names=frozenset({"bread", "milk", "tea", "jam"}),
            ),
            upload=Refused(f"over the upload limit of {SMALL_LIMIT_MB} MB"),
            upload_limit_mb=SMALL_LIMIT_MB,
        ),
    ]


CASES: list[Case] = _cases()


def write_corpus(folder: Path, cases: Iterable[Case] = CASES) -> dict[str, Path]:
    """Write every case's file into ``folder`` (created if needed); name -> path."""
    folder, cases = Path(folder), list(cases)
    folder.mkdir(parents=True, exist_ok=True)
    names = [case.filename for case in cases]
    clashes = {name for name in names if names.count(name) > 1}  # each in its own folder
    written = {}
    for case in cases:
        target = folder / case.name if case.filename in clashes else folder
        target.mkdir(exist_ok=True)
        written[case.name] = case.write(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the hostile input corpus to a folder.")
    parser.add_argument("outdir", type=Path)
    args = parser.parse_args(argv)
    for name, path in write_corpus(args.outdir).items():
        print(f"{name:28} {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
