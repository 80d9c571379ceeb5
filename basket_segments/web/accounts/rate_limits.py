"""Login and sign-up counts kept in the app's own database, which every worker shares.

Flask-Limiter's counters live in its storage; the default, memory, is one
process's own, so each gunicorn worker counted apart and N workers allowed N
times the limit. Redis shares them but is one more server to run. This
storage (``RATELIMIT_STORAGE_URI=database://``, the default) keeps each
counter as a row of ``bs_rate_limits`` in the database the accounts already
use (SQLite or PostgreSQL), so the limit holds across workers and machines
with nothing else to install. An increment is one atomic upsert that either
counts in the open window or opens a new one.
"""

from __future__ import annotations

import time
from typing import ClassVar

import sqlalchemy as sa
from limits.storage import Storage
from sqlalchemy.dialects import postgresql, sqlite

from basket_segments.web.accounts.models import db


class RateLimit(db.Model):
    """One counter: its key (limit, scope and client), its count, when its window ends."""

    __tablename__ = "bs_rate_limits"

    key = sa.Column(sa.String(500), primary_key=True)
    count = sa.Column(sa.Integer, nullable=False)
    expires = sa.Column(sa.Float, nullable=False, index=True)


TABLE = RateLimit.__table__

# The two databases the app supports, each with its own ``ON CONFLICT`` insert.
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


class DatabaseStorage(Storage):
    """``limits`` storage in the app's database (fixed windows, Flask-Limiter's default)."""

    STORAGE_SCHEME: ClassVar[list[str]] = ["database"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return sa.exc.SQLAlchemyError

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Count ``amount`` in ``key``'s window in one atomic upsert.

        A read-then-insert loop lost races when 30 logins arrived at once on
        PostgreSQL (one request deleted a row another had just inserted, and
        three retries ran out): ``INSERT ... ON CONFLICT DO UPDATE`` opens a
        window or counts in the open one in a single statement, which both
        SQLite and PostgreSQL serialise on the key.
        """
        now = time.time()
        upsert = _INSERTS[db.engine.dialect.name](TABLE).values(
            key=key[:500], count=amount, expires=now + expiry
        )
        expired = TABLE.c.expires <= now  # the stored window has ended: open a new one
        counting = upsert.on_conflict_do_update(
            index_elements=[TABLE.c.key],
            set_={
                "count": sa.case((expired, upsert.excluded.count), else_=TABLE.c.count + amount),
                "expires": sa.case((expired, upsert.excluded.expires), else_=TABLE.c.expires),
            },
        ).returning(TABLE.c.count)
        with db.engine.begin() as connection:
            return int(connection.execute(counting).scalar_one())

    def _count(self, connection: sa.Connection, key: str, now: float) -> int:
        query = sa.select(TABLE.c.count).where(TABLE.c.key == key, TABLE.c.expires > now)
        return int(connection.execute(query).scalar() or 0)

    def get(self, key: str) -> int:
        with db.engine.connect() as connection:
            return self._count(connection, key[:500], time.time())

    def get_expiry(self, key: str) -> float:
        query = sa.select(TABLE.c.expires).where(TABLE.c.key == key[:500])
        with db.engine.connect() as connection:
            return float(connection.execute(query).scalar() or time.time())

    def check(self) -> bool:
        with db.engine.connect() as connection:
            connection.execute(sa.select(1))
        return True

    def reset(self) -> int | None:
        with db.engine.begin() as connection:
            return connection.execute(TABLE.delete()).rowcount

    def clear(self, key: str) -> None:
        with db.engine.begin() as connection:
            connection.execute(TABLE.delete().where(TABLE.c.key == key[:500]))
