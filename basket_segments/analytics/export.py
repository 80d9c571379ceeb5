"""Make tables safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` is run as a formula by
Excel and LibreOffice; product names come from users' files, so exported
text cells get a leading apostrophe, which spreadsheets show as plain text.
"""

from __future__ import annotations

import json

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with text cells that a spreadsheet would run as formulas made inert,
    header cells included (column names come from users' files too).

    Tuples and lists (rule items) become JSON lists first.

    >>> table = pd.DataFrame({"product": ["=cmd()", "milk"], "=HYPERLINK(x)": [-3, 4]})
    >>> neutralise_formulas(table).to_dict("list")
    {'product': ["'=cmd()", 'milk'], "'=HYPERLINK(x)": [-3, 4]}
    """
    result = frame.copy()
    result.columns = [_safe_cell(str(column)) for column in result.columns]
    for column in result.columns:
        values = result[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            result[column] = values.map(_safe_cell)
    return result


def _safe_cell(value: object) -> object:
    if isinstance(value, tuple | list):
        value = json.dumps(list(value))
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
