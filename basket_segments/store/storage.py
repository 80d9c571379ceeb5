"""The only code that reads or writes users' datasets and results.

Every function takes the owner (``current_user.get_id()``) first, and every
query filters on it, so asking for another user's dataset behaves exactly
like asking for one that does not exist. Metadata lives in the database
(SQLite by default, PostgreSQL through ``DATABASE_URL``); tables live as
Parquet and pickle files under the data folder, in directories named by a
hash of the owner and a random key, never by anything a user typed. Files
are written to a temporary name and renamed, so a crash mid-write leaves the
earlier data intact.

Storage is per Flask app (``init_app``), not per module, so a host site and
tests can run several apps in one process.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, ParamSpec, TypeVar

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    create_engine,
    delete,
    event,
    inspect,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from basket_segments.analytics.errors import DataError
from basket_segments.analytics.progress import Report, ignore
from basket_segments.analytics.stages import StoredTable
from basket_segments.settings import setting
from basket_segments.store import places
from basket_segments.store.recent import KEPT_KINDS, RecentResults

if TYPE_CHECKING:
    from basket_segments.analytics.loading import RawTable
    from basket_segments.analytics.prepare import PreparedData

try:
    import fcntl
except ImportError:  # Windows: no lock between processes
    fcntl = None

EXTENSION = "basket_segments_storage"
P = ParamSpec("P")
R = TypeVar("R")
NAME_LENGTH = 120
#: Tries at creating the tables when several server workers start at once.
CREATE_ATTEMPTS = 5
#: The largest id an ``Integer`` primary key holds in every supported database.
MAX_ID = 2**31 - 1
#: Longest customer id the customer box suggests; a longer one would not fit the box.
EXAMPLE_LENGTH = 40


class DatasetNotFound(DataError, LookupError):
    """No dataset with that id belongs to this user (whether or not it exists).

    A ``DataError``, so pages show it as any other sentence about the data.
    """

    def __str__(self) -> str:
        return "That dataset does not exist or was deleted."


class StorageUnavailable(DataError):
    """The server could not read or write its own storage (disk full, read-only, no database).

    A ``DataError`` so every page shows it like any other message: the work
    was not saved, and what was stored before is unchanged (writes are atomic).
    """


UNCHANGED = "nothing was saved and your stored data is unchanged"
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)


def explain_failure(error: OSError | SQLAlchemyError) -> str:
    """One sentence for a storage failure, naming the cause an administrator can fix."""
    if isinstance(error, OSError):
        number, detail = error.errno, error.strerror or str(error)
    else:
        number, detail = None, str(getattr(error, "orig", error)).splitlines()[0]
    lowered = detail.lower()
    if number in DISK_FULL or "disk is full" in lowered or "no space" in lowered:
        return f"The server's disk is full, so {UNCHANGED}. Ask the administrator to free space."
    if number in READ_ONLY or "readonly" in lowered or "read-only" in lowered:
        return (
            f"The server's data folder is read-only, so {UNCHANGED}. "
            "Ask the administrator to make it writable."
        )
    if isinstance(error, OSError):
        return f"The server could not write its files ({detail}), so {UNCHANGED}."
    return f"The server's database is not available ({detail}), so {UNCHANGED}."


def _reports_failures(function: Callable[P, R]) -> Callable[P, R]:
    """Turn an operating-system or database failure inside ``function`` into a message."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except (OSError, SQLAlchemyError) as error:
            if isinstance(error, PermissionError) and error.errno is None:
                raise  # not the file system: nobody is logged in (see _check_owner)
            current_app.logger.error("Storage failure in %s: %r", function.__name__, error)
            raise StorageUnavailable(explain_failure(error)) from error

    return wrapper


class Base(DeclarativeBase):
    pass


class DatasetRecord(Base):
    __tablename__ = "bs_datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    filename: Mapped[str] = mapped_column(String(255))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    file_key: Mapped[str] = mapped_column(String(36), unique=True)
    file_format: Mapped[str] = mapped_column(String(20))
    shape: Mapped[str] = mapped_column(String(20))
    rows: Mapped[int] = mapped_column(Integer)
    customers: Mapped[int] = mapped_column(Integer)
    products: Mapped[int] = mapped_column(Integer)
    roles: Mapped[dict] = mapped_column(JSON)
    report: Mapped[dict] = mapped_column(JSON)
    #: A customer id of the prepared data, which the customer box suggests (a later
    #: column: None for datasets stored before it, until their roles are applied again).
    example_customer: Mapped[str | None] = mapped_column(String(EXAMPLE_LENGTH), nullable=True)


