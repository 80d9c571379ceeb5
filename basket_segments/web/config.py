"""Configuration defaults, as a plain mapping.

``create_app`` applies, in order: these defaults, ``FLASK_*`` environment
variables (plus ``DATABASE_URL``, ``ANALYTICS_ENGINE`` and ``SPARK_MASTER``, the
names the command line reads), then the test config. Nothing here reads
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
    # Werkzeug's own form limits, app-wide (the standalone server's forms are tiny; the
    # dashboard takes no forms at all, and every route's body is bounded before it is
    # read: web/limits.py). MAX_CONTENT_LENGTH follows MAX_UPLOAD_MB unless set.
    "MAX_FORM_MEMORY_SIZE": 64 * 1024,
    "MAX_FORM_PARTS": 50,
    # What one table's values may take once read, in MB (text, plus 8 bytes a cell): checked
    # before a Parquet file or a workbook is expanded (a few hundred KB can stand for GBs),
    # and at every opening of a stored dataset. 200 MB opens in about 0.6 GB of memory.
    "MAX_TABLE_MB": 200,
    # Space each user's datasets and results may take, in MB; beyond it nothing more is stored.
    "USER_QUOTA_MB": 1000,
    "DASHBOARD_PREFIX": "/analytics/",
    # Who may frame the dashboard: CSP frame-ancestors sources, e.g. "'self' https://intranet.test".
    "FRAME_ANCESTORS": "'self'",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Set FLASK_SESSION_COOKIE_SECURE=true when served over HTTPS.
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # Seconds a login lasts at most, and a "Keep me logged in" cookie with it (14 days).
    "REMEMBER_COOKIE_DURATION": 14 * 24 * 3600,
    "MIN_PASSWORD_LENGTH": 8,
    # Login attempts allowed per client address and, separately, per username (Flask-Limiter
    # syntax). Every attempt counts, before its password is checked, so parallel guesses
    # cannot slip past the limit.
    "LOGIN_RATE_LIMIT": "5 per minute",
    # Sign-up attempts allowed per client address.
    "SIGNUP_RATE_LIMIT": "10 per hour",
    # Where login and sign-up counts live: "database://" is the app's own database, which
    # every worker shares; "redis://host:6379" or "memory://" (one process only) also work.
    "RATELIMIT_STORAGE_URI": "database://",
    # Long work (uploads, K suggestion, mining) runs as background jobs with a progress bar.
    # "threads": in the web process, state in JOBS_FOLDER (default: "jobs" in the instance
    # folder), shared by all worker processes of one machine. "celery": Celery workers
    # (pip install -r requirements-celery.txt; start `celery -A basket_segments.web.worker worker`).
    "BACKGROUND_MANAGER": "threads",
    "JOBS_FOLDER": None,
    # "threads": jobs one server process runs at once; the rest wait in line, so the
    # process keeps answering clicks (see bench/README.md, "Load").
    "JOBS_PER_WORKER": 1,
    # How much lower a job's CPU priority is than the clicks' (Linux nice; 0: the same, as
    # the command line's): clicks answer first (bench/README.md, "Fair share").
    "JOB_NICENESS": 10,
    "CELERY_BROKER_URL": None,
    # None: the broker URL.
    "CELERY_RESULT_BACKEND": None,
    # The highest rule limit (rules kept per segment and for all customers, the strongest)
    # a user may set on the Rules page, whose default is 20,000; 0: the page's own 100,000.
    # A few shared baskets of many products otherwise make millions of rules.
    "MAX_RULES": 100_000,
    # Which engine computes segments, K scores and rules: "local" (pandas, scikit-learn,
    # efficient-apriori) or "spark" (pip install -r requirements-spark.txt, Java 17), as the
    # command line's ANALYTICS_ENGINE; SPARK_MASTER: e.g. spark://host:7077 (None: local[*]).
    "ANALYTICS_ENGINE": "local",
    "SPARK_MASTER": None,
}
