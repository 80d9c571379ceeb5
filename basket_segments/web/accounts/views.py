"""The account pages: sign-up, login, logout, password; throttled and CSRF-checked.

Every login POST counts before its password is checked, per client address
and per username and address (``LOGIN_RATE_LIMIT``), so parallel guesses cannot
slip past the limit and a flood against one user does not lock that user out
elsewhere; sign-ups count per address (``SIGNUP_RATE_LIMIT``). The counts live
in the app's database (``rate_limits.py``), shared by every worker without Redis.
Logging out is a CSRF-checked POST.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from basket_segments.settings import setting
from basket_segments.web.accounts.forms import TAKEN, LoginForm, PasswordForm, SignupForm
from basket_segments.web.accounts.logins import end_sessions, login_lifetime, start_session
from basket_segments.web.accounts.models import User, UserSession, db, find_user, now, username_key
from basket_segments.web.accounts.passwords import dummy_hash

limiter = Limiter(key_func=get_remote_address)
bp = Blueprint(
    "accounts",
    __name__,
    template_folder="templates",
    static_folder="../../assets/vendor",
    static_url_path="/accounts-static",
)


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site, never another site.

    >>> from flask import Flask
    >>> with Flask(__name__).app_context() as context:
    ...     context.app.config["BASKET_SEGMENTS_DASHBOARD_PREFIX"] = "/analytics/"
    ...     [safe_next(t) for t in ("/analytics/rules", "/analytics/\\nx", "/\\\\evil.test")]
    ['/analytics/rules', '/analytics/', '/analytics/']
    """
    default = setting(current_app.config, "DASHBOARD_PREFIX")
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or not target.isprintable():
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def _login_limit() -> str:
    return setting(current_app.config, "LOGIN_RATE_LIMIT")


def _signup_limit() -> str:
    return setting(current_app.config, "SIGNUP_RATE_LIMIT")


def _username_tried_here() -> str:
    """The rate-limit key of a login attempt's username (matched as login matches it) from
    this client address: a flood of wrong passwords for one user, from one address, locks
    out that address only, never the user's own login from another (NIST SP 800-63B)."""
    name = username_key(request.form.get("username"))[:200] or "-"
    return f"username:{name}@{get_remote_address()}"


@bp.route("/")
def home():
    return redirect(setting(current_app.config, "DASHBOARD_PREFIX"))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_signup_limit, methods=["POST"])
def signup():
    form = SignupForm()
    if form.validate_on_submit():
        user = User(
            username=form.username.data,
            password_hash=generate_password_hash(form.password.data),
        )
        db.session.add(user)
        try:
            db.session.commit()
        except IntegrityError:  # another sign-up took the name since it was checked
            db.session.rollback()
            form.username.errors.append(TAKEN)
        else:
            start_session(user, remember=False)
            return redirect(safe_next(request.args.get("next")))
    return render_template("signup.html", form=form), 400 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_username_tried_here, scope="username")
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = find_user(form.username.data)
        # The same hash work whether or not the user exists: the time tells nothing.
        known = check_password_hash(
            user.password_hash if user else dummy_hash(), form.password.data
        )
        if user and known:
            start_session(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")))
        flash("Wrong username or password.", "danger")
        return render_template("login.html", form=form), 401
    return render_template("login.html", form=form), 400 if form.errors else 200


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """Log out on a POST, which CSRFProtect checks; a GET only asks for that POST.

    Logging out on a GET would let any link or image on another site log our
    users out.
    """
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    if request.method == "GET":
        return render_template("logout.html", form=FlaskForm())
    end_sessions(current_user, this_one=True, others=False)
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/password", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@login_required
def password():
    """Change the password (the user's other logins end), or log out everywhere."""
    form = PasswordForm()
    if form.validate_on_submit():
        current_user.password_hash = generate_password_hash(form.password.data)
        end_sessions(current_user, this_one=False, others=True)
        flash("Your password is changed, and you are logged out everywhere else.", "success")
        return redirect(url_for("accounts.password"))
    return render_template("password.html", **_password_page(form)), 400 if form.errors else 200


def _password_page(form: PasswordForm) -> dict:
    logins = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(UserSession)
        .where(
            UserSession.user_id == current_user.id,
            UserSession.created >= now() - login_lifetime(),
        )
    )
    return {"form": form, "end_all": FlaskForm(), "logins": logins}


@bp.route("/logout-everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    """End every login of the user, on this device and all others."""
    end_sessions(current_user, this_one=True, others=True)
    logout_user()
    flash("You are logged out everywhere.", "info")
    return redirect(url_for("accounts.login"))


@bp.errorhandler(429)
def too_many_attempts(error):
    if request.endpoint == "accounts.signup":
        flash(f"Too many sign-ups from your address ({error.description}); try later.", "danger")
        return render_template("signup.html", form=SignupForm(formdata=None)), 429
    if request.endpoint == "accounts.password" and current_user.is_authenticated:
        flash(f"Too many attempts ({error.description}); wait and try again.", "danger")
        page = _password_page(PasswordForm(formdata=None))
        return render_template("password.html", **page), 429
    flash(f"Too many login attempts ({error.description}); wait and try again.", "danger")
    return render_template("login.html", form=LoginForm(formdata=None)), 429


@bp.errorhandler(CSRFError)
def stale_form(error: CSRFError):
    """A logout form whose token expired (a dashboard left open) asks again instead of failing."""
    if request.endpoint == "accounts.logout" and current_user.is_authenticated:
        return render_template("logout.html", form=FlaskForm()), 400
    return error
