"""Writers of the hostile corpus's files: tables in every encoding and format, and worse.

Each writer either returns bytes or writes to a path (the big files are
streamed to disk, never held or committed). ``tests.hostile.corpus`` pairs
them with what the app must make of each file.
"""

from __future__ import annotations

import csv
import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pandas as pd

HEADER = ("CustomerID", "Age", "Income", "Product")
#: The million-products file: customers, and products each customer buys once.
MILLION_CUSTOMERS = 1_000
PRODUCTS_PER_CUSTOMER = 1_000
#: Characters of the one giant cell.
HUGE_CELL_CHARS = 10_000_000
#: The over-size file: customers, and purchase rows of each.
OVER_LIMIT_CUSTOMERS = 3_000
OVER_LIMIT_ROWS_EACH = 24
#: Rows of the Parquet bomb.
BOMB_ROWS = 600_000
#: The text every row of the dictionary and shared-string bombs points at, and their rows.
LONG_VALUE = "x" * 32_000
DICTIONARY_BOMB_ROWS = 100_000
SHARED_STRING_BOMB_ROWS = 100_000


def raw(content: bytes | Callable[[], bytes]) -> Callable[[Path], None]:
    """A writer of fixed bytes (or bytes made on demand)."""

    def write(path: Path) -> None:
        path.write_bytes(content() if callable(content) else content)

    return write


def table_text(
    rows: Iterable[Sequence[str]], header: Sequence[str] = HEADER, delimiter: str = ","
) -> str:
    """Delimited text with a header row, quoted where needed."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def text(
    rows: Iterable[Sequence[str]],
    encoding: str = "utf-8",
    delimiter: str = ",",
    header: Sequence[str] = HEADER,
) -> Callable[[Path], None]:
    """A writer of ``table_text`` in ``encoding``."""
    return raw(lambda: table_text(rows, header, delimiter).encode(encoding))


def shop_rows(n: int = 6, products: Sequence[str] = ("bread", "milk")) -> list[tuple[str, ...]]:
    """Customers 1..n, Age 20 + 3i, Income 30 + 5i, each buying every product once."""
    return [
        (str(i), str(20 + 3 * i), str(30 + 5 * i), product)
        for i in range(1, n + 1)
        for product in products
    ]


def with_income(incomes: Sequence[str]) -> list[tuple[str, ...]]:
    """``shop_rows`` with customer i's income replaced by ``incomes[i - 1]``."""
    return [(c, age, incomes[int(c) - 1], p) for c, age, _, p in shop_rows(len(incomes))]


def frame(rows: Sequence[Sequence[object]], header: Sequence[str] = HEADER) -> pd.DataFrame:
    """The rows as a table of text (``None`` stays missing)."""
    return pd.DataFrame([list(row) for row in rows], columns=list(header))


def xlsx(rows: Sequence[Sequence[object]], header: Sequence[str] = HEADER) -> bytes:
    """An Excel workbook written cell by cell (openpyxl), so headers may repeat."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def parquet(table: pd.DataFrame) -> bytes:
    """The table as Parquet bytes."""
    out = io.BytesIO()
    table.to_parquet(out, index=False)
    return out.getvalue()


def png() -> bytes:
    """A real 1x1 PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def old_xls() -> bytes:
    """The start of an Excel 97-2003 (OLE2 compound) file."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + b"Workbook" + bytes(1000)


def pdf() -> bytes:
    """A tiny PDF: it starts as text, so only its signature gives it away."""
    return b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n%%EOF\n"


def garbage() -> bytes:
    """Random bytes after a start that is no known file signature."""
    return b"\x13\x37" + random.Random(0).randbytes(4094)


def zip_bomb() -> bytes:
    """A workbook-like zip whose one entry claims to unpack to 3,000,000,000 bytes.

    The size is patched into the zip headers: what a reader must check is the
    declared size, before unpacking anything.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<worksheet/>" * 100)
    data = bytearray(out.getvalue())
    declared = struct.pack("<I", 3_000_000_000)
    central = data.index(b"PK\x01\x02", data.index(b"xl/worksheets") - 60)
    local = data.rindex(b"PK\x03\x04", 0, data.index(b"xl/worksheets"))
    data[central + 24 : central + 28] = declared
    data[local + 22 : local + 26] = declared
    return bytes(data)


