"""Guard every URL of the dashboard with flask-login.

The host site (or ``create_app`` when standalone) owns the ``LoginManager``;
we only ask ``current_user`` whether someone is logged in. Page loads go to
the login view, Dash's background requests get 401. Dash's renderer sends the
``_csrf_token`` cookie back as an ``X-CSRFToken`` header, so we set that
cookie and Flask-WTF's CSRF protection keeps covering Dash's callbacks.

The logged-in user's data is keyed by ``owner_of(user)``: the user's
``owner_id`` attribute when it has one, else Flask-Login's ``get_id()``. That
key must stay the same for a user across logins, or the user loses their
datasets and results. ``get_id()`` is such a key for most sites; a site that
uses Flask-Login's "alternative tokens" (``get_id()`` returns a per-login
token, so that logging out or changing the password ends other sessions)
exposes the stable id as ``owner_id`` too, as the standalone accounts do.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import (
    Flask,
    Response,
    current_app,
    has_request_context,
    jsonify,
    redirect,
    request,
    url_for,
)
from flask_login import current_user

from basket_segments import jobs

CSRF_COOKIE = "_csrf_token"


def protect(server: Flask, url_prefix: str) -> None:
    """Refuse anonymous requests to any path under ``url_prefix``."""

    def require_login() -> Response | None:
        if not request.path.startswith(url_prefix) or current_user.is_authenticated:
            return None
        if "/_dash-" in request.path or request.method != "GET" or _wants_json():
            response = jsonify(error="Log in to use the dashboard.")
            response.status_code = 401
            return response
        return redirect(login_url(request.full_path.rstrip("?")))

    def share_csrf_token(response: Response) -> Response:
        if request.path.startswith(url_prefix) and current_user.is_authenticated:
            token = csrf_token()
            if token:
                response.set_cookie(
                    CSRF_COOKIE,
                    token,
                    samesite="Lax",
                    path=url_prefix,
                    secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
                )
        return response

    server.before_request(require_login)
    server.after_request(share_csrf_token)


def login_url(next_path: str) -> str:
    """The host's login page, asked to come back to ``next_path`` afterwards."""
    manager = getattr(current_app, "login_manager", None)
    view = getattr(manager, "login_view", None)
    base = url_for(view) if view else "/login"
    return f"{base}?{urlencode({'next': next_path})}"


def current_owner() -> str:
    """The logged-in user's id, which owns their data; refuses anonymous callers.

    A background job runs outside the request; it acts for the user whose
    request started it, as recorded by the server when the job was queued.
    """
    if not has_request_context():
        owner = jobs.job_owner()
        if owner:
            return owner
        raise PermissionError("Log in to use the dashboard.")
    if not current_user.is_authenticated:
        raise PermissionError("Log in to use the dashboard.")
    return owner_of(current_user)


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


def display_name(user: object) -> str:
    """What the navbar shows for a logged-in user, from our user model or a host's."""
    for attribute in ("username", "name", "email"):
        value = getattr(user, attribute, None)
        if value:
            return str(value)
    return owner_of(user)


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes.accept_html


def csrf_token() -> str | None:
    """This request's Flask-WTF CSRF token, or None without a request or ``CSRFProtect``."""
    if not has_request_context() or "csrf" not in current_app.extensions:
        return None
    from flask_wtf.csrf import generate_csrf

    return generate_csrf()
