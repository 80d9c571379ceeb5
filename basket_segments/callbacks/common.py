"""Glue several pages share."""

from __future__ import annotations

from basket_segments.callbacks.long_work import answered
from basket_segments.layouts.common import DOWNLOAD_READY, DOWNLOAD_WAITING
from basket_segments.web.downloads import download_url

NO_DATASET = "Open a dataset on the Data page first."


def download_link(prefix: str, name: str, answer: dict | None) -> tuple[str | None, str]:
    """The address and look of the link downloading ``name`` for the page's answer.

    >>> download_link("/analytics/", "segments.csv", None)[0] is None
    True
    """
    request = answered(answer)
    if request is None:
        return None, DOWNLOAD_WAITING
    return download_url(prefix, name, request), DOWNLOAD_READY
