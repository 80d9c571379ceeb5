"""The Celery worker for ``BACKGROUND_MANAGER=celery``: ``celery -A worker worker``.

It builds the same app as ``python app.py`` (same configuration from the
environment), so it registers the same background callbacks as Celery tasks
and reads and writes the same database and data folder.
"""

from app import create_app
from jobs import CELERY_EXTENSION

celery = create_app().extensions[CELERY_EXTENSION]
