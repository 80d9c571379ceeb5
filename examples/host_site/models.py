"""The site's members: e-mail logins with werkzeug password hashes.

The dashboard never reads this table: it asks flask-login for the current
member, keys its data by ``get_id()`` and shows the ``email``.
"""

from __future__ import annotations

import click
from flask import Flask
from flask_login import UserMixin
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

db = SQLAlchemy()


class Member(UserMixin, db.Model):
    """Someone who signs in with an e-mail address."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


def add_member(email: str, password: str) -> Member:
    """Store a new member; addresses are kept lower-case so signing in ignores case."""
    member = Member(email=email.strip().lower(), password_hash=generate_password_hash(password))
    db.session.add(member)
    db.session.commit()
    return member


def find_member(email: str) -> Member | None:
    return db.session.scalar(db.select(Member).filter_by(email=email.strip().lower()))


@click.command("add-user")
@click.argument("email")
@click.argument("password")
def add_user_command(email: str, password: str) -> None:
    """Create a member who can sign in."""
    try:
        member = add_member(email, password)
    except IntegrityError:
        raise click.ClickException(f"{email} is already a member.") from None
    click.echo(f"Added {member.email}.")


def init_app(app: Flask) -> None:
    """Connect the database, create the table on first start, add ``flask add-user``."""
    db.init_app(app)
    with app.app_context():
        db.create_all()
    app.cli.add_command(add_user_command)
