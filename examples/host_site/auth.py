"""Sign-in and sign-out pages, and the LoginManager that the dashboard relies on.

The dashboard sends anonymous visitors to ``login_manager.login_view`` with
``?next=``, so signing in must come back there.
"""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from models import Member, db, find_member
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired

bp = Blueprint("auth", __name__, url_prefix="/auth")
login_manager = LoginManager()
login_manager.login_view = "auth.login"


class SignInForm(FlaskForm):
    email = StringField("E-mail", id="host-email", validators=[InputRequired()])
    password = PasswordField("Password", id="host-password", validators=[InputRequired()])


@login_manager.user_loader
def load_member(member_id: str) -> Member | None:
    return db.session.get(Member, int(member_id))


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    """Sign in, then go on to ``next`` (where the dashboard sent the visitor from)."""
    form = SignInForm()
    if form.validate_on_submit():
        member = find_member(form.email.data)
        if member and member.check_password(form.password.data):
            login_user(member)
            return redirect(_local_path(request.args.get("next")))
        flash("Unknown e-mail or password.")
    return render_template("login.html", form=form)


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> str | Response:
    """Sign out on a POST, which CSRFProtect checks; a GET only asks for that POST.

    The dashboard's navbar posts here with the site's CSRF token. Signing out on
    a GET would let any other site sign our members out with an image tag.
    """
    if request.method == "POST" or not current_user.is_authenticated:
        logout_user()
        return redirect(url_for("auth.login"))
    return render_template("logout.html")


def _local_path(target: str | None) -> str:
    """``target`` if it is a path on this site, else the home page: no open redirects."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return url_for("home")


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.register_blueprint(bp)