class LastOpened(Base):
    """The dataset each user last opened or uploaded, opened again at their next login.

    Keyed by the owner (``owner.request_owner``), not a column of a user table: a
    host site's users live in its own model, which the dashboard never changes.
    """

    __tablename__ = "bs_last_opened"

    owner: Mapped[str] = mapped_column(String(255), primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("bs_datasets.id", ondelete="CASCADE"))
    opened: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ResultRecord(Base):
    __tablename__ = "bs_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str] = mapped_column(String(255), index=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("bs_datasets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    params_key: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class DatasetInfo:
    """What the app shows about a stored dataset."""

    id: int
    name: str
    filename: str
    created: datetime
    shape: str
    rows: int
    customers: int
    products: int
    roles: dict
    report: dict
    #: The dataset's folder under its owner's (a random key, never anything a user typed).
    file_key: str = ""
    file_format: str = ""
    #: A customer id of the data, for the customer box's placeholder (None: none known).
    example_customer: str | None = None


@dataclass(frozen=True)
class _State:
    sessions: sessionmaker[Session]
    folder: Path
    max_upload_bytes: int
    recent: RecentResults


def init_app(app: Flask) -> None:
    """Connect storage to ``app``'s database and data folder, creating them if needed."""
    if EXTENSION in app.extensions:
        return
    places.keep_old_layout(app)
    folder = private_folder(places.data_folder(app))
    url = database_url(app)
    private_sqlite_file(url)
    engine = write_ahead_log(create_engine(url, pool_pre_ping=True))
    create_tables(create_schema, engine)
    limit = setting_bytes(app.config, "MAX_UPLOAD_MB")
    recent = RecentResults(setting_bytes(app.config, "RECENT_RESULTS_MB"))
    app.extensions[EXTENSION] = _State(sessionmaker(engine), folder, limit, recent)


#: Modes of what holds password hashes, the secret key and users' data: the server's only.
PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


def setting_bytes(config: Mapping[str, Any], name: str) -> int:
    """A size setting in MB (``MAX_UPLOAD_MB``, ``MAX_TABLE_MB``, ``USER_QUOTA_MB``) in bytes.

    >>> config = {"BASKET_SEGMENTS_MAX_UPLOAD_MB": "1.5"}
    >>> setting_bytes(config, "MAX_UPLOAD_MB"), setting_bytes({}, "MAX_TABLE_MB")
    (1572864, 209715200)
    """
    return int(float(setting(config, name)) * 2**20)


