"""Guard the dashboard's routes with flask-login.

The host site (or ``create_app`` when standalone) owns the ``LoginManager``;
we only ask ``current_user`` whether someone is logged in. Page loads go to
the login view, Dash's background requests get 401 with the login view's URL,
which the open page follows (a tab left open after the user logged out). Dash's renderer sends the
``_csrf_token`` cookie back as an ``X-CSRFToken`` header, so we set that
cookie and Flask-WTF's CSRF protection keeps covering Dash's callbacks.

Whose data a request reads is ``store.owner``'s answer (``current_owner``).
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

from basket_segments.web.routes import DashboardRoutes

CSRF_COOKIE = "_csrf_token"
LOGGED_OUT = "Log in to use the dashboard."


def protect(server: Flask, routes: DashboardRoutes) -> None:
    """Refuse anonymous requests to the dashboard's routes (``routes``); a host's own route
    under the same prefix keeps the host's rules."""
    url_prefix = routes.prefix

    def require_login() -> Response | None:
        if not routes.owns_request() or current_user.is_authenticated:
            return None
        if "/_dash-" in request.path or request.method != "GET" or _wants_json():
            # The page's script (assets/logged_out.js) says so and goes to ``login``,
            # with ``next`` set to the page the user is on.
            response = jsonify(error=LOGGED_OUT, login=login_url(url_prefix))
            response.status_code = 401
            return response
        return redirect(login_url(request.full_path.rstrip("?")))

    def share_csrf_token(response: Response) -> Response:
        if routes.owns_request() and current_user.is_authenticated and not _cookie_fresh():
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

    # First of the server's checks: a request from a tab whose user has logged out is
    # told so (401), even when the host's logout cleared the session, and with it the
    # CSRF token that Flask-WTF's check, registered earlier, would refuse first (400).
    server.before_request_funcs.setdefault(None, []).insert(0, require_login)
    server.after_request(share_csrf_token)


def login_url(next_path: str) -> str:
    """The host's login page, asked to come back to ``next_path`` afterwards."""
    manager = getattr(current_app, "login_manager", None)
    view = getattr(manager, "login_view", None)
    base = url_for(view) if view else "/login"
    return f"{base}?{urlencode({'next': next_path})}"


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes.accept_html


def _cookie_fresh() -> bool:
    """Whether the request's CSRF cookie is this session's and has more than half of its
    lifetime (``WTF_CSRF_TIME_LIMIT``) ahead: then the answer need not sign a new one.
    Signing one (``generate_csrf``) for every answer, polls included, cost 3.5 % of the
    web workers' request time under ``bench.load``; checking one costs less."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or "csrf" not in current_app.extensions:
        return False
    from flask_wtf.csrf import ValidationError, validate_csrf

    limit = current_app.config.get("WTF_CSRF_TIME_LIMIT", 3600)
    try:
        validate_csrf(cookie, time_limit=limit / 2 if limit else None)
    except ValidationError:
        return False
    return True


def csrf_token() -> str | None:
    """This request's Flask-WTF CSRF token, or None without a request or ``CSRFProtect``."""
    if not has_request_context() or "csrf" not in current_app.extensions:
        return None
    from flask_wtf.csrf import generate_csrf

    return generate_csrf()
