"""An existing Flask site that embeds the Basket Segments dashboard.

It has its own factory, user model, login page and CSRF protection; the
dashboard only needs its ``LoginManager`` and a URL prefix:

    flask --app examples.host_site add-user alice 'a long password'
    flask --app examples.host_site run --port 5000

then open http://127.0.0.1:5000/ and follow the link to the dashboard.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, flash, redirect, render_template_string, request, url_for
from flask_login import (
    LoginManager,
    UserMixin,
    login_required,
    login_user,
    logout_user,
)
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect, FlaskForm
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired

from basket_segments.app import init_dashboard

db = SQLAlchemy()

PAGE = """<!doctype html><title>Acme Retail</title>
<header><b>Acme Retail intranet</b> {% if current_user.is_authenticated %}
 · {{ current_user.email }} · <a href="{{ url_for('logout') }}">log out</a>{% endif %}</header>
{% for m in get_flashed_messages() %}<p class="flash">{{ m }}</p>{% endfor %}
{{ body|safe }}"""
LOGIN = """<h1>Acme sign in</h1><form method="post">{{ form.hidden_tag() }}
<p>{{ form.email.label }} {{ form.email(id="host-email") }}</p>
<p>{{ form.password.label }} {{ form.password(id="host-password") }}</p>
<button type="submit" id="host-login">Sign in</button></form>"""


class Member(UserMixin, db.Model):
    """The host's own user model: e-mail addresses, not usernames."""

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(120), unique=True, nullable=False)
    password_hash = db.Column(db.String(256), nullable=False)


class SignInForm(FlaskForm):
    email = StringField("E-mail", validators=[InputRequired()])
    password = PasswordField("Password", validators=[InputRequired()])


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(Path.cwd() / "instance" / "host_site"))
    app.config.from_mapping(SECRET_KEY="change me", SQLALCHEMY_DATABASE_URI="sqlite:///host.db")
    app.config.from_prefixed_env()
    app.config.update(test_config or {})
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    CSRFProtect(app)
    manager = LoginManager(app)
    manager.login_view = "login"
    manager.user_loader(lambda user_id: db.session.get(Member, int(user_id)))
    _routes(app)
    app.cli.add_command(add_user)
    with app.app_context():
        db.create_all()
    # The one line that mounts the dashboard:
    init_dashboard(app, url_base_pathname="/analytics/", logout_url="/auth/logout")
    return app


def _routes(app: Flask) -> None:
    @app.route("/")
    @login_required
    def home():
        body = (
            '<h1>Welcome</h1><p><a id="open-dashboard" href="/analytics/">Customer segments</a></p>'
        )
        return render_template_string(PAGE, body=body)

    @app.route("/auth/login", methods=["GET", "POST"])
    def login():
        form = SignInForm()
        if form.validate_on_submit():
            member = db.session.scalar(db.select(Member).filter_by(email=form.email.data))
            if member and check_password_hash(member.password_hash, form.password.data):
                login_user(member)
                target = request.args.get("next", "")
                return redirect(
                    target
                    if target.startswith("/") and not target.startswith("//")
                    else url_for("home")
                )
            flash("Unknown e-mail or password.")
        return render_template_string(PAGE, body=render_template_string(LOGIN, form=form))

    @app.route("/auth/logout")
    def logout():
        logout_user()
        return redirect(url_for("login"))


def create_member(email: str, password: str) -> Member:
    member = Member(email=email, password_hash=generate_password_hash(password))
    db.session.add(member)
    db.session.commit()
    return member


@click.command("add-user")
@click.argument("email")
@click.argument("password")
def add_user(email: str, password: str) -> None:
    """Create a member who can sign in."""
    create_member(email, password)
    click.echo(f"added {email}")


__all__ = ["Member", "create_app", "create_member", "db"]