def zip_of_csv() -> bytes:
    """A zip archive holding a CSV, as people send tables by mail."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("shop.csv", table_text(shop_rows()))
    return out.getvalue()


def parquet_bomb() -> bytes:
    """``BOMB_ROWS`` identical rows: Parquet's dictionary and run-length encodings pack
    them into a few kilobytes, which declare far more values than the bytes suggest."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    row = ("c1", "40", "50", "bread")
    columns = zip(HEADER, row, strict=True)
    table = pa.table({column: pa.array([value] * BOMB_ROWS) for column, value in columns})
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def dictionary_bomb() -> bytes:
    """``DICTIONARY_BOMB_ROWS`` purchases of one product named by ``LONG_VALUE``: Parquet
    keeps the name once, in the column's dictionary (7 KB for 3 GB of text once read)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = DICTIONARY_BOMB_ROWS
    columns = {name: pa.array([str(i % 50) for i in range(rows)]) for name in HEADER[:3]}
    codes = pa.array([0] * rows, pa.int32())
    columns["Product"] = pa.DictionaryArray.from_arrays(codes, pa.array([LONG_VALUE]))
    out = io.BytesIO()
    pq.write_table(pa.table(columns), out)
    return out.getvalue()


def shared_string_bomb() -> bytes:
    """A workbook whose ``SHARED_STRING_BOMB_ROWS`` product cells all point at one shared
    string, ``LONG_VALUE``: 1 MB, 8 MB unpacked (well within the zip-bomb cap), 3 GB of
    text once read. Written as Excel writes it (shared strings, ``t="s"`` cells)."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    relations = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    strings = [LONG_VALUE, *HEADER]
    cells = "".join(f'<c r="{col}1" t="s"><v>{i + 1}</v></c>' for i, col in enumerate("ABCD"))
    rows = [f'<row r="1">{cells}</row>']
    for r in range(2, SHARED_STRING_BOMB_ROWS + 2):
        numbers = "".join(f'<c r="{col}{r}"><v>{r % 50 + 20}</v></c>' for col in "ABC")
        rows.append(f'<row r="{r}">{numbers}<c r="D{r}" t="s"><v>0</v></c></row>')
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
            'sharedStrings+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{relations}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{main}" xmlns:r="{relations}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{relations}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{relations}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}"><sheetData>'
        + "".join(rows)
        + "</sheetData></worksheet>",
        "xl/sharedStrings.xml": f'<sst xmlns="{main}">'
        + "".join(f"<si><t>{text}</t></si>" for text in strings)
        + "</sst>",
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


def truncated(content: Callable[[], bytes]) -> Callable[[], bytes]:
    """The first half of ``content``, as an interrupted download leaves it."""

    def cut() -> bytes:
        data = content()
        return data[: len(data) // 2]

    return cut


def million_products(path: Path) -> None:
    """Each customer buys ``PRODUCTS_PER_CUSTOMER`` products nobody else buys."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(HEADER) + "\n")
        for customer in range(1, MILLION_CUSTOMERS + 1):
            age, income = 20 + customer % 50, 30 + (customer * 7) % 90
            first = (customer - 1) * PRODUCTS_PER_CUSTOMER
            out.write(
                "".join(
                    f"{customer},{age},{income},P{product:07d}\n"
                    for product in range(first, first + PRODUCTS_PER_CUSTOMER)
                )
            )


def huge_cell(path: Path) -> None:
    """A table whose second row has a product name of ``HUGE_CELL_CHARS`` characters."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(HEADER) + "\n1,30,40,bread\n2,31,42,")
        out.write("x" * HUGE_CELL_CHARS)
        out.write("\n3,32,44,milk\n")


def over_limit(path: Path) -> None:
    """A valid table of about 1.1 MB: customers buying one of two pairs, over and over."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(HEADER) + "\n")
        for customer in range(1, OVER_LIMIT_CUSTOMERS + 1):
            pair = ("bread", "milk") if customer % 2 else ("tea", "jam")
            age, income = 20 + customer % 50, 30 + (customer * 7) % 90
            out.write(
                "".join(
                    f"{customer},{age},{income},{pair[row % 2]}\n"
                    for row in range(OVER_LIMIT_ROWS_EACH)
                )
            )
