"""The Celery worker (``BACKGROUND_MANAGER=celery``): ``celery -A basket_segments.web.worker``

It builds the same app as ``python -m basket_segments`` (same configuration
from the environment), so it registers the same background callbacks as Celery
tasks and reads and writes the same database and data folder.
"""

from basket_segments.app import celery_app, create_app

celery = celery_app(create_app())
