"""Long work, one way for every page: ask, compute in a background job, show.

A page declares a ``LongWork``: what one request is made of (named inputs),
whether its results are stored already, and how to compute and store them.
``register`` wires the rest:

- *ask*: when a request input (or a trigger) changes, a request whose results
  are stored is answered at once; any other is handed to the job. A request
  that needs the same stored result as the one answered (``key``) is answered
  without reading storage at all;
- *job*: a background callback computes and stores the results, with a
  progress bar and Cancel (``jobs.reporter``), and answers;
- *answer*: ``{"request": ..., "result": ...}`` in the answer store, the only
  thing the page's views listen to; ``result`` is the job's small return value.

A newer request supersedes a running job: Dash terminates a job whose output
is asked for again (its ``oldJob``), so an earlier request's answer never
overwrites a newer one. Adding an input to a page means adding it to the
page's ``request`` mapping and reading it where the request is used.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dash import Dash, Input, Output, State, no_update

from basket_segments import ids
from basket_segments.analytics.errors import DataError
from basket_segments.layouts.common import BUSY, JOB_HIDDEN, JOB_SHOWN, message
from basket_segments.store import jobs
from basket_segments.store.owner import current_owner

#: How often the browser asks a running job for progress, in milliseconds.
POLL_INTERVAL_MS = 400
NOT_ASKED = "This request is not one the page makes; reload the page and ask again."
STOPPED = "Stopped; nothing was stored. Change a setting or press the button again to restart."

Request = dict[str, Any]
#: ``ready(owner, request)``: True when stored (or, when stored, the answer's small result),
#: False when a job must compute it, None when the request is incomplete (nothing to show).
Ready = Callable[[str, Request], Any]
#: ``key(request)``: which stored result a request needs, from the request alone (no
#: storage); None when it cannot tell.
Key = Callable[[Request], Any]
#: ``compute(owner, request, report)`` stores what the request asks for and returns a small,
#: JSON-able result for the answer (or None).
Compute = Callable[[str, Request, jobs.Progress], Any]


def never_stored(_owner: str, _request: Request) -> bool:
    """For work that always runs as a job (an upload is new each time)."""
    return False


@dataclass(frozen=True)
class LongWork:
    """One kind of long work of a page."""

    ids: ids.WorkIds
    #: The page's message area, where errors and "Stopped" appear.
    message: str
    #: What one request is made of: name to ``Input`` (asks again when it changes) or ``State``.
    request: Mapping[str, Input | State]
    compute: Compute
    ready: Ready = never_stored
    #: Inputs that ask again without being part of the request (a button, a page appearing).
    triggers: Sequence[Input] = field(default_factory=tuple)
    #: Requests with the same key as the answered one are answered from it at once.
    key: Key | None = None
    #: Regions (grids) whose rows the job computes: marked busy while it runs, so that an
    #: empty grid reads "Computing..." instead of looking like an empty result.
    busy: Sequence[str] = ()

    def answered(self, answer: dict | None) -> Request | None:
        """The request of an answer of this work: its inputs, no other keys (the answer
        comes back from the browser; a forged one is no answer)."""
        request = answered(answer)
        return request if request is not None and set(request) == set(self.request) else None


def answered(answer: dict | None) -> Request | None:
    """The request whose results the answer says are stored, if any.

    The answer comes back from the browser, so anything else than the answer's shape
    (a forged request) is no answer.

    >>> answered({"request": {"k": 3}, "result": None}), answered(None), answered(7)
    ({'k': 3}, None, None)
    """
    request = answer.get("request") if isinstance(answer, dict) else None
    return request if isinstance(request, dict) else None


def result_of(answer: dict | None) -> dict | None:
    """What the job returned with its answer, a small mapping (None for an answer from
    storage, or for anything else than a mapping, as a forged answer may hold)."""
    result = answer.get("result") if answered(answer) is not None else None
    return result if isinstance(result, dict) else None


def ask(work: LongWork, *values) -> tuple:
    """The ask callback: answer a stored request at once, hand any other to the job.

    ``values`` are the request's inputs, the triggers', whether Cancel is disabled
    (False while a job runs), then the current answer. Returns the answer, the job's
    request and the page message.
    """
    *values, running, current = values
    request = dict(zip(work.request, values[: len(work.request)], strict=True))
    if _same_stored_result(work, current, request):
        return {"request": request, "result": result_of(current)}, _supersede(running), None
    try:
        ready = work.ready(current_owner(), request)
    except DataError as error:
        return None, _supersede(running), message(str(error))
    if ready is None:
        return None, _supersede(running), no_update
    if ready is not False:
        result = None if ready is True else ready
        return {"request": request, "result": result}, _supersede(running), None
    return None, {"request": request, "nonce": uuid.uuid4().hex}, None


def _same_stored_result(work: LongWork, current: dict | None, request: Request) -> bool:
    """Whether ``request`` needs the very result the current answer was made from."""
    answered_request = work.answered(current)
    if work.key is None or not isinstance(answered_request, dict):
        return False
    key = work.key(request)
    return key is not None and key == work.key(answered_request)


def run(work: LongWork, set_progress, asked: dict | None) -> tuple:
    """The background job: compute and store the asked request; the answer and message."""
    request = asked.get("request") if isinstance(asked, dict) else None
    if not isinstance(request, dict):  # only superseding a running job (or forged)
        return no_update, no_update
    if set(request) != set(work.request):  # no page asks so: refused before any work
        return no_update, message(NOT_ASKED)
    try:
        result = work.compute(current_owner(), request, jobs.reporter(set_progress))
    except DataError as error:
        return no_update, message(str(error))
    return {"request": request, "result": result}, None


def register(app: Dash, work: LongWork) -> None:
    """Wire the ask callback, the background job and Cancel's message for ``work``."""
    app.callback(
        Output(work.ids.answer, "data", allow_duplicate=True),
        Output(work.ids.asked, "data"),
        Output(work.message, "children", allow_duplicate=True),
        *work.request.values(),
        *work.triggers,
        State(work.ids.job.cancel, "disabled"),
        State(work.ids.answer, "data"),
        prevent_initial_call=True,
    )(_bound(ask, work))
    app.callback(
        Output(work.ids.answer, "data", allow_duplicate=True),
        Output(work.message, "children", allow_duplicate=True),
        Input(work.ids.asked, "data"),
        prevent_initial_call=True,
        **background(work.ids.job, work.busy),
    )(_bound(run, work))
    app.callback(
        Output(work.message, "children", allow_duplicate=True),
        Input(work.ids.job.cancel, "n_clicks"),
        prevent_initial_call=True,
    )(stopped_message)


