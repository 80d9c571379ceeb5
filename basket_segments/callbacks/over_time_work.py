"""The Over time page's long work: the comparison asked for, computed in a job and
stored, and read back from the answer by every view of the page.

Asking resolves the period controls and the dataset's own segmentation (the
Segments page's) into one ``OverTimeQuery``; the answer carries it, so the
views, the grids and the downloads read it back (``answered_query``) instead of
resolving again, and answer from the stored comparison only (``stored``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dash import Input, State

from basket_segments import ids
from basket_segments.callbacks import long_work
from basket_segments.queries import OverTimeQuery, period_choice
from basket_segments.store import results
from basket_segments.store.owner import current_owner

if TYPE_CHECKING:
    from basket_segments.analytics.over_time import OverTime


def asked_query(owner: str, request: dict) -> OverTimeQuery:
    """The query of a request: its periods checked, on the dataset's own segmentation."""
    choice = period_choice(request["mode"], request["split"], request["days"], request["reference"])
    query = results.over_time_query(owner, request["dataset"], choice)
    results.remember_periods(owner, query.dataset, choice)  # for the Customers page
    return query


def over_time_ready(owner: str, request: dict) -> dict | bool | None:
    """What the answer carries when the comparison is stored; False when a job must make
    it; None when no dataset is open."""
    if request["dataset"] is None:
        return None
    query = asked_query(owner, request)
    return {"query": query.to_json()} if results.over_time_ready(owner, query) else False


def compare_periods(owner: str, request: dict, report) -> dict:
    """Compare the periods asked for and store the comparison (in a background job)."""
    query = asked_query(owner, request)
    results.over_time(owner, query, report=report)
    return {"query": query.to_json()}


OVER_TIME = long_work.LongWork(
    ids=ids.OVER_TIME_WORK,
    message=ids.OVER_TIME_MESSAGE,
    request={
        "dataset": State(ids.ACTIVE_DATASET, "data"),
        "mode": Input(ids.PERIOD_MODE, "value"),
        "split": Input(ids.SPLIT_DATE, "value"),
        "days": Input(ids.PERIOD_DAYS, "value"),
        "reference": Input(ids.REFERENCE_PERIOD, "value"),
    },
    # The page's segmentation is read first (init_over_time), then the comparison asked for.
    triggers=[Input(ids.OVER_TIME_SEGMENTATION, "children")],
    ready=over_time_ready,
    compute=compare_periods,
)


def answered_query(answer: Any) -> OverTimeQuery | None:
    """The query an answer answers (checked again: it came back from the browser)."""
    if OVER_TIME.answered(answer) is None:
        return None
    return OverTimeQuery.from_json((long_work.result_of(answer) or {}).get("query"))


def stored(answer: Any) -> tuple[OverTimeQuery, OverTime] | None:
    """The answered query and its stored comparison (None: no answer yet)."""
    query = answered_query(answer)
    if query is None:
        return None
    return query, results.over_time(current_owner(), query, only_cached=True)
