"""Where the site keeps its files: all of them in its instance folder.

The dashboard's own settings (``DATABASE_URL``, ``DATA_FOLDER``, ``JOBS_FOLDER``)
point inside it too, so one folder holds the whole site's state and one
backup of it is complete.
"""

from __future__ import annotations

import secrets
from pathlib import Path


def instance_settings(instance: Path) -> dict[str, str]:
    """The site's database and the dashboard's tables, uploads and jobs, under ``instance``."""
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'site.db'}",
        "DATABASE_URL": f"sqlite:///{instance / 'analytics.db'}",
        "DATA_FOLDER": str(instance / "analytics" / "data"),
        "JOBS_FOLDER": str(instance / "analytics" / "jobs"),
    }


def secret_key(instance: Path) -> str:
    """A random key made on first start and kept, so sign-ins survive a restart."""
    path = instance / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()
