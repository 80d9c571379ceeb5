"""Tell what a file is from its first bytes, and decode text in the encodings users have.

Users rename files: a photo or a PDF ends up as ``data.csv``, an old ``.xls``
as ``.xlsx``. Naming the real format says more than "binary data"; and a PDF
or a spreadsheet saved as "Unicode text" would otherwise be misread as text.
"""

from __future__ import annotations

import codecs

from basket_segments.analytics.errors import DataError

#: How much of a file we inspect to tell its encoding and shape.
SNIFF_BYTES = 64 * 1024
#: File signatures (first bytes) of formats people upload by mistake, and what they are.
FOREIGN_SIGNATURES: dict[bytes, str] = {
    b"\x89PNG\r\n\x1a\n": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF87a": "a GIF image",
    b"GIF89a": "a GIF image",
    b"%PDF-": "a PDF document",
    b"\x1f\x8b": "a gzip archive",
    b"7z\xbc\xaf\x27\x1c": "a 7-Zip archive",
    b"Rar!\x1a\x07": "a RAR archive",
}
#: Excel 97-2003 workbooks (and other old Office files) start with the OLE2 signature.
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Share of zero bytes in every other position that marks UTF-16 text without a BOM.
UTF16_ZERO_SHARE = 0.9


def refuse_foreign(data: bytes, name: str) -> None:
    """Raise a ``DataError`` naming the format if ``data`` is a known non-table format.

    >>> try:
    ...     refuse_foreign(b"%PDF-1.4 ...", "'bill.csv'")
    ... except DataError as error:
    ...     print(error)
    The file 'bill.csv' is a PDF document (binary data), not a CSV, Excel or Parquet file.
    """
    if data.startswith(OLE2_SIGNATURE):
        raise DataError(
            f"The file {name} is an Excel 97-2003 workbook (.xls), which we cannot read; "
            "save it as .xlsx or CSV in Excel."
        )
    for signature, kind in FOREIGN_SIGNATURES.items():
        if data.startswith(signature):
            raise DataError(
                f"The file {name} is {kind} (binary data), not a CSV, Excel or Parquet file."
            )


def decode_text(data: bytes, name: str = "uploaded") -> str:
    """Decode text as UTF-8 (with or without BOM), UTF-16, Windows-1252 or Latin-1.

    Windows-1252 comes before Latin-1 because Excel on Windows writes it: the
    two agree on letters, but only Windows-1252 has the euro sign and curly
    quotes (bytes 0x80-0x9F, control characters in Latin-1).

    >>> decode_text("Müller".encode("latin-1"))
    'Müller'
    >>> decode_text("€45".encode("cp1252")), decode_text("id,Café".encode("utf-16-le"))
    ('€45', 'id,Café')
    """
    return decode_with_encoding(data, name)[0]


def decode_with_encoding(data: bytes, name: str = "uploaded") -> tuple[str, str]:
    """``decode_text``, and the encoding it found (a UTF-8 file's bytes can be parsed as
    they are, without encoding the text again).

    >>> decode_with_encoding("Müller".encode())
    ('Müller', 'utf-8-sig')
    """
    encoding = _utf16_encoding(data[:SNIFF_BYTES])
    if encoding:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as error:
            raise DataError(f"The file {name} looks like UTF-16 but cannot be decoded.") from error
    if b"\x00" in data[:SNIFF_BYTES] or _looks_binary(data[:SNIFF_BYTES]):
        raise DataError(
            f"The file {name} is not a CSV, Excel or Parquet file (it contains binary data)."
        )
    for candidate in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(candidate), candidate
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def utf8_head(data: bytes) -> str | None:
    """The start of ``data`` as text when it reads as UTF-8 (BOM dropped), else None.

    Decoding a whole file costs a second copy of it; a file that starts as UTF-8
    can be handed to pyarrow's reader as bytes, which checks the rest itself.

    >>> utf8_head("id,Café\\n".encode()), utf8_head("id,Café".encode("cp1252"))
    ('id,Café\\n', None)
    """
    head = data[:SNIFF_BYTES]
    if _utf16_encoding(head) or b"\x00" in head or _looks_binary(head):
        return None
    try:  # incremental: a character cut at the end of the head waits for more
        return codecs.getincrementaldecoder("utf-8-sig")().decode(head, len(data) == len(head))
    except UnicodeDecodeError:
        return None


def _utf16_encoding(head: bytes) -> str | None:
    """'utf-16' with a byte order mark; 'utf-16-le'/'-be' when every other byte is zero."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    pairs = len(head) // 2
    if pairs < 2:
        return None
    even_zero = head[0 : 2 * pairs : 2].count(0) / pairs
    odd_zero = head[1 : 2 * pairs : 2].count(0) / pairs
    if odd_zero >= UTF16_ZERO_SHARE and even_zero < 1 - UTF16_ZERO_SHARE:
        return "utf-16-le"
    if even_zero >= UTF16_ZERO_SHARE and odd_zero < 1 - UTF16_ZERO_SHARE:
        return "utf-16-be"
    return None


def _looks_binary(head: bytes) -> bool:
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 13))
    return controls > len(head) * 0.01
