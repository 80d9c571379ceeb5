"""Logins that can end: each one a row with its own random token.

``User.get_id()`` is ``"<id>:<token>"`` (Flask-Login's "alternative tokens",
one per login), which Flask-Login keeps in the session and in the remember
cookie; ``load_user`` accepts it only while its row exists and is younger than
``REMEMBER_COOKIE_DURATION``. Deleting the row ends the login: a copied session
or remember cookie stops working.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_login import login_user

from basket_segments.store.storage import MAX_ID
from basket_segments.web.accounts.models import User, UserSession, aware, db, now

#: Seconds between two updates of a login's ``last_seen`` (not one write per request).
LAST_SEEN_STEP = 300


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login_lifetime() -> timedelta:
    """How long a login lasts at most: ``REMEMBER_COOKIE_DURATION`` (seconds or a timedelta)."""
    value = current_app.config["REMEMBER_COOKIE_DURATION"]
    return value if isinstance(value, timedelta) else timedelta(seconds=int(value))


def start_session(user: User, remember: bool) -> None:
    """Log ``user`` in with a new login: a new row, a new token, a new remember cookie."""
    moment = now()
    db.session.execute(
        sa.delete(UserSession).where(UserSession.created < moment - login_lifetime())
    )
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, token_hash=_token_hash(token), remembered=remember))
    db.session.commit()
    user.session_token = token
    login_user(user, remember=remember)


def end_sessions(user: User, *, this_one: bool, others: bool) -> None:
    """Delete the user's current login, the others, or both; their cookies stop working."""
    current = _token_hash(user.session_token or "")
    query = sa.delete(UserSession).where(UserSession.user_id == user.id)
    if not others:
        query = query.where(UserSession.token_hash == current)
    elif not this_one:
        query = query.where(UserSession.token_hash != current)
    db.session.execute(query)
    db.session.commit()


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the user of ``"<id>:<token>"`` while that login lasts."""
    number, _, token = str(user_id).partition(":")
    if not (number.isdigit() and token) or int(number) > MAX_ID:
        return None
    found = db.session.execute(
        sa.select(User, UserSession)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == _token_hash(token), User.id == int(number))
    ).first()
    if found is None:
        return None
    user, login = found
    moment = now()
    if aware(login.created) < moment - login_lifetime():
        return None
    if aware(login.last_seen) < moment - timedelta(seconds=LAST_SEEN_STEP):
        login.last_seen = moment
        db.session.commit()
    user.session_token = token
    return user
