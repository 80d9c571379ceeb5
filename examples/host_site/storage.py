"""Where the site keeps its files: all of them in its instance folder.

The dashboard keeps its own in ``basket_segments/`` there by default (its database,
uploads and job state), so one folder holds the whole site's state and one backup
of it is complete.
"""

from __future__ import annotations

import os
import secrets
from contextlib import suppress
from pathlib import Path


def instance_settings(instance: Path) -> dict[str, str]:
    """The site's database, under ``instance``."""
    return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'site.db'}"}


def secret_key(instance: Path) -> str:
    """A random key made on first start and kept, so sign-ins survive a restart.

    Several gunicorn workers start at once: each writes a draft and links it into
    place, which only the first can do, so all of them read the same whole key.
    """
    path = instance / "secret_key"
    if not path.exists():
        draft = instance / f".secret_key.{os.getpid()}"
        draft.touch(mode=0o600)
        draft.write_text(secrets.token_hex(32))
        with suppress(FileExistsError):
            os.link(draft, path)
        draft.unlink()
    return path.read_text().strip()
