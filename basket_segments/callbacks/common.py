"""Glue several pages share."""

from __future__ import annotations

from collections.abc import Callable

from flask import after_this_request, current_app, has_request_context

from basket_segments.callbacks.long_work import answered
from basket_segments.layouts.common import DOWNLOAD_READY, DOWNLOAD_WAITING
from basket_segments.queries import THRESHOLDS
from basket_segments.web.downloads import download_url

NO_DATASET = "Open a dataset on the Data page first."


def after_the_answer(work: Callable[[], None]) -> None:
    """Run ``work`` in this request's thread once its answer is sent (the WSGI server
    closes the answer after writing it), in the app's context: what the next click will
    need, read while nobody waits for it. Outside a request nothing runs."""
    if not has_request_context():
        return
    app = current_app._get_current_object()

    def run() -> None:
        with app.app_context():
            work()

    @after_this_request
    def when_sent(response):
        response.call_on_close(run)
        return response


def download_link(prefix: str, name: str, answer: dict | None) -> tuple[str | None, str]:
    """The address and look of the link downloading ``name`` for the page's answer.

    >>> download_link("/analytics/", "segments.csv", None)[0] is None
    True
    """
    request = answered(answer)
    if request is None:
        return None, DOWNLOAD_WAITING
    return download_url(prefix, name, request), DOWNLOAD_READY


def rules_asked(request: dict) -> tuple[list, str | None]:
    """The thresholds, rule limit and basket the Rules page last showed for this dataset, else the
    defaults (``RULES_CHOICE`` names its dataset: another dataset's never apply).

    >>> rules_asked({"dataset": 1, "rules": {"dataset": 1, "support": 0.01, "confidence":
    ...     0.3, "lift": 1.0, "length": 3, "basket": "invoice"}})
    ([0.01, 0.3, 1.0, 3, None], 'invoice')
    >>> rules_asked({"dataset": 2, "rules": {"dataset": 1, "support": 0.01}})
    ([None, None, None, None, None], None)
    """
    chosen = request.get("rules") or {}
    if not isinstance(chosen, dict) or chosen.get("dataset") != request["dataset"]:
        chosen = {}
    return [chosen.get(name) for name in THRESHOLDS], chosen.get("basket")
