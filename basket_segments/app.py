"""Factories: the dashboard on a given Flask server, and a standalone server for it.

A host site calls ``init_dashboard(host_app)`` from its own factory; ``python
-m basket_segments`` runs ``create_app()`` on http://127.0.0.1:8050 with
embedded defaults.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dash import Dash
from flask import Flask
from flask_wtf.csrf import CSRFProtect

from basket_segments import settings
from basket_segments.analytics.engines import choose_engine
from basket_segments.callbacks import frame as frame_callbacks
from basket_segments.layouts.frame import PRODUCT_NAME, Look, serve_layout
from basket_segments.pages import PAGES, navbar_links
from basket_segments.store import jobs, storage
from basket_segments.web import auth, headers, look
from basket_segments.web.accounts import init_accounts
from basket_segments.web.config import DEFAULTS
from basket_segments.web.downloads import init_downloads
from basket_segments.web.limits import BodyLimit, BoundedBodies
from basket_segments.web.routes import DashboardRoutes, new_endpoints
from basket_segments.web.uploads import init_uploads, upload_path

if TYPE_CHECKING:
    from celery import Celery

PACKAGE = Path(__file__).resolve().parent
#: The frame's callbacks, then each page's (``pages.PAGES``).
FEATURE_CALLBACKS = (
    frame_callbacks,
    *(module for page in PAGES for module in (page.callbacks, *page.parts)),
)
DASH_EXTENSION = "basket_segments_dash"
#: Largest callback request body read: control values and small stores.
CALLBACK_BODY_LIMIT = 2**20
TOO_LARGE_FOR_THE_DASHBOARD = "The request is too large for the dashboard."
#: Bytes an upload's request may carry besides the file (the limit is the file's).
UPLOAD_ENVELOPE = 2**16
#: The standalone server's own forms (log in, sign up, password) are a few hundred bytes.
FORM_BODY_LIMIT = 2**16
#: The standalone server's database file in its instance folder (as before 0.2).
STANDALONE_DATABASE = "app.db"


def init_dashboard(
    server: Flask,
    url_base_pathname: str = "/analytics/",
    logout_url: str = "/logout",
    *,
    logout_method: str = "post",
    password_url: str | None = None,
    name: str = PRODUCT_NAME,
    home_url: str | None = None,
    theme: str | None = None,
    stylesheets: Sequence[str] = (),
    header: str = "navbar",
    index_string: str | Callable[[], str] | None = None,
) -> Dash:
    """Build the dashboard under ``url_base_pathname`` on ``server`` and guard it.

    The server must have a flask-login ``LoginManager``; the dashboard uses its
    logged-in user and login view. The navbar's "Log out" posts a form to
    ``logout_url`` with a ``csrf_token`` field (Flask-WTF's, when the server
    has ``CSRFProtect``); ``logout_method="get"`` makes it a plain link, for a
    site whose logout answers GET only. ``password_url``, when given, adds a
    "Password" link (the standalone accounts' page).

    Settings come from ``server.config["BASKET_SEGMENTS_*"]``, then the
    ``BASKET_SEGMENTS_*`` environment variables (``basket_segments.settings``).
    The dashboard mounts once per server: a second call raises ``RuntimeError``.

    The host's look (``layouts.frame.Look``): ``name`` and
    ``home_url`` (the navbar's brand and its link), ``theme`` (a Bootstrap 5
    stylesheet's URL replacing the bundled one), ``stylesheets`` (more URLs),
    ``header`` (``"navbar"``, or ``"links"`` under the host's own header) and
    ``index_string`` (the page around Dash's ``{%app_entry%}``, or a function
    rendering it per page load, such as ``lambda: render_template("dash.html")``).
    """
    choices = Look(name, home_url, theme, stylesheets, header, index_string)
    mounted = server.extensions.get(DASH_EXTENSION)
    if mounted:
        raise RuntimeError(
            f"The dashboard is already mounted on this Flask app at "
            f"{mounted[0].config.url_base_pathname}; init_dashboard runs once per app."
        )
    settings.resolve(server.config, os.environ)
    before = set(server.view_functions)
    storage.init_app(server)
    # A misspelt engine is refused now, not in the first job (the engine loads only there).
    choose_engine(settings.setting(server.config, "ANALYTICS_ENGINE"), {})
    app = Dash(
        __name__,
        background_callback_manager=jobs.make_manager(server),
        server=server,
        url_base_pathname=url_base_pathname,
        title=choices.title,
        assets_folder=str(PACKAGE / "assets"),
        **look.dash_options(choices, url_base_pathname),
        suppress_callback_exceptions=True,
        update_title=None,
        on_error=frame_callbacks.report_failure,
    )

    def page():  # one page load's layout; its logout form carries this request's CSRF token
        return serve_layout(
            url_base_pathname,
            logout_url,
            csrf_token=auth.csrf_token(),
            logout_method=logout_method,
            password_url=password_url,
            pages=navbar_links(),
            look=choices,
            active_dataset=frame_callbacks.last_opened_dataset(),
        )

    look.use_index(app, choices)
    app.layout = page
    for module in FEATURE_CALLBACKS:
        module.register(app)
    init_uploads(server, url_base_pathname)
    init_downloads(server, url_base_pathname)
    # The guard, the headers and the body limits cover these routes, not the whole prefix.
    routes = DashboardRoutes(server, url_base_pathname, new_endpoints(server, before))
    headers.init_headers(app, routes=routes)
    auth.protect(server, routes)
    server.wsgi_app = BoundedBodies(server.wsgi_app, dashboard_body_limits(server, routes))
    server.extensions.setdefault(DASH_EXTENSION, []).append(app)
    return app


def celery_app(server: Flask) -> Celery:
    """The Celery app of the dashboard mounted on ``server``, for a worker module.

    With ``BASKET_SEGMENTS_BACKGROUND_MANAGER=celery`` the dashboard's jobs are
    Celery tasks registered when ``init_dashboard`` (or ``create_app``) builds
    its callbacks, so a worker must build the same Flask app: a host's worker
    module is ``celery = celery_app(create_app())``, started with
    ``celery -A worker worker`` in the same environment as the web workers.
    """
    celery = server.extensions.get(jobs.CELERY_EXTENSION)
    if celery is None:
        raise RuntimeError(
            "The dashboard on this Flask app runs its jobs in threads: a Celery worker needs "
            "BASKET_SEGMENTS_BACKGROUND_MANAGER=celery and BASKET_SEGMENTS_CELERY_BROKER_URL, "
            "set for the web app and the worker alike."
        )
    return celery


def dashboard_body_limits(
    server: Flask, routes: DashboardRoutes
) -> Callable[[str, str], BodyLimit | None]:
    """Each dashboard route's body limit (None outside the dashboard: the host's own).

    Callbacks carry control values and small stores, never files (those go to the
    upload route, which says in a sentence when a file is over the limit), and no
    dashboard route takes a form, so a form body never reaches the CSRF check.
    """
    upload = upload_path(routes.prefix)
    callback = BodyLimit(CALLBACK_BODY_LIMIT, False, lambda _size: TOO_LARGE_FOR_THE_DASHBOARD)

    def limit_for(path: str, method: str) -> BodyLimit | None:
        if not routes.owns(path, method):
            return None
        if path != upload:
            return callback
        limit = storage.setting_bytes(server.config, "MAX_UPLOAD_MB")
        return BodyLimit(limit + UPLOAD_ENVELOPE, False, partial(_upload_too_large, limit))

    return limit_for


def _upload_too_large(limit: int, size: int | None) -> str:
    return str(storage.too_large(size if size is not None else limit + 1, limit))


def account_body_limits(prefix: str) -> Callable[[str, str], BodyLimit | None]:
    """The standalone server's own pages (log in, sign up, password): small forms."""
    form = BodyLimit(FORM_BODY_LIMIT, True, lambda _size: "The form is too large.")
    return lambda path, _method: None if path.startswith(prefix) else form


def instance_path(test_config: dict[str, Any] | None = None) -> Path:
    """Where the standalone server keeps its database, data and secret key.

    ``BASKET_SEGMENTS_INSTANCE_PATH`` from the test config or the environment (or
    ``INSTANCE_PATH``, its deprecated name); otherwise Flask's default: ``instance/``
    beside the package in a clone, or ``<venv>/var/basket_segments.app-instance``
    when installed.
    """
    config = settings.renamed(test_config or {})
    name = settings.PREFIX + "INSTANCE_PATH"
    configured = config.get(name) or os.environ.get(name)
    if not configured and os.environ.get("INSTANCE_PATH"):
        settings.deprecated("The environment variable INSTANCE_PATH", name)
        configured = os.environ["INSTANCE_PATH"]
    if configured:
        return Path(configured).resolve()
    return Path(Flask(__name__).instance_path)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """A standalone server: config, database, accounts, CSRF and the dashboard."""
    server = Flask(__name__, instance_path=str(instance_path(test_config)))
    config = server.config
    config.from_mapping(DEFAULTS)
    config.from_mapping(settings.from_old_environment(os.environ))
    config.from_mapping(settings.from_environment(os.environ, settings.ALL_NAMES))
    config.from_mapping(settings.renamed(test_config or {}))
    if not config.get("MAX_CONTENT_LENGTH"):  # the largest body any route takes
        upload = storage.setting_bytes(config, "MAX_UPLOAD_MB")
        config["MAX_CONTENT_LENGTH"] = upload + UPLOAD_ENVELOPE
    # The instance folder is the dashboard's own: its files stay where they always were.
    instance = storage.private_folder(Path(server.instance_path))
    config[settings.key("FOLDER")] = config[settings.key("FOLDER")] or str(instance)
    config["SECRET_KEY"] = config["SECRET_KEY"] or _persisted_secret(server)
    url = config[settings.key("DATABASE_URL")] or f"sqlite:///{instance / STANDALONE_DATABASE}"
    config[settings.key("DATABASE_URL")] = storage.database_url(server, url)
    storage.private_sqlite_file(config[settings.key("DATABASE_URL")])
    CSRFProtect(server)
    init_accounts(server)
    prefix = settings.setting(config, "DASHBOARD_PREFIX")
    dashboard = init_dashboard(server, prefix, logout_url="/logout", password_url="/password")
    headers.init_headers(dashboard, "/")  # the account pages are ours too
    server.wsgi_app = BoundedBodies(
        server.wsgi_app, account_body_limits(dashboard.config.url_base_pathname)
    )
    return server


def _persisted_secret(server: Flask) -> str:
    """A random secret key made on first start and kept in the instance folder."""
    path = Path(server.instance_path) / "secret_key"
    try:  # O_EXCL: when several server workers start at once, the first key wins for all
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path)
    with os.fdopen(handle, "w") as file:
        file.write(secrets.token_hex(32))
    return _read_secret(path)


def _read_secret(path: Path) -> str:
    """The key in ``path``, waiting briefly if another worker is still writing it."""
    for _ in range(50):
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.05)
    raise RuntimeError(f"The secret key file {path} is empty; delete it to make a new one.")
