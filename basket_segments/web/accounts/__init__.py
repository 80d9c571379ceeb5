"""Standalone accounts: sign-up, login, logout and password pages; users and their logins.

Used only when the dashboard runs on its own (``create_app``); a host site
that embeds the dashboard brings its own users and login page.

- **Usernames** are unique regardless of case: ``username_key`` (NFKC,
  case-folded) carries the unique index, ``username`` keeps the form the user
  typed for display. Login matches the same way.
- **Passwords** are hashed with werkzeug. A new one needs
  ``MIN_PASSWORD_LENGTH`` characters and must not be easy to guess (NIST SP
  800-63B: not a common password, not repetitive or sequential, not the
  username): zxcvbn judges it against its frequency lists of common passwords,
  words and names, with the username and the product's name as context.
- **Logins** are rows of ``bs_sessions``, each with its own random token
  (Flask-Login's "alternative tokens"): ``User.get_id()`` is
  ``"<id>:<token>"``, which Flask-Login keeps in the session and in the
  remember cookie, and the user loader accepts it only while its row exists and
  is younger than ``REMEMBER_COOKIE_DURATION``. Logging out deletes the row, so
  a copied session or remember cookie stops working; a password change deletes
  the user's other rows, "Log out everywhere" all of them. The user's data
  stays keyed by ``owner_id``, the numeric id, the same across logins.
- **Throttling** (Flask-Limiter): every login POST counts, before its password
  is checked, per client address and per username from that address
  (``LOGIN_RATE_LIMIT``), so parallel guesses cannot slip past the limit and a
  flood against one user locks out only the flooding address; sign-ups count
  per address (``SIGNUP_RATE_LIMIT``). The counts are rows of the app's own
  database (``rate_limits.DatabaseStorage``), shared by every worker and
  machine without Redis (``RATELIMIT_STORAGE_URI=redis://...`` still works).
- **Forms** carry Flask-WTF CSRF tokens; logging out is a CSRF-checked POST.
"""

from __future__ import annotations

from flask import Flask
from flask_login import LoginManager

from basket_segments.settings import setting
from basket_segments.store.storage import create_tables, write_ahead_log
from basket_segments.web.accounts.logins import load_user
from basket_segments.web.accounts.models import User, UserSession, add_username_keys, db
from basket_segments.web.accounts.rate_limits import DatabaseStorage
from basket_segments.web.accounts.views import bp, limiter


def init_accounts(app: Flask) -> None:
    """Database, login manager, rate limiter and the account pages, for a standalone app."""
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", setting(app.config, "DATABASE_URL"))
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config.get("SESSION_COOKIE_SECURE"))
    db.init_app(app)
    limiter.init_app(app)
    manager = LoginManager(app)
    manager.login_view = "accounts.login"
    manager.login_message = "Log in to open the dashboard."
    manager.user_loader(load_user)
    app.register_blueprint(bp)
    with app.app_context():
        write_ahead_log(db.engine)  # before its first connection
        create_tables(db.create_all)
        create_tables(add_username_keys, db.engine)


__all__ = ["DatabaseStorage", "User", "UserSession", "db", "init_accounts"]
