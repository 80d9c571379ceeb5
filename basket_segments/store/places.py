"""Where the dashboard keeps its files and tables, in a host's instance folder or its own.

Embedded, everything the dashboard creates lives in one folder named after the package,
``<instance>/basket_segments/``: the SQLite database ``basket_segments.db`` (tables
``bs_*``), ``data/`` (uploads and results) and ``jobs/`` (background job state), unless
the host sets ``BASKET_SEGMENTS_FOLDER``, ``_DATABASE_URL``, ``_DATA_FOLDER`` or
``_JOBS_FOLDER``. The standalone server's folder is its own instance folder, laid out as
before (``app.db``, ``data/``, ``jobs/``, ``secret_key``).

A host that embedded a version before 0.2 without setting the paths has the dashboard's
files straight in its instance folder (``app.db`` with ``bs_*`` tables, ``data/``,
``jobs/``). As long as ``<instance>/basket_segments/`` does not exist, the dashboard keeps
using them and logs how to move them (README, "Files and settings of an embedded dashboard").
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from flask import Flask

from basket_segments.settings import PREFIX, key, logger, setting

FOLDER_NAME = "basket_segments"
DATABASE_FILE = "basket_segments.db"
#: The files a version before 0.2 put straight into a host's instance folder.
OLD_DATABASE_FILE = "app.db"
PATH_SETTINGS = ("FOLDER", "DATABASE_URL", "DATA_FOLDER", "JOBS_FOLDER")


def dashboard_folder(app: Flask) -> Path:
    """``BASKET_SEGMENTS_FOLDER``, or ``basket_segments`` in the app's instance folder."""
    return Path(setting(app.config, "FOLDER") or Path(app.instance_path) / FOLDER_NAME)


def data_folder(app: Flask) -> Path:
    return Path(setting(app.config, "DATA_FOLDER") or dashboard_folder(app) / "data")


def jobs_folder(app: Flask) -> Path:
    return Path(setting(app.config, "JOBS_FOLDER") or dashboard_folder(app) / "jobs")


def default_database_url(app: Flask) -> str:
    return f"sqlite:///{dashboard_folder(app) / DATABASE_FILE}"


def keep_old_layout(app: Flask) -> bool:
    """Point the path settings at a pre-0.2 embedded layout if there is one to keep.

    Only when the host set none of the paths, ``basket_segments/`` does not exist yet
    and the instance folder's ``app.db`` holds the dashboard's ``bs_datasets`` table.
    """
    instance = Path(app.instance_path)
    if any(setting(app.config, name) for name in PATH_SETTINGS):
        return False
    if (instance / FOLDER_NAME).exists() or not _has_datasets(instance / OLD_DATABASE_FILE):
        return False
    app.config[key("DATABASE_URL")] = f"sqlite:///{instance / OLD_DATABASE_FILE}"
    app.config[key("DATA_FOLDER")] = str(instance / "data")
    app.config[key("JOBS_FOLDER")] = str(instance / "jobs")
    logger.warning(
        "The dashboard's files are still in %s (app.db, data/, jobs/) as before version 0.2; "
        "they stay in use until you move them into %s (README: 'Files and settings of an "
        "embedded dashboard') or set %sDATABASE_URL, %sDATA_FOLDER and %sJOBS_FOLDER.",
        instance,
        instance / FOLDER_NAME,
        PREFIX,
        PREFIX,
        PREFIX,
    )
    return True


def _has_datasets(path: Path) -> bool:
    if not path.is_file():
        return False
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'bs_datasets'"
            return connection.execute(query).fetchone() is not None
    except sqlite3.Error:
        return False
