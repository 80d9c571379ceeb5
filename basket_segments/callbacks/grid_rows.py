"""The rows of a server-side table: AG Grid's filter and sort models applied with pandas.

The rules table can hold tens of thousands of rules; the browser's grid asks for
one block of rows at a time (AG Grid's infinite row model) with the filters and
sort order the user set, and this answers with that block and the total count.
The models come from the browser, so anything unknown (a column that is not
in the table, an operator AG Grid does not send) is ignored rather than trusted.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from basket_segments.queries import whole_number

if TYPE_CHECKING:
    import pandas as pd

#: Most rows one request may fetch (the grid asks for a block of ``cacheBlockSize``).
MAX_BLOCK = 500

_NUMBER_TESTS: dict[str, Callable[[pd.Series, float], pd.Series]] = {
    "equals": operator.eq,
    "notEqual": operator.ne,
    "greaterThan": operator.gt,
    "greaterThanOrEqual": operator.ge,
    "lessThan": operator.lt,
    "lessThanOrEqual": operator.le,
}
_TEXT_TESTS: dict[str, Callable[[pd.Series, str], pd.Series]] = {
    "contains": lambda text, word: text.str.contains(word, regex=False),
    "notContains": lambda text, word: ~text.str.contains(word, regex=False),
    "equals": lambda text, word: text == word,
    "notEqual": lambda text, word: text != word,
    "startsWith": lambda text, word: text.str.startswith(word),
    "endsWith": lambda text, word: text.str.endswith(word),
}


def rows_block(frame: pd.DataFrame, request: Mapping[str, Any] | None) -> dict:
    """The rows ``request`` asks for (``startRow`` to ``endRow``, after its filters and
    sort) and how many rows pass the filters, as AG Grid's ``getRowsResponse``.

    >>> import pandas as pd
    >>> table = pd.DataFrame({"product": ["tea", "jam", "milk"], "lift": [1.5, 2.0, 0.9]})
    >>> rows_block(table, {"startRow": 0, "endRow": 2, "sortModel": [{"colId": "lift",
    ...     "sort": "desc"}], "filterModel": {"lift": {"filterType": "number",
    ...     "type": "greaterThan", "filter": 1}}})
    {'rowData': [{'product': 'jam', 'lift': 2.0}, {'product': 'tea', 'lift': 1.5}], 'rowCount': 2}
    """
    request = request or {}
    shown = filtered(frame, request.get("filterModel"))
    shown = sorted_rows(shown, request.get("sortModel"))
    start = max(0, whole_number(request.get("startRow")) or 0)
    asked_end = whole_number(request.get("endRow"))
    end = min(start + MAX_BLOCK if asked_end is None else asked_end, start + MAX_BLOCK)
    block = shown.iloc[start:end]
    return {"rowData": _records(block), "rowCount": len(shown)}


def filtered(frame: pd.DataFrame, model: Any) -> pd.DataFrame:
    """The rows that pass every column filter of an AG Grid filter model."""
    import pandas as pd

    if not isinstance(model, Mapping):
        return frame
    keep = pd.Series(True, index=frame.index)
    for column, spec in model.items():
        if column in frame.columns and isinstance(spec, Mapping):
            keep &= _passes(frame[column], spec)
    return frame[keep]


def sorted_rows(frame: pd.DataFrame, model: Any) -> pd.DataFrame:
    """The rows in an AG Grid sort model's order (stable: ties keep the table's order)."""
    if not isinstance(model, list):
        return frame
    keys = [
        (item["colId"], item.get("sort") != "desc")
        for item in model
        if isinstance(item, Mapping) and item.get("colId") in frame.columns
    ]
    if not keys:
        return frame
    columns, ascending = zip(*keys, strict=True)
    return frame.sort_values(list(columns), ascending=list(ascending), kind="stable")


def _passes(values: pd.Series, spec: Mapping[str, Any]) -> pd.Series:
    """One column's filter: a single condition, or several joined by AND or OR."""
    import pandas as pd

    conditions = spec.get("conditions")
    if isinstance(conditions, list) and conditions:
        tests = [_condition(values, c) for c in conditions if isinstance(c, Mapping)]
        if not tests:
            return pd.Series(True, index=values.index)
        join = operator.or_ if spec.get("operator") == "OR" else operator.and_
        result = tests[0]
        for test in tests[1:]:
            result = join(result, test)
        return result
    return _condition(values, spec)


def _condition(values: pd.Series, spec: Mapping[str, Any]) -> pd.Series:
    import pandas as pd

    kind = spec.get("type")
    missing = values.isna() | (values.astype("string") == "")
    if kind == "blank":
        return missing
    if kind == "notBlank":
        return ~missing
    if spec.get("filterType") == "number":
        return _number_condition(values, kind, spec)
    test = _TEXT_TESTS.get(kind)
    word = spec.get("filter")
    if test is None or not isinstance(word, str):
        return pd.Series(True, index=values.index)
    text = values.astype("string").str.casefold()
    blank_passes = kind in {"notContains", "notEqual"}  # as AG Grid filters in the browser
    return test(text, word.casefold()).fillna(blank_passes).astype(bool)


def _number_condition(values: pd.Series, kind: Any, spec: Mapping[str, Any]) -> pd.Series:
    import pandas as pd

    numbers = pd.to_numeric(values, errors="coerce")
    low, high = _number(spec.get("filter")), _number(spec.get("filterTo"))
    if kind == "inRange" and low is not None and high is not None:
        return ((numbers >= low) & (numbers <= high)).fillna(False).astype(bool)
    test = _NUMBER_TESTS.get(kind)
    if test is None or low is None:
        return pd.Series(True, index=values.index)
    return test(numbers, low).fillna(False).astype(bool)


def _number(value: Any) -> float | None:
    import numpy as np

    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if np.isfinite(value) else None


def _records(block: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts; missing values as None (JSON has no NaN).

    >>> import pandas as pd
    >>> _records(pd.DataFrame({"product": ["tea", None], "lift": [1.5, float("nan")]}))
    [{'product': 'tea', 'lift': 1.5}, {'product': None, 'lift': None}]
    """
    columns = [_json_values(block[name]) for name in block.columns]
    names = block.columns.tolist()
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _json_values(column: pd.Series) -> list:
    """A column as Python values, None where one is missing (column by column: the whole
    block through ``astype(object)`` was most of a first block's time)."""
    values = column.tolist()
    missing = column.isna().to_numpy()
    if missing.any():
        return [None if gone else value for value, gone in zip(values, missing, strict=True)]
    return values
