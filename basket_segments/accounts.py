"""Standalone accounts: sign-up, login and logout pages, users in the database.

Used only when the dashboard runs on its own (``create_app``); a host site
that embeds the dashboard brings its own users and login page. Passwords are
hashed with werkzeug, forms carry Flask-WTF CSRF tokens, and repeated failed
logins from one address are throttled with Flask-Limiter.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, login_user, logout_user
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, Regexp, ValidationError

from basket_segments.storage import create_tables

db = SQLAlchemy()
limiter = Limiter(key_func=get_remote_address)
bp = Blueprint(
    "accounts",
    __name__,
    template_folder="templates",
    static_folder="assets/vendor",
    static_url_path="/accounts-static",
)
USERNAME_RULE = r"^[A-Za-z0-9_.@-]+$"


class User(UserMixin, db.Model):
    __tablename__ = "bs_users"

    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(80), unique=True, nullable=False)
    password_hash = db.Column(db.String(256), nullable=False)
    created = db.Column(db.DateTime(timezone=True), default=lambda: datetime.now(UTC))


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[InputRequired()])
    password = PasswordField("Password", validators=[InputRequired()])
    remember = BooleanField("Keep me logged in")


class SignupForm(FlaskForm):
    username = StringField(
        "Username",
        validators=[
            InputRequired(),
            Length(3, 80),
            Regexp(USERNAME_RULE, message="Use letters, digits and . _ @ - only."),
        ],
    )
    password = PasswordField("Password", validators=[InputRequired()])
    confirm = PasswordField(
        "Repeat the password",
        validators=[
            InputRequired(),
            EqualTo("password", message="The two passwords differ."),
        ],
    )

    def validate_password(self, field: PasswordField) -> None:
        minimum = current_app.config["MIN_PASSWORD_LENGTH"]
        if len(field.data or "") < minimum:
            raise ValidationError(f"Use at least {minimum} characters.")

    def validate_username(self, field: StringField) -> None:
        if db.session.scalar(db.select(User).filter_by(username=field.data)):
            raise ValidationError("That username is taken; choose another.")


def init_accounts(app: Flask) -> None:
    """Database, login manager, rate limiter and the account pages, for a standalone app."""
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", app.config["DATABASE_URL"])
    db.init_app(app)
    limiter.init_app(app)
    manager = LoginManager(app)
    manager.login_view = "accounts.login"
    manager.login_message = "Log in to open the dashboard."
    manager.user_loader(lambda user_id: db.session.get(User, int(user_id)))
    app.register_blueprint(bp)
    with app.app_context():
        create_tables(db.create_all)


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site, never another site."""
    default = current_app.config["DASHBOARD_PREFIX"]
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@bp.route("/")
def home():
    return redirect(current_app.config["DASHBOARD_PREFIX"])


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    form = SignupForm()
    if form.validate_on_submit():
        user = User(
            username=form.username.data, password_hash=generate_password_hash(form.password.data)
        )
        db.session.add(user)
        db.session.commit()
        login_user(user)
        return redirect(safe_next(request.args.get("next")))
    return render_template("signup.html", form=form), 400 if form.errors else 200


def _failed_login(response) -> bool:
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], deduct_when=_failed_login
)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(db.select(User).filter_by(username=form.username.data))
        if user and check_password_hash(user.password_hash, form.password.data):
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")))
        flash("Wrong username or password.", "danger")
        return render_template("login.html", form=form), 401
    return render_template("login.html", form=form), 400 if form.errors else 200


@bp.route("/logout")
def logout():
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("accounts.login"))


@bp.app_errorhandler(429)
def too_many_logins(_error):
    flash("Too many failed logins from your address; wait a minute and try again.", "danger")
    return render_template("login.html", form=LoginForm()), 429


__all__ = ["User", "db", "init_accounts"]
