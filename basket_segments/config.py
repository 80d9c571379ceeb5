"""Configuration defaults, as a plain mapping.

``create_app`` applies, in order: these defaults, ``FLASK_*`` environment
variables (plus ``DATABASE_URL``), then the test config. Nothing here reads
the environment at import time.
"""

DEFAULTS = {
    # The instance folder (database, data, secret key) comes from the INSTANCE_PATH
    # environment variable or the test config; Flask's "instance/" beside app.py otherwise.
    # None: a random key is created once and kept in the instance folder.
    "SECRET_KEY": None,
    # None: SQLite in the instance folder. PostgreSQL: postgresql+psycopg://user:pw@host/db
    "DATABASE_URL": None,
    # None: "data" in the instance folder. Uploaded datasets and results live here.
    "DATA_FOLDER": None,
    "MAX_UPLOAD_MB": 50,
    "DASHBOARD_PREFIX": "/analytics/",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Set FLASK_SESSION_COOKIE_SECURE=true when served over HTTPS.
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "MIN_PASSWORD_LENGTH": 8,
    # Failed logins allowed per client address before a pause (Flask-Limiter syntax).
    "LOGIN_RATE_LIMIT": "5 per minute",
    "RATELIMIT_STORAGE_URI": "memory://",
    # Long work (uploads, K suggestion, mining) runs as background jobs with a progress bar.
    # "threads": in the web process, state in JOBS_FOLDER (default: "jobs" in the instance
    # folder), shared by all worker processes of one machine. "celery": Celery workers
    # (pip install -r requirements-celery.txt; start `celery -A worker worker`).
    "BACKGROUND_MANAGER": "threads",
    "JOBS_FOLDER": None,
    # "threads": jobs one server process runs at once; the rest wait in line, so the
    # process keeps answering clicks (see bench/README.md, "Load").
    "JOBS_PER_WORKER": 1,
    "CELERY_BROKER_URL": None,
    # None: the broker URL.
    "CELERY_RESULT_BACKEND": None,
}
