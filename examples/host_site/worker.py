"""The site's Celery worker, for the dashboard's jobs when they run on Celery.

With ``BASKET_SEGMENTS_BACKGROUND_MANAGER=celery`` the dashboard's long work
(reading uploads, segmenting, mining) runs as Celery tasks, registered when
``create_app`` mounts the dashboard, so the worker builds the same site. Start
it from this folder, in the web workers' environment (README.md)::

    celery -A worker worker --concurrency 2
"""

from app import create_app

from basket_segments import celery_app

celery = celery_app(create_app())