def private_folder(path: Path) -> Path:
    """Create the folder ``path`` for the server's user only, or take others' access away."""
    path.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    _withdraw_access(path, PRIVATE_FOLDER)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty for the server's user only, or take others' access away.

    SQLite (and diskcache, which uses it) takes an empty file as a new database
    and gives its journal files the database file's mode.
    """
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        _withdraw_access(path, PRIVATE_FILE)
    return path


def sqlite_file(url) -> Path | None:
    """The database file of a SQLite ``url`` (text or SQLAlchemy's ``URL``); None for
    another database, or one in memory or named by a ``file:`` URI."""
    parsed = make_url(url)
    name = parsed.database or ":memory:"
    if parsed.get_backend_name() != "sqlite" or name.startswith((":memory:", "file:")):
        return None
    return Path(name)


def private_sqlite_file(url: str) -> None:
    """Make the database file of a SQLite ``url`` private before SQLite creates it."""
    path = sqlite_file(url)
    if path is not None:
        private_file(path)


def write_ahead_log(engine: Engine) -> Engine:
    """Have every connection of a SQLite file's ``engine`` use the write-ahead log, and
    return the engine; other databases are left as they are.

    In SQLite's default journal a commit locks readers out, and a blocked reader
    sleeps 1, 2, 5, 10 ms and more before it tries again: under ``bench.load`` the
    user lookup of every request spent more time waiting for the jobs' commits than
    anything else a click did (bench/README.md, "Clicks under load, third session"). With the log,
    readers never wait for a writer. The mode is kept in the file; its ``-wal`` and
    ``-shm`` files get the database file's permissions.
    """
    if sqlite_file(engine.url) is None:
        return engine

    @event.listens_for(engine, "connect")
    def _use_the_log(connection, _record) -> None:
        cursor = connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        finally:
            cursor.close()

    return engine


def _withdraw_access(path: Path, mode: int) -> None:
    """Set ``mode`` on ``path`` if its group or others have any access to it."""
    with contextlib.suppress(PermissionError):  # not ours: its owner decides
        if path.stat().st_mode & 0o077:
            os.chmod(path, mode)


def create_tables(create: Callable[..., None], *args: Any) -> None:
    """Run ``create`` (a ``create_all``), retrying when another process races it.

    Server workers start together, and on a fresh database two of them may both
    see a table missing and create it: the second fails with "already exists".
    A retry then finds the table and creates nothing.
    """
    for attempt in range(CREATE_ATTEMPTS):
        try:
            create(*args)
            return
        except SQLAlchemyError:
            if attempt == CREATE_ATTEMPTS - 1:
                raise
            time.sleep(0.1 * (attempt + 1))


#: Nullable columns the tables gained after they were first released: a database made
#: before gets them at its next start, empty in the rows it holds (``add_added_columns``).
ADDED_COLUMNS = (DatasetRecord.__table__.c.example_customer,)


def create_schema(engine: Engine) -> None:
    """Create the dashboard's tables that are missing, then the columns added since an
    existing database was made: an earlier version's database keeps working."""
    Base.metadata.create_all(engine)
    add_added_columns(engine)


def add_added_columns(engine: Engine) -> None:
    """Add the ``ADDED_COLUMNS`` an existing database lacks (``create_all`` creates
    missing tables but never alters one that exists). Workers starting together may
    both add one: the second fails and ``create_tables`` retries, finding it there.
    """
    inspector = inspect(engine)
    for column in ADDED_COLUMNS:
        table = column.table.name
        if column.name in {found["name"] for found in inspector.get_columns(table)}:
            continue
        kind = column.type.compile(dialect=engine.dialect)
        with engine.begin() as connection:
            connection.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column.name} {kind}")


def database_url(app: Flask, url: str | None = None) -> str:
    """``url``, else ``DATABASE_URL``, else SQLite in the dashboard's folder; for SQLite, the
    file's folder created (the dashboard's own, for the server's user only)."""
    url = url or setting(app.config, "DATABASE_URL") or places.default_database_url(app)
    if url == places.default_database_url(app):
        private_folder(places.dashboard_folder(app))
    ensure_sqlite_folder(url)
    return url


def ensure_sqlite_folder(url: str) -> None:
    """Create the folder of a SQLite database file, which SQLite will not do itself."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def _state() -> _State:
    return current_app.extensions[EXTENSION]


def max_upload_bytes() -> int:
    """The upload size limit of the current app, in bytes."""
    return _state().max_upload_bytes


def max_table_bytes() -> int:
    """What one table's values may take once read (``MAX_TABLE_MB``), at upload and at
    every later opening."""
    return setting_bytes(current_app.config, "MAX_TABLE_MB")


def _owner_folder(owner: str) -> Path:
    return _state().folder / hashlib.sha256(str(owner).encode()).hexdigest()[:32]


def _dataset_folder(owner: str, record: DatasetRecord | DatasetInfo) -> Path:
    return _owner_folder(owner) / record.file_key


def _check_owner(owner: str | None) -> str:
    if not owner:
        raise PermissionError("Storage needs a logged-in user.")
    return str(owner)


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write through ``write(temporary_path)``, then rename over ``path`` in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def clean_name(name: str, fallback: str = "dataset") -> str:
    """A dataset name fit to show: trimmed, printable, at most ``NAME_LENGTH`` characters.

    >>> clean_name("  ../../etc/passwd\\n")
    '../../etc/passwd'
    """
    text = "".join(ch for ch in str(name) if ch.isprintable()).strip()
    return (text or fallback)[:NAME_LENGTH]


#: Seconds a received upload waits to be read before it is thrown away.
UPLOAD_TTL = 3600
#: Bytes read from the request at a time while an upload is written to disk.
UPLOAD_CHUNK = 2**20
#: The lock file of an owner's quota (empty, so it counts for nothing).
QUOTA_LOCK = ".quota.lock"


class UploadTooLarge(DataError):
    """An upload over ``MAX_UPLOAD_MB``; the upload route answers it with 413."""


def too_large(size: int, limit: int) -> UploadTooLarge:
    return UploadTooLarge(
        f"The file is {size / 2**20:,.1f} MB, over the upload limit of {limit / 2**20:,.0f} MB."
    )


def _uploads_folder(owner: str) -> Path:
    return _owner_folder(owner) / "uploads"


def used_bytes(owner: str) -> int:
    """Bytes of the owner's files: datasets, results and uploads not yet read."""
    folder = _owner_folder(_check_owner(owner))
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def check_quota(owner: str, adding: int) -> None:
    """Refuse (``DataError``) to add ``adding`` bytes beyond the owner's ``USER_QUOTA_MB``.

    Stored data and results stay as they are; the sentence says how to make room.
    """
    quota = setting_bytes(current_app.config, "USER_QUOTA_MB")
    used = used_bytes(owner)
    if used + adding > quota:
        raise DataError(
            f"Your storage is full: your datasets and results take {used / 2**20:,.1f} MB "
            f"of your {quota / 2**20:,.0f} MB, so this was not stored. Delete a dataset on "
            "the Data page to make room."
        )


