"""CSV downloads, streamed from a route of their own, of results already stored.

A download used to travel inside a callback's answer: the whole CSV, base64
encoded, built in memory (a 103 MB answer for an explosive rules table). Now
the page shows a link once the results are stored; the link names the
request, and this route streams the stored table as CSV in chunks. It only
reads what is stored, never computes, so a link from another site cannot
make the server work. Cells a spreadsheet would run as formulas, header
cells included, are neutralised.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from flask import Flask, Response, request, stream_with_context

from basket_segments.analytics.errors import DataError
from basket_segments.queries import RulesQuery, segment_params, whole_number
from basket_segments.store import results
from basket_segments.store.owner import current_owner

if TYPE_CHECKING:
    import pandas as pd

#: Rows written per chunk of the response.
CHUNK_ROWS = 5_000


def segments_table(owner: str, asked: dict) -> pd.DataFrame:
    """Segment membership of a Segments page request: the customers of the segment
    selected on the page (``segment``), or of all segments when none is."""
    table = _stored_segments(owner, asked).table
    segment = whole_number(asked.get("segment"))
    return table if segment is None else table[table["segment"] == segment]


def profiles_table(owner: str, asked: dict) -> pd.DataFrame:
    """The segment profiles grid of a Segments page request, row for row."""
    return _stored_segments(owner, asked).profiles


def _stored_segments(owner: str, asked: dict) -> results.SegmentResult:
    params = segment_params(asked.get("settings"))
    found = results.segments(owner, asked["dataset"], params, only_cached=True) if params else None
    if found is None:
        raise DataError(results.NOT_SEGMENTED)
    return found


def rules_table(owner: str, asked: dict) -> pd.DataFrame:
    """Every rule meeting a Rules page query's thresholds, every group (all customers and
    each segment), the redundant ones included."""
    from basket_segments.analytics.rules import filter_rules

    query = RulesQuery.from_json(asked)
    return filter_rules(results.mining(owner, query, only_cached=True).rules, query.rules)


def products_table(owner: str, asked: dict) -> pd.DataFrame:
    """The top products of every segment of a Rules page query."""
    return results.mining(owner, RulesQuery.from_json(asked), only_cached=True).products


#: The files a user can download, and the stored table each comes from; a page adds the
#: tables of its own views (``add_table``: the Rules page's "these rules").
TABLES: dict[str, Callable[[str, dict], pd.DataFrame]] = {
    "segments.csv": segments_table,
    "segment_profiles.csv": profiles_table,
    "rules.csv": rules_table,
    "top_products.csv": products_table,
}


def add_table(name: str, table: Callable[[str, dict], pd.DataFrame]) -> None:
    """Offer ``name`` for download, made by ``table(owner, asked)`` from stored results
    only (the download route never computes)."""
    TABLES[name] = table


def download_url(prefix: str, name: str, asked: dict) -> str:
    """The link that downloads ``name`` for a page's request.

    >>> download_url("/analytics/", "rules.csv", {"dataset": 3})
    '/analytics/download/rules.csv?request=%7B%22dataset%22%3A+3%7D'
    """
    return f"{prefix.rstrip('/')}/download/{name}?{urlencode({'request': json.dumps(asked)})}"


def init_downloads(server: Flask, prefix: str) -> None:
    """Add the download route under the dashboard's prefix (its guard requires a login)."""
    server.add_url_rule(
        f"{prefix.rstrip('/')}/download/<name>",
        endpoint=f"basket_segments_download{prefix.replace('/', '_')}",
        view_func=send_download,
    )


def send_download(name: str) -> Response:
    """Stream a stored table as CSV, or say in plain text why there is none."""
    try:
        table = TABLES[name](current_owner(), _asked())
    except KeyError:
        return _refusal("There is no such download.", 404)
    except DataError as error:
        return _refusal(str(error), 404)
    response = Response(stream_with_context(csv_chunks(table)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _asked() -> dict:
    """The request the link names, or a ``DataError`` for anything but a JSON object."""
    try:
        asked = json.loads(request.args.get("request", ""))
    except ValueError:
        asked = None
    if not isinstance(asked, dict):
        raise DataError("That download link is damaged; download from the page again.")
    return asked


def _refusal(text: str, status: int) -> Response:
    return Response(text, status=status, mimetype="text/plain")


def csv_chunks(table: pd.DataFrame, rows: int = CHUNK_ROWS) -> Iterator[str]:
    """The table as CSV text, ``rows`` rows at a time, safe to open in a spreadsheet.

    >>> import pandas as pd
    >>> "".join(csv_chunks(pd.DataFrame({"=x": ["-1", "tea"]}), rows=1)).splitlines()
    ["'=x", "'-1", 'tea']
    """
    from basket_segments.analytics.export import neutralise_formulas

    if table.empty:
        yield neutralise_formulas(table).to_csv(index=False)
        return
    for start in range(0, len(table), rows):
        chunk = neutralise_formulas(table.iloc[start : start + rows])
        yield chunk.to_csv(index=False, header=start == 0)
