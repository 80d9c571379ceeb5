"""The dashboard's settings: one prefix, their defaults, and the order they are read in.

Every setting is named ``BASKET_SEGMENTS_<NAME>``, in a host's ``app.config`` and in
the environment alike, so none collides with a host's own (``DATABASE_URL``,
``DATA_FOLDER``...). Embedded (``init_dashboard``), each setting comes from, in order:

1. the host's ``app.config["BASKET_SEGMENTS_<NAME>"]``;
2. the host's ``app.config["<NAME>"]``, the unprefixed name that versions before 0.2 read
   (logged as deprecated, so a deployment that set it keeps its data where it was);
3. the environment variable ``BASKET_SEGMENTS_<NAME>`` (JSON-parsed where it parses, as
   Flask's ``from_prefixed_env``: ``50``, ``true``; otherwise the text);
4. the default below.

The standalone server (``create_app``) puts its defaults, the deprecated environment
names (``FLASK_<NAME>``, and ``DATABASE_URL``, ``ANALYTICS_ENGINE``, ``SPARK_MASTER``,
``INSTANCE_PATH`` unprefixed), the ``BASKET_SEGMENTS_*`` environment and its
``test_config`` into ``app.config`` in that order. Flask's and its extensions' own keys
(``FLASK_KEYS``) keep their names in ``app.config``, where Flask reads them; the
standalone server takes them from ``BASKET_SEGMENTS_<KEY>`` in the environment.

This module imports nothing of the package and never reads the environment by itself:
callers pass it in.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, MutableMapping
from typing import Any

PREFIX = "BASKET_SEGMENTS_"

#: Read by the dashboard wherever it runs, from ``app.config["BASKET_SEGMENTS_<NAME>"]``.
DASHBOARD: dict[str, Any] = {
    # None: "basket_segments" in the host's instance folder (the standalone server: its own
    # instance folder). The database, data and jobs folders below default to inside it.
    "FOLDER": None,
    # None: SQLite, FOLDER/basket_segments.db (standalone: instance/app.db).
    "DATABASE_URL": None,
    "DATA_FOLDER": None,  # None: FOLDER/data
    "JOBS_FOLDER": None,  # None: FOLDER/jobs
    "MAX_UPLOAD_MB": 50,
    "MAX_TABLE_MB": 200,
    "USER_QUOTA_MB": 1000,
    "MAX_RULES": 100_000,
    "RECENT_RESULTS_MB": 64,
    "FRAME_ANCESTORS": "'self'",
    "BACKGROUND_MANAGER": "threads",
    "JOBS_PER_WORKER": 1,
    "JOB_NICENESS": 10,
    "CELERY_BROKER_URL": None,
    "CELERY_RESULT_BACKEND": None,  # None: the broker URL
    "ANALYTICS_ENGINE": "local",
    "SPARK_MASTER": None,
}
#: Read by the standalone server only (its accounts and where it mounts the dashboard).
STANDALONE: dict[str, Any] = {
    "DASHBOARD_PREFIX": "/analytics/",
    "MIN_PASSWORD_LENGTH": 8,
    "LOGIN_RATE_LIMIT": "5 per minute",
    "SIGNUP_RATE_LIMIT": "10 per hour",
}
#: Flask's and its extensions' keys that the standalone server sets: ``BASKET_SEGMENTS_<KEY>``
#: in the environment, ``<KEY>`` in ``app.config``. A host sets its own.
FLASK_KEYS: dict[str, Any] = {
    "SECRET_KEY": None,
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_DURATION": 14 * 24 * 3600,
    "RATELIMIT_STORAGE_URI": "database://",
    "MAX_FORM_MEMORY_SIZE": 64 * 1024,
    "MAX_FORM_PARTS": 50,
    "MAX_CONTENT_LENGTH": None,  # None: MAX_UPLOAD_MB plus 64 KB
}
#: Read from the environment only, before the standalone server exists.
ENVIRONMENT_ONLY = ("INSTANCE_PATH",)
#: Environment variables that versions before 0.2 read unprefixed (the standalone server).
UNPREFIXED_ENVIRONMENT = ("DATABASE_URL", "ANALYTICS_ENGINE", "SPARK_MASTER", "INSTANCE_PATH")
#: Not a setting: set to "1" in a web worker's environment when job processes run its jobs
#: (``web/job_process.py``), so the worker skips what only jobs need (``web/warm_up.py``).
JOBS_ELSEWHERE = PREFIX + "JOBS_ELSEWHERE"
DEFAULTS = {**DASHBOARD, **STANDALONE}
#: Every name read from ``BASKET_SEGMENTS_<NAME>`` in the environment by the standalone server.
ALL_NAMES = (*DEFAULTS, *FLASK_KEYS)

logger = logging.getLogger("basket_segments")


def key(name: str) -> str:
    """The ``app.config`` key of setting ``name``.

    >>> key("MAX_UPLOAD_MB"), key("SECRET_KEY")
    ('BASKET_SEGMENTS_MAX_UPLOAD_MB', 'SECRET_KEY')
    """
    return name if name in FLASK_KEYS else PREFIX + name


def setting(config: Mapping[str, Any], name: str) -> Any:
    """Setting ``name`` of an app's ``config``, or its default.

    >>> setting({"BASKET_SEGMENTS_MAX_RULES": 10}, "MAX_RULES"), setting({}, "MAX_UPLOAD_MB")
    (10, 50)
    """
    return config.get(key(name), DEFAULTS.get(name))


def parse(value: str) -> Any:
    """An environment variable's value, as Flask's ``from_prefixed_env`` reads it.

    >>> parse("100"), parse("true"), parse("redis://localhost:6379/0")
    (100, True, 'redis://localhost:6379/0')
    """
    try:
        return json.loads(value)
    except ValueError:
        return value


def deprecated(old: str, new: str) -> None:
    logger.warning("%s is deprecated and will stop being read: set %s instead.", old, new)


def from_environment(environ: Mapping[str, str], names: Any) -> dict[str, Any]:
    """The ``BASKET_SEGMENTS_<NAME>`` variables set in ``environ``, by ``app.config`` key."""
    return {key(name): parse(environ[PREFIX + name]) for name in names if PREFIX + name in environ}


def from_old_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The names the standalone server read before 0.2, by ``app.config`` key (deprecated).

    ``FLASK_<NAME>`` for every setting, and four names without a prefix.
    """
    found = {}
    for name in (*DEFAULTS, *FLASK_KEYS):
        if f"FLASK_{name}" in environ:
            deprecated(f"FLASK_{name}", PREFIX + name)
            found[key(name)] = parse(environ[f"FLASK_{name}"])
    for name in UNPREFIXED_ENVIRONMENT:
        if environ.get(name) and name in DEFAULTS:
            deprecated(f"The environment variable {name}", PREFIX + name)
            found[key(name)] = environ[name]
    return found


def renamed(config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` with the unprefixed names of before 0.2 under their new keys (deprecated).

    >>> renamed({"MAX_UPLOAD_MB": 5, "TESTING": True})
    {'BASKET_SEGMENTS_MAX_UPLOAD_MB': 5, 'TESTING': True}
    """
    out = {}
    for name, value in config.items():
        if name in DEFAULTS or name in ENVIRONMENT_ONLY:
            deprecated(f"app.config[{name!r}]", PREFIX + name)
            out.setdefault(PREFIX + name, value)
        else:
            out[name] = value
    return out


def resolve(config: MutableMapping[str, Any], environ: Mapping[str, str]) -> None:
    """Give every dashboard setting a value in ``config``, in the module's order."""
    for name, default in DASHBOARD.items():
        new = PREFIX + name
        if new in config:
            continue
        if name in config:
            deprecated(f"app.config[{name!r}]", new)
            config[new] = config[name]
        elif new in environ:
            config[new] = parse(environ[new])
        else:
            config[new] = default
