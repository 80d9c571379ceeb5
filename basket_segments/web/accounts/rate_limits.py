"""Login and sign-up counts kept in the app's own database, which every worker shares.

Flask-Limiter's counters live in its storage; the default, memory, is one
process's own, so each gunicorn worker counted apart and N workers allowed N
times the limit. Redis shares them but is one more server to run. This
storage (``RATELIMIT_STORAGE_URI=database://``, the default) keeps each
counter as a row of ``bs_rate_limits`` in the database the accounts already
use (SQLite or PostgreSQL), so the limit holds across workers and machines
with nothing else to install. An increment is one ``UPDATE ... count + 1``
(atomic in both databases); a new window is an ``INSERT``, retried as an
update when another worker inserted the row first.
"""

from __future__ import annotations

import time
from typing import ClassVar

import sqlalchemy as sa
from limits.storage import Storage
from sqlalchemy.exc import IntegrityError

from basket_segments.web.accounts.models import db


class RateLimit(db.Model):
    """One counter: its key (limit, scope and client), its count, when its window ends."""

    __tablename__ = "bs_rate_limits"

    key = sa.Column(sa.String(500), primary_key=True)
    count = sa.Column(sa.Integer, nullable=False)
    expires = sa.Column(sa.Float, nullable=False, index=True)


TABLE = RateLimit.__table__


class DatabaseStorage(Storage):
    """``limits`` storage in the app's database (fixed windows, Flask-Limiter's default)."""

    STORAGE_SCHEME: ClassVar[list[str]] = ["database"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return sa.exc.SQLAlchemyError

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        key = key[:500]
        for _attempt in range(3):
            with db.engine.begin() as connection:
                counted = connection.execute(
                    TABLE.update()
                    .where(TABLE.c.key == key, TABLE.c.expires > now)
                    .values(count=TABLE.c.count + amount)
                )
                if counted.rowcount:
                    return self._count(connection, key, now)
                connection.execute(TABLE.delete().where(TABLE.c.key == key))
            try:
                with db.engine.begin() as connection:
                    connection.execute(
                        TABLE.insert().values(key=key, count=amount, expires=now + expiry)
                    )
                return amount
            except IntegrityError:  # another worker opened this window first: count in it
                continue
        raise RuntimeError(f"could not count rate limit {key!r}")

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