@_reports_failures
def receive_upload(owner: str, stream: BinaryIO, declared_size: int | None) -> str:
    """Write an uploaded file's bytes to the owner's upload area; a handle to read it by.

    The bytes are streamed to disk in chunks, never held whole; more than the
    upload limit (declared or actually sent) is refused before anything is kept.
    """
    owner, limit = _check_owner(owner), max_upload_bytes()
    if declared_size is not None and declared_size > limit:
        raise too_large(declared_size, limit)
    check_quota(owner, declared_size or 0)
    folder = _uploads_folder(owner)
    _forget_stale_uploads(folder)
    handle = uuid.uuid4().hex

    def write(path: Path) -> None:
        written = 0
        with open(path, "wb") as file:
            while chunk := stream.read(UPLOAD_CHUNK):
                written += len(chunk)
                if written > limit:
                    raise too_large(written, limit)
                with _quota_lock(owner):  # counted as written: parallel uploads add up
                    check_quota(owner, len(chunk))
                    file.write(chunk)
                    file.flush()

    _atomic_write(folder / handle, write)
    return handle


@_reports_failures
def take_upload(owner: str, handle: Any) -> bytes:
    """The bytes of an upload this owner sent, removed from the upload area."""
    text = str(handle or "")
    path = _uploads_folder(_check_owner(owner)) / text
    if len(text) != 32 or not all(c in "0123456789abcdef" for c in text) or not path.is_file():
        raise DataError("That upload is no longer on the server; please upload the file again.")
    try:
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)


def _forget_stale_uploads(folder: Path) -> None:
    """Remove uploads nobody read within ``UPLOAD_TTL`` (a closed tab, a failed job)."""
    if not folder.is_dir():
        return
    oldest = time.time() - UPLOAD_TTL
    for path in folder.iterdir():
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < oldest:
                path.unlink()


