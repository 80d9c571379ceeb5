"""Where the site keeps its files: all of them in its instance folder.

The dashboard keeps its own in ``basket_segments/`` there by default (its database,
uploads and job state), so one folder holds the whole site's state and one backup
of it is complete.
"""

from __future__ import annotations

import secrets
from pathlib import Path


def instance_settings(instance: Path) -> dict[str, str]:
    """The site's database, under ``instance``."""
    return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'site.db'}"}


def secret_key(instance: Path) -> str:
    """A random key made on first start and kept, so sign-ins survive a restart."""
    path = instance / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()
