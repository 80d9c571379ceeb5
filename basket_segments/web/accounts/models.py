"""The standalone app's users and their logins, as database rows.

A username is unique regardless of case: ``username_key`` (NFKC, case-folded)
carries the unique index, ``username`` keeps the form the user typed. Each
login is a ``UserSession`` row (see ``accounts.logins``).
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_login import UserMixin
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import validates

db = SQLAlchemy()


def username_key(name: str | None) -> str:
    """The form of a username that must be unique: NFKC, case-folded, trimmed.

    >>> username_key(" Alice "), username_key("ALICE"), username_key("\\uff21lice")
    ('alice', 'alice', 'alice')
    """
    folded = unicodedata.normalize("NFKC", name or "").casefold()
    return unicodedata.normalize("NFKC", folded).strip()


def now() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; ours are all UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class User(UserMixin, db.Model):
    __tablename__ = "bs_users"

    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(80), unique=True, nullable=False)
    username_key = db.Column(db.String(80), unique=True, nullable=False)
    password_hash = db.Column(db.String(256), nullable=False)
    created = db.Column(db.DateTime(timezone=True), default=now)
    #: The token of the login this object stands for (not a column).
    session_token = None

    @validates("username")
    def _set_username_key(self, _attribute: str, value: str) -> str:
        self.username_key = username_key(value)
        return value

    @property
    def owner_id(self) -> str:
        """Who owns this user's data: the numeric id, the same across logins."""
        return str(self.id)

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and remember cookie: id and login token."""
        return f"{self.id}:{self.session_token}" if self.session_token else str(self.id)


class UserSession(db.Model):
    """One login that has not ended: its browser session, or its remember cookie."""

    __tablename__ = "bs_sessions"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(
        db.Integer, db.ForeignKey("bs_users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    #: SHA-256 of the login's random token; the token itself is only in the user's cookies.
    token_hash = db.Column(db.String(64), unique=True, nullable=False)
    remembered = db.Column(db.Boolean, nullable=False, default=False)
    created = db.Column(db.DateTime(timezone=True), nullable=False, default=now)
    last_seen = db.Column(db.DateTime(timezone=True), nullable=False, default=now)


def find_user(name: str) -> User | None:
    """The account ``name`` logs into: the same username regardless of case.

    An exact match wins, for the rare pair of names that differed only in case
    before usernames ignored case (see ``add_username_keys``).
    """
    exact = db.session.scalar(sa.select(User).filter_by(username=name))
    return exact or db.session.scalar(sa.select(User).filter_by(username_key=username_key(name)))


def add_username_keys(engine: sa.Engine) -> None:
    """Give a database made before usernames ignored case its ``username_key`` column.

    Of two old names that differ only in case, the later account's key gets
    its id appended: it keeps logging in with exactly its name.
    """
    columns = {column["name"] for column in sa.inspect(engine).get_columns(User.__tablename__)}
    if "username_key" in columns:
        return
    with engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE bs_users ADD COLUMN username_key VARCHAR(80)"))
        taken: set[str] = set()
        rows = connection.execute(sa.text("SELECT id, username FROM bs_users ORDER BY id"))
        for number, name in rows.all():
            key = username_key(name)
            key = f"{key[:60]}#{number}" if key in taken else key
            taken.add(key)
            connection.execute(
                sa.text("UPDATE bs_users SET username_key = :key WHERE id = :id"),
                {"key": key, "id": number},
            )
        connection.execute(
            sa.text("CREATE UNIQUE INDEX ix_bs_users_username_key ON bs_users (username_key)")
        )
