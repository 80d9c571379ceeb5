"""Who owns this request: the logged-in user, or, in a background job, the user who
started it. The one place that answers it, for the route guard, the callbacks and
the job managers alike.

The logged-in user's data is keyed by ``owner_of(user)``: the user's
``owner_id`` attribute when it has one, else Flask-Login's ``get_id()``. That
key must stay the same for a user across logins, or the user loses their
datasets and results. ``get_id()`` is such a key for most sites; a site that
uses Flask-Login's "alternative tokens" (``get_id()`` returns a per-login
token, so that logging out or changing the password ends other sessions)
exposes the stable id as ``owner_id`` too, as the standalone accounts do.
"""

from __future__ import annotations

from typing import Any

from dash import callback_context, hooks
from flask import current_app, has_request_context
from flask_login import current_user

#: Where a background job finds the user who started it (``callback_context.custom_data``).
OWNER_DATA = "basket_segments_owner"


def owner_of(user: object) -> str:
    """The key that owns ``user``'s data: ``user.owner_id`` if set, else ``user.get_id()``.

    >>> from types import SimpleNamespace
    >>> owner_of(SimpleNamespace(owner_id=7, get_id=lambda: "7:per-login-token"))
    '7'
    >>> owner_of(SimpleNamespace(get_id=lambda: "alice@acme.test"))
    'alice@acme.test'
    """
    owner = getattr(user, "owner_id", None)
    return str(owner if owner is not None else user.get_id())


@hooks.custom_data(OWNER_DATA)
def request_owner(_context: Any = None) -> str | None:
    """The logged-in user of this request, None without one; also handed to background
    jobs, which run outside the request (a Dash hook)."""
    # The hook runs for every Dash app of the process, including a host's own
    # apps that may not use flask-login.
    if not has_request_context() or not hasattr(current_app, "login_manager"):
        return None
    return owner_of(current_user) if current_user.is_authenticated else None


def job_owner() -> str | None:
    """The user who started the running background job, if this is one."""
    try:
        return (callback_context.custom_data or {}).get(OWNER_DATA)
    except (LookupError, AttributeError):
        return None


def current_owner() -> str:
    """The logged-in user's id, which owns their data; refuses anonymous callers.

    A background job runs outside the request; it acts for the user whose
    request started it, as recorded by the server when the job was queued.
    """
    if not has_request_context():
        owner = job_owner()
        if owner:
            return owner
        raise PermissionError("Log in to use the dashboard.")
    if not current_user.is_authenticated:
        raise PermissionError("Log in to use the dashboard.")
    return owner_of(current_user)


def display_name(user: object) -> str:
    """What the navbar shows for a logged-in user, from our user model or a host's."""
    for attribute in ("username", "name", "email"):
        value = getattr(user, attribute, None)
        if value:
            return str(value)
    return owner_of(user)
