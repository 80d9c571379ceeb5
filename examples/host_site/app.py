"""Acme Retail's intranet: a Flask site of its own that embeds the Basket Segments dashboard.

The site owns its members, sign-in pages, CSRF protection, database and look. The
``init_dashboard`` call in ``create_app`` is all it knows of the dashboard,
which needs only the site's LoginManager and a URL prefix; the site's header
stays above the dashboard's pages (``templates/dashboard.html``), which follow
its stylesheet. Run it from this folder (README.md)::

    flask --app app add-user alice@acme.test 'a long password'
    flask --app app run --port 5000
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import auth
import models
import storage
from config import DEFAULTS
from flask import Flask, render_template
from flask_login import login_required
from flask_wtf import CSRFProtect

from basket_segments import init_dashboard

DASHBOARD_URL = "/analytics/"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """The site, configured by defaults, instance files, ``FLASK_*`` variables, test config."""
    app = Flask(__name__, instance_path=_instance_path(test_config))
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(DEFAULTS)
    app.config.from_mapping(storage.instance_settings(instance))
    app.config.from_prefixed_env()
    app.config.from_mapping(test_config or {})
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or storage.secret_key(instance)
    CSRFProtect(app)
    models.init_app(app)
    auth.init_app(app)
    app.add_url_rule("/", view_func=home)
    app.jinja_env.globals["dashboard_url"] = DASHBOARD_URL  # the header links to it
    init_dashboard(
        app,
        url_base_pathname=DASHBOARD_URL,
        logout_url="/auth/logout",
        stylesheets=[f"{app.static_url_path}/site.css"],  # after Bootstrap: the site's look
        header="links",  # the site's header has the member and "Sign out"
        index_string=lambda: render_template("dashboard.html"),
    )
    return app


@login_required
def home() -> str:
    """The members' home page, with the way into the dashboard."""
    return render_template("home.html")


def _instance_path(test_config: Mapping[str, Any] | None) -> str | None:
    """``INSTANCE_PATH`` from the test config or the environment; None: ``instance/`` here."""
    configured = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("INSTANCE_PATH")
    return str(Path(configured).resolve()) if configured else None
