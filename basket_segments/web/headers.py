"""Security headers on the dashboard's responses, and a page that does not name its stack.

Every response of the dashboard's own routes (``web.routes``: not a host's route
under the same prefix), or every response under ``"/"`` for the standalone
server, whose account pages are ours too, gets a Content Security
Policy, ``X-Frame-Options``, ``X-Content-Type-Options: nosniff``,
``Referrer-Policy: same-origin`` and, except on static files,
``Cache-Control: no-store``. A header already on the response (a host site's
own) is kept, never overwritten.

Why not Flask-Talisman: it registers its hooks on the whole Flask app, so a
host site that embeds the dashboard would get our policy (and Talisman's HTTPS
redirects) on its own pages, which it owns. One ``after_request`` scoped to
the prefix is all that is needed; the standalone app widens the scope to
``"/"``.

The policy, and why each part is there:

- scripts come from the server itself plus the SHA-256 hashes of the inline
  scripts Dash writes into the page (``Dash.csp_hashes()``: the renderer's
  bootstrap and any clientside callback given as inline code), computed per
  response so a callback added after ``init_dashboard`` is still covered;
- ``'unsafe-eval'`` for scripts: the Segments and Rules scatters are
  ``Scattergl`` traces, drawn by regl, which compiles its WebGL draw calls with
  ``Function.apply``. Plotly's full bundle (the one Dash serves) needs it
  (plotly/plotly.js#5865, #897): without it Chromium logs nothing, but those
  charts show Plotly's "WebGL is not supported" notice instead of points
  (tests/e2e/test_csp_browser.py checks for that notice). No
  ``'unsafe-inline'`` for scripts;
- ``style-src 'unsafe-inline'``: without it Chromium refuses the styles that
  react-dom applies and Plotly's ``<style>`` element (plotly/plotly.js#2355),
  and the account pages use a ``style`` attribute; plus the origins of the
  host's ``theme`` and ``stylesheets`` (``init_dashboard``), which the host
  named (fonts such a theme imports from a third site stay refused: a host
  serves those itself);
- images from the server, ``data:`` and ``blob:``: Plotly's PNG export draws
  an SVG ``data:`` image onto a canvas;
- ``frame-ancestors`` from the ``FRAME_ANCESTORS`` setting (default
  ``'self'``), so another site, or another port of this host, cannot frame the
  logged-in dashboard; ``X-Frame-Options`` says the same to old browsers when
  it can (``SAMEORIGIN`` for ``'self'``, ``DENY`` for ``'none'``, left out for
  other ancestors, which it cannot express).

``Referrer-Policy: same-origin`` rather than strict-origin-when-cross-origin:
the dashboard loads nothing from and links to nothing on another origin, so no
other site needs even our origin (an intranet host name).

The page config Dash writes (``_dash-config``) names the Dash, Python (with
compiler and build date) and Plotly versions for its development tools' update
check. With the development tools' UI off (always, unless run with
``debug=True``) they are removed, and so is the favicon's ``?v=<Dash
version>``. The update check, which asks plotly.com and which the policy
would refuse, is switched off. Left as they are: the fingerprints in the
bundles' URLs (``dash_renderer.v4_4_1m...js``), which Dash's routes and cache
busting rely on and which only a logged-in user sees, and the ``Server``
header, which is the WSGI server's (gunicorn sends no version).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from dash import Dash
from flask import Flask, Response, current_app, request

from basket_segments.settings import setting
from basket_segments.web.routes import DashboardRoutes

#: The server's list of ``(prefix, dash_app, routes)`` scopes, longest prefix first.
EXTENSION = "basket_segments_headers"
Scope = tuple[str, Dash, "DashboardRoutes | None"]
DEFAULT_FRAME_ANCESTORS = "'self'"
#: Page-config keys that only Dash's development tools read and that name the stack.
STACK_KEYS = (
    "dash_version",
    "python_version",
    "dash_version_url",
    "ddk_version",
    "plotly_version",
    "plotly_cloud_installed",
)
#: Files under the prefix that keep their caching (and the assets folder, and any static view).
STATIC_PARTS = ("_dash-component-suites/", "_favicon.ico")
VERSION_QUERY = re.compile(r"\?v=[^\"']*")
POLICY = (
    ("default-src", "'self'"),
    ("script-src", "'self' 'unsafe-eval' {hashes}"),
    ("style-src", "'self' 'unsafe-inline' {styles}"),
    ("img-src", "'self' data: blob:"),
    ("object-src", "'none'"),
    ("base-uri", "'self'"),
    ("form-action", "'self'"),
    ("frame-ancestors", "{frame_ancestors}"),
)


def init_headers(
    app: Dash, scope: str | None = None, routes: DashboardRoutes | None = None
) -> None:
    """Send the security headers on the dashboard's responses.

    With ``routes``, on the dashboard's own routes (``web.routes``); with ``scope``,
    on every response under that path: ``"/"`` covers the whole server (the
    standalone app). Call it after the callbacks are registered.
    """
    server: Flask = app.server
    scopes = server.extensions.get(EXTENSION)
    if scopes is None:
        scopes = server.extensions[EXTENSION] = []
        server.after_request(partial(_add_headers, scopes))
    if all(known is not app for _, known, _ in scopes):
        _hide_stack(app)
    scopes.append((routes.prefix if routes else scope or "/", app, routes))
    scopes.sort(key=lambda entry: len(entry[0]), reverse=True)


def content_security_policy(
    script_hashes: Iterable[str], frame_ancestors: str, style_origins: Iterable[str] = ()
) -> str:
    """The policy's text.

    >>> content_security_policy(["'sha256-abc='"], "'self'").split("; ")[1]
    "script-src 'self' 'unsafe-eval' 'sha256-abc='"
    """
    values = {
        "hashes": " ".join(script_hashes),
        "frame_ancestors": frame_ancestors,
        "styles": " ".join(style_origins),
    }
    return "; ".join(f"{name} {value.format(**values)}".strip() for name, value in POLICY)


def frame_ancestors(config: dict[str, Any]) -> str:
    """``FRAME_ANCESTORS`` as one CSP source list; a list of sources is joined.

    >>> frame_ancestors({"BASKET_SEGMENTS_FRAME_ANCESTORS": ["'self'", "https://intra.test"]})
    "'self' https://intra.test"
    """
    value = setting(config, "FRAME_ANCESTORS") or DEFAULT_FRAME_ANCESTORS
    if not isinstance(value, str):
        value = " ".join(value)
    if re.search(r"[;,\r\n]", value):
        raise ValueError(
            f"BASKET_SEGMENTS_FRAME_ANCESTORS must be CSP sources separated by spaces: {value!r}"
        )
    return value.strip()


def stylesheet_origins(stylesheets: Iterable[str | dict[str, Any]]) -> list[str]:
    """The other sites that ``init_dashboard``'s ``theme`` and ``stylesheets`` name: the
    host allowed them by naming them. Its own paths need nothing more than ``'self'``.

    >>> stylesheet_origins(["https://cdn.test/b/flatly.css", "/static/site.css"])
    ['https://cdn.test']
    """
    origins = []
    for sheet in stylesheets:
        parts = urlsplit(sheet["href"] if isinstance(sheet, dict) else sheet)
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))


def frame_options(ancestors: str) -> str | None:
    """The ``X-Frame-Options`` saying the same as ``ancestors``, if it can.

    >>> frame_options("'self'"), frame_options("'none'"), frame_options("https://a.test")
    ('SAMEORIGIN', 'DENY', None)
    """
    return {"'self'": "SAMEORIGIN", "'none'": "DENY"}.get(ancestors.lower())


def _add_headers(scopes: list[Scope], response: Response) -> Response:
    app = next((app for prefix, app, routes in scopes if _covers(prefix, routes)), None)
    if app is None:
        return response
    ancestors = frame_ancestors(current_app.config)
    headers = {
        "Content-Security-Policy": content_security_policy(
            app.csp_hashes(), ancestors, stylesheet_origins(app.config.external_stylesheets)
        ),
        "X-Frame-Options": frame_options(ancestors),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": None if _is_static(app) else "no-store",
    }
    for name, value in headers.items():
        if value and name not in response.headers:
            response.headers[name] = value
    return response


def _covers(prefix: str, routes: DashboardRoutes | None) -> bool:
    return routes.owns_request() if routes else request.path.startswith(prefix)


def _is_static(app: Dash) -> bool:
    """Whether this request is for a file that may be cached (bundles, assets, static)."""
    if (request.endpoint or "").rpartition(".")[2] == "static":
        return True
    inside = request.path.removeprefix(app.config.routes_pathname_prefix)
    assets = app.config.assets_url_path.strip("/") + "/"
    return inside != request.path and inside.startswith((*STATIC_PARTS, assets))


def _hide_stack(app: Dash) -> None:
    """Leave the versions out of the page config and favicon unless the dev tools' UI is on."""
    make_config: Callable[[], dict[str, Any]] = app._config
    interpolate_index = app.interpolate_index

    def config() -> dict[str, Any]:
        values = make_config()
        values["disable_version_check"] = True  # it asks another site, which the CSP refuses
        if not app._dev_tools.ui:
            for key in STACK_KEYS:
                values.pop(key, None)
        return values

    def index(**parts: str) -> str:
        if not app._dev_tools.ui and "favicon" in parts:
            parts["favicon"] = VERSION_QUERY.sub("", parts["favicon"])
        return interpolate_index(**parts)

    app._config = config
    app.interpolate_index = index
