"""Frame callbacks: show the page for the URL, the user's name, the active link."""

from __future__ import annotations

import logging
import uuid

from dash import ALL, Dash, Input, Output, State, set_props
from flask_login import current_user

from basket_segments import ids, pages
from basket_segments.analytics.errors import DataError
from basket_segments.store import storage
from basket_segments.store.owner import current_owner, display_name, request_owner


def render_page(pathname: str | None, active, prefix: str):
    """The content of the page the URL names, as fits the open dataset's shape."""
    return pages.page_at(pathname, prefix).content(open_dataset(active), prefix)


def open_dataset(active) -> storage.DatasetInfo | None:
    """The open dataset's record (its shape and roles), None when none is open."""
    if active is None:
        return None
    try:
        return storage.get_dataset(current_owner(), active)
    except DataError:
        return None


def last_opened_dataset() -> int | None:
    """The dataset the logged-in user last opened, for a page load: a new login or tab
    opens it again. None without a user, or when the database cannot say (the page
    loads with nothing open rather than failing)."""
    owner = request_owner()
    if owner is None:
        return None
    try:
        return storage.last_opened(owner)
    except DataError:
        return None


def show_user_name(_pathname: str | None) -> str:
    """The logged-in user's name for the navbar."""
    return display_name(current_user)


def mark_active_link(pathname: str | None, prefix: str) -> list[bool]:
    """Which navbar link is the current page."""
    key = pages.page_at(pathname, prefix).key
    return [page.key == key for page in pages.PAGES]


def report_failure(error: Exception) -> None:
    """Dash's ``on_error`` for every callback: log the failure, tell the user in plain words.

    Expected problems (bad data, a full disk) are messages of their own pages;
    this catches the rest, so the page never just stops answering and never
    shows a traceback. The reference ties the user's report to the server log.
    """
    reference = uuid.uuid4().hex[:8]
    logging.getLogger(__name__).error("Callback failed (reference %s)", reference, exc_info=error)
    set_props(
        ids.FAILURE,
        {
            "children": (
                "Something went wrong on the server and this step did not finish. "
                "Your stored data is unchanged; please try again. If it happens again, "
                f"give the administrator this reference: {reference}."
            ),
            "is_open": True,
        },
    )


def register(app: Dash) -> None:
    prefix = app.config.url_base_pathname
    app.callback(
        Output(ids.PAGE, "children"), Input(ids.URL, "pathname"), State(ids.ACTIVE_DATASET, "data")
    )(lambda pathname, active: render_page(pathname, active, prefix))
    app.callback(Output(ids.USER_NAME, "children"), Input(ids.URL, "pathname"))(show_user_name)
    app.callback(Output(ids.nav_link(ALL), "active"), Input(ids.URL, "pathname"))(
        lambda pathname: mark_active_link(pathname, prefix)
    )
