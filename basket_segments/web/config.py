"""The standalone server's configuration defaults, as a plain mapping.

The settings themselves, their names and the order they are read in live in
``basket_segments.settings`` (and the README's table says what each does). ``create_app``
applies, in order: these defaults, the deprecated environment names, the
``BASKET_SEGMENTS_*`` environment variables, then the test config. Nothing here reads
the environment at import time.
"""

from basket_segments import settings

#: Cookie options the standalone server always uses (SESSION_COOKIE_SECURE is a setting).
FIXED = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
}

DEFAULTS = {
    **{settings.key(name): value for name, value in settings.DEFAULTS.items()},
    **settings.FLASK_KEYS,
    **FIXED,
}
