"""The WSGI entry point for production servers: ``gunicorn -w 4 wsgi:app``.

Configuration comes from the environment (``INSTANCE_PATH``, ``DATABASE_URL``,
``FLASK_*``), as in ``python app.py``; every worker process builds the same app
and shares the database and data folder, so no worker keeps per-user state.
"""

from app import create_app

app = create_app()