@_reports_failures
def save_upload(
    owner: str,
    filename: str,
    content: bytes,
    name: str | None = None,
    report: Report | None = None,
) -> DatasetInfo:
    """Check, read and store an uploaded file; raises ``DataError`` with a user message.

    Nothing is written unless the file reads and prepares cleanly, and ``report``
    (which may raise to cancel) is called only before anything is written.
    """
    from basket_segments.analytics.local import LocalEngine
    from basket_segments.analytics.prepare import has_customers
    from basket_segments.analytics.segmentation import import_scikit_learn_in_background

    report = report or ignore
    owner = _check_owner(owner)
    limit = max_upload_bytes()
    if len(content) > limit:
        raise too_large(len(content), limit)
    report(0.05, "Reading the file")
    engine = LocalEngine()  # whichever engine analyses it later: the upload is in memory here
    # No more values than a CSV within the limit could hold (a value and a delimiter each).
    raw = engine.read(content, filename, max_cells=limit // 2, max_bytes=max_table_bytes())
    report(0.4, f"Finding customers and products in {len(raw.frame):,} rows")
    prepared = engine.prepare(raw)
    report(0.8, "Storing")
    stored = _store(
        owner, clean_name(name or Path(filename).stem), clean_name(filename), raw, prepared
    )
    try:  # the pages read it at once: kept now, not prepared again on the first view
        save_result(owner, stored.id, PREPARED, prepared_key(stored.roles), prepared)
    except BaseException:
        delete_dataset(owner, stored.id)
        raise
    if has_customers(raw):  # while the user reads the Data page: Segments need not wait
        import_scikit_learn_in_background()
    return stored


def _store(
    owner: str, name: str, filename: str, raw: RawTable, prepared: PreparedData
) -> DatasetInfo:
    record = DatasetRecord(
        owner=owner,
        name=name,
        filename=filename,
        created=datetime.now(UTC),
        file_key=str(uuid.uuid4()),
        file_format=raw.file_format,
        shape=prepared.shape,
        rows=len(raw.frame),
        customers=len(prepared.customers),
        products=int(prepared.purchases["product"].nunique()) if len(prepared.purchases) else 0,
        roles=prepared.choices,
        report=json.loads(json.dumps(prepared.report, default=str)),
        example_customer=example_customer(prepared),
    )
    folder = _dataset_folder(owner, record)
    frame = raw.frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    write = _within_quota(owner, lambda path: frame.to_parquet(path, index=False))
    try:
        _atomic_write(folder / "raw.parquet", write)
        with _state().sessions.begin() as session:
            session.add(record)
            session.flush()
            return _info(record)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _info(record: DatasetRecord) -> DatasetInfo:
    return DatasetInfo(
        id=record.id,
        name=record.name,
        filename=record.filename,
        created=record.created,
        shape=record.shape,
        rows=record.rows,
        customers=record.customers,
        products=record.products,
        roles=dict(record.roles or {}),
        report=dict(record.report or {}),
        file_key=record.file_key,
        file_format=record.file_format,
        example_customer=record.example_customer,
    )


def example_customer(prepared: PreparedData) -> str | None:
    """The first customer id of ``prepared``, which the customer box suggests ("e.g.
    C000002"); None without customers or when it is too long or odd to show."""
    if not len(prepared.customers):
        return None
    first = str(prepared.customers.index[0])
    return first if first.isprintable() and 0 < len(first) <= EXAMPLE_LENGTH else None


@_reports_failures
def list_datasets(owner: str) -> list[DatasetInfo]:
    """The owner's datasets, newest first."""
    owner = _check_owner(owner)
    with _state().sessions() as session:
        query = select(DatasetRecord).where(DatasetRecord.owner == owner)
        records = session.scalars(query.order_by(DatasetRecord.id.desc())).all()
        return [_info(record) for record in records]


def _record(session: Session, owner: str, dataset_id: Any) -> DatasetRecord:
    try:
        number = int(dataset_id)
    except (TypeError, ValueError):
        raise DatasetNotFound() from None
    if not 0 < number <= MAX_ID:  # PostgreSQL refuses a forged id beyond its integer range
        raise DatasetNotFound()
    query = select(DatasetRecord).where(
        DatasetRecord.id == number, DatasetRecord.owner == _check_owner(owner)
    )
    record = session.scalars(query).first()
    if record is None:
        raise DatasetNotFound()
    return record


#: Where a request (or a background job) keeps what it has read (``flask.g``).
MEMO = "basket_segments_storage_memo"


def _memo() -> dict:
    """What this request has read: each dataset record and each stored result is read
    at most once per request (flaskr's ``g.db``, for reads). A write forgets it all."""
    if not has_app_context():
        return {}
    memo = g.get(MEMO)
    if memo is None:
        memo = {}
        setattr(g, MEMO, memo)
    return memo


def _forget() -> None:
    """After a write, later reads in this request see the database and files again."""
    _memo().clear()


@_reports_failures
def get_dataset(owner: str, dataset_id: Any) -> DatasetInfo:
    """One of the owner's datasets; ``DatasetNotFound`` for anyone else's.

    Read once per request: the pages ask for it on every hop.
    """
    memo, key = _memo(), ("dataset", str(owner), str(dataset_id))
    if key not in memo:
        with _state().sessions() as session:
            memo[key] = _info(_record(session, owner, dataset_id))
    return memo[key]


def stored_table(owner: str, dataset_id: Any) -> StoredTable:
    """The stored table as every engine loads it, with the user's column roles."""
    info = get_dataset(owner, dataset_id)
    path = _dataset_folder(owner, info) / "raw.parquet"
    return StoredTable(path, info.file_format, info.roles or None, max_table_bytes(), info.name)


@_reports_failures
def load_raw(owner: str, dataset_id: Any) -> RawTable:
    """The stored table as it was read from the upload."""
    from basket_segments.analytics.local import LocalEngine

    return LocalEngine().read(stored_table(owner, dataset_id))


@_reports_failures
def update_roles(owner: str, dataset_id: Any, roles: Mapping[str, str | None]) -> DatasetInfo:
    """Store the user's column roles after checking that the data prepares with them.

    Raises ``DataError`` (and changes nothing) when the roles do not fit the data.
    """
    from basket_segments.analytics.local import LocalEngine

    prepared = LocalEngine.prepare(load_raw(owner, dataset_id), roles)
    _forget()
    with _state().sessions.begin() as session:
        record = _record(session, owner, dataset_id)
        record.roles, record.shape = prepared.choices, prepared.shape
        record.customers = len(prepared.customers)
        record.report = json.loads(json.dumps(prepared.report, default=str))
        record.example_customer = example_customer(prepared)
        info = _info(record)
    save_choices(owner, dataset_id, segments=None)  # its features may be others now
    with contextlib.suppress(DataError):  # kept if it fits; else prepared again when shown
        save_result(owner, dataset_id, PREPARED, prepared_key(info.roles), prepared)
    return info


@_reports_failures
def rename_dataset(owner: str, dataset_id: Any, name: str) -> DatasetInfo:
    """Give one of the owner's datasets a new display name."""
    _forget()
    with _state().sessions.begin() as session:
        record = _record(session, owner, dataset_id)
        record.name = clean_name(name, record.name)
        return _info(record)


@_reports_failures
def delete_dataset(owner: str, dataset_id: Any) -> None:
    """Remove one of the owner's datasets with its results and files."""
    _forget()
    with _state().sessions.begin() as session:
        record = _record(session, owner, dataset_id)
        folder = _dataset_folder(owner, record)
        # One statement, before the dataset row: PostgreSQL's ON DELETE CASCADE would
        # otherwise remove the result rows first and the ORM would find them gone.
        session.execute(delete(ResultRecord).where(ResultRecord.dataset_id == record.id))
        session.execute(delete(LastOpened).where(LastOpened.dataset_id == record.id))
        session.delete(record)
    shutil.rmtree(folder, ignore_errors=True)


@_reports_failures
def remember_open(owner: str, dataset_id: Any) -> None:
    """Remember one of the owner's datasets as the one they opened last: their next
    login opens it again (``last_opened``). ``DatasetNotFound`` for anyone else's.

    Two requests of one user may both find no row and insert; the loser, refused by
    the primary key, tries once more and updates the winner's row.
    """
    owner = _check_owner(owner)
    try:
        _remember(owner, dataset_id)
    except IntegrityError:  # another request of this user inserted the row just before
        _remember(owner, dataset_id)


def _remember(owner: str, dataset_id: Any) -> None:
    with _state().sessions.begin() as session:
        record = _record(session, owner, dataset_id)
        row = session.get(LastOpened, owner) or LastOpened(owner=owner)
        row.dataset_id, row.opened = record.id, datetime.now(UTC)
        session.add(row)


@_reports_failures
def last_opened(owner: str) -> int | None:
    """The dataset the owner last opened, if it still exists and is theirs; else None
    (a deleted dataset is simply forgotten)."""
    owner = _check_owner(owner)
    query = (
        select(DatasetRecord.id)
        .join(LastOpened, LastOpened.dataset_id == DatasetRecord.id)
        .where(LastOpened.owner == owner, DatasetRecord.owner == owner)
    )
    with _state().sessions() as session:
        return session.scalars(query).first()


def params_key(params: Mapping[str, Any]) -> str:
    """A stable key for analysis parameters.

    >>> params_key({"k": 5, "features": ["a"]}) == params_key({"features": ["a"], "k": 5})
    True
    """
    text = json.dumps(params, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@_reports_failures
def save_result(
    owner: str, dataset_id: Any, kind: str, params: Mapping[str, Any], value: object
) -> None:
    """Keep an analysis result of one of the owner's datasets, keyed by kind and params."""
    import pandas as pd

    key = params_key(params)
    _forget()
    with _state().sessions.begin() as session:
        record = _record(session, owner, dataset_id)
        path = _dataset_folder(owner, record) / "results" / f"{kind}-{key}.pickle"
        _atomic_write(path, _within_quota(owner, lambda temporary: pd.to_pickle(value, temporary)))
        exists = session.scalars(
            select(ResultRecord).where(
                ResultRecord.dataset_id == record.id,
                ResultRecord.kind == kind,
                ResultRecord.params_key == key,
            )
        ).first()
        if exists is None:
            session.add(
                ResultRecord(
                    owner=owner,
                    dataset_id=record.id,
                    kind=kind,
                    params_key=key,
                    created=datetime.now(UTC),
                )
            )


def _within_quota(owner: str, write: Callable[[Path], None]) -> Callable[[Path], None]:
    """``write`` to a temporary file of the owner's, refused (and the file removed by
    ``_atomic_write``) when the owner's files, it included, pass the quota."""

    def checked(path: Path) -> None:
        write(path)
        with _quota_lock(owner):
            check_quota(owner, 0)

    return checked


@contextlib.contextmanager
def _quota_lock(owner: str) -> Iterator[None]:
    """One writer at a time measures the owner's files against the quota (across threads,
    processes and server workers of one machine: a lock file in the owner's folder)."""
    folder = _owner_folder(owner)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / QUOTA_LOCK, "a") as handle:
        if fcntl is None:  # not POSIX: no lock between processes
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@_reports_failures
def load_result(owner: str, dataset_id: Any, kind: str, params: Mapping[str, Any]) -> Any:
    """A stored result, or None when it was never computed for these params (read once
    per request)."""
    import pandas as pd

    path = _result_path(owner, dataset_id, kind, params)
    memo, key = _memo(), ("result", path)
    if key not in memo:
        if kind in KEPT_KINDS:  # read by every click of a page: kept between requests
            memo[key] = _state().recent.read(path, pd.read_pickle)
        else:
            memo[key] = pd.read_pickle(path) if path.exists() else None
    return memo[key]


@_reports_failures
def has_result(owner: str, dataset_id: Any, kind: str, params: Mapping[str, Any]) -> bool:
    """Whether a result is stored, without reading it."""
    return _result_path(owner, dataset_id, kind, params).exists()


def _result_path(owner: str, dataset_id: Any, kind: str, params: Mapping[str, Any]) -> Path:
    folder = _dataset_folder(owner, get_dataset(owner, dataset_id))
    return folder / "results" / f"{kind}-{params_key(params)}.pickle"


#: The result kind of a dataset as the local engine prepared it with its roles: kept at
#: upload and at a change of roles, read by every page (``results.prepared``).
PREPARED = "prepared"


def prepared_key(roles: Mapping[str, Any]) -> dict:
    """The key of the dataset prepared with ``roles`` (results keys every result so)."""
    return {"roles": roles}


#: A dataset's own choices (``save_choices``), beside its files.
CHOICES_FILE = "choices.json"


@_reports_failures
def load_choices(owner: str, dataset_id: Any) -> dict:
    """What the user last chose for this dataset (its segmentation), empty when nothing."""
    path = _choices_path(owner, dataset_id)
    memo, key = _memo(), ("choices", path)
    if key not in memo:
        try:
            memo[key] = json.loads(path.read_text())
        except (FileNotFoundError, ValueError):
            memo[key] = {}
    return dict(memo[key])


@_reports_failures
def save_choices(owner: str, dataset_id: Any, **choices: Any) -> None:
    """Keep these choices with the dataset (merged into those kept), so its pages show
    its own settings and never another dataset's."""
    kept = {**load_choices(owner, dataset_id), **choices}
    if kept == load_choices(owner, dataset_id):
        return
    path = _choices_path(owner, dataset_id)
    _atomic_write(path, lambda temporary: temporary.write_text(json.dumps(kept)))
    _memo()[("choices", path)] = kept


def _choices_path(owner: str, dataset_id: Any) -> Path:
    return _dataset_folder(owner, get_dataset(owner, dataset_id)) / CHOICES_FILE