def _supersede(running: bool | None) -> Any:
    """A request that makes Dash terminate the running job (its Cancel is enabled)."""
    return {"request": None, "nonce": uuid.uuid4().hex} if running is False else no_update


def _bound(function: Callable, work: LongWork) -> Callable:
    """``function`` with ``work`` as its first argument, named for the page's work.

    A plain function, not a ``functools.partial``: Dash reads a background
    callback's source to key its jobs, and a partial has none.
    """

    def bound(*args):
        return function(work, *args)

    bound.__name__ = bound.__qualname__ = f"{function.__name__}_{work.ids.answer}".replace("-", "_")
    return bound


def background(job: ids.JobIds, busy: Sequence[str] = ()) -> dict:
    """``app.callback`` keywords that run a callback as a job shown by ``job``'s widgets,
    the ``busy`` regions marked busy meanwhile (``BUSY``: a "Computing..." overlay, and
    ``aria-busy`` for screen readers).

    The callback receives ``set_progress`` first; wrap it with ``jobs.reporter``.
    """
    marks = [(Output(region, "className"), BUSY, "") for region in busy]
    marks += [(Output(region, "aria-busy"), "true", "false") for region in busy]
    return {
        "background": True,
        "progress": [Output(job.bar, "value"), Output(job.text, "children")],
        "progress_default": [0, ""],
        "running": [
            (Output(job.box, "style"), JOB_SHOWN, JOB_HIDDEN),
            (Output(job.cancel, "disabled"), False, True),
            *marks,
        ],
        "cancel": [Input(job.cancel, "n_clicks")],
        "interval": POLL_INTERVAL_MS,
    }


def stopped_message(clicks):
    """What the page says after its user pressed Cancel."""
    if not clicks:
        return None
    return message(STOPPED, "secondary")
