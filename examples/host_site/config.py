"""The site's defaults that do not depend on where it runs.

``create_app`` applies, in order: these defaults, the file locations inside the
instance folder (``storage.instance_settings``), ``FLASK_*`` environment
variables, then the test config. Nothing here reads the environment.
"""

DEFAULTS = {
    "SITE_NAME": "Acme Retail intranet",
    # None: a random key made on first start and kept in the instance folder.
    "SECRET_KEY": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # FLASK_SESSION_COOKIE_SECURE=true behind HTTPS; the dashboard's CSRF cookie follows it.
    "SESSION_COOKIE_SECURE": False,
    # A dashboard setting: it reads its configuration from the site's, under its prefix.
    "BASKET_SEGMENTS_MAX_UPLOAD_MB": 20,
}
