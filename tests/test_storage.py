"""Per-user storage: ownership, atomic writes, size limit, restart, rename and delete."""

import io
import json
import os

import pandas as pd
import pytest

from basket_segments import ids
from basket_segments.analytics import segmentation
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.local import LocalEngine
from basket_segments.analytics.sample import generate_sample
from basket_segments.analytics.stages import StageClock
from basket_segments.app import create_app
from basket_segments.store import storage
from tests.callbacks_support import logged_in_as
from tests.conftest import PASSWORD, make_config
from tests.test_callbacks import TABLE as SHOP

TABLE = b"CustomerID,Age,Income,Product\n1,30,40,bread\n1,30,40,milk\n2,41,70,milk\n3,50,20,tea\n"


def opened(owner: str, dataset_id: int):
    """The stored dataset as the local engine loads it, with its stored roles."""
    return LocalEngine().load(storage.stored_table(owner, dataset_id), StageClock())


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def test_save_list_open(ctx):
    info = storage.save_upload("1", "shop.csv", TABLE)
    assert (info.name, info.filename, info.shape) == ("shop", "shop.csv", "combined")
    assert (info.rows, info.customers, info.products) == (4, 3, 3)
    assert info.roles["customer"] == "CustomerID"
    assert [d.id for d in storage.list_datasets("1")] == [info.id]
    data = opened("1", info.id)
    assert data.features == ["Age", "Income"]
    assert len(data.purchases) == 4


def test_other_users_datasets_behave_like_missing_ones(ctx):
    mine = storage.save_upload("1", "shop.csv", TABLE)
    assert storage.list_datasets("2") == []
    attempts = [
        lambda: storage.get_dataset("2", mine.id),
        lambda: opened("2", mine.id),
        lambda: storage.rename_dataset("2", mine.id, "stolen"),
        lambda: storage.delete_dataset("2", mine.id),
        lambda: storage.load_result("2", mine.id, "segments", {}),
        lambda: storage.save_result("2", mine.id, "segments", {}, 1),
    ]
    for attempt in attempts:
        with pytest.raises(storage.DatasetNotFound) as foreign:
            attempt()
        with pytest.raises(storage.DatasetNotFound) as missing:
            storage.get_dataset("2", 99999)
        assert str(foreign.value) == str(missing.value)
    assert storage.get_dataset("1", mine.id).name == "shop"


@pytest.mark.parametrize("dataset_id", [None, "", "abc", "1 OR 1=1", -1, 10**12])
def test_odd_ids_are_just_missing(ctx, dataset_id):
    storage.save_upload("1", "shop.csv", TABLE)
    with pytest.raises(storage.DatasetNotFound):
        storage.get_dataset("1", dataset_id)


def test_storage_needs_an_owner(ctx):
    with pytest.raises(PermissionError):
        storage.list_datasets(None)


def test_names_never_become_paths(ctx, tmp_path):
    info = storage.save_upload("1", "../../escape.csv", TABLE, name="../../../etc/passwd")
    assert info.name == "../../../etc/passwd"
    data_folder = tmp_path / "data"
    written = [p for p in data_folder.rglob("*") if p.is_file()]
    assert written and all(data_folder in p.parents for p in written)
    assert not any("passwd" in str(p) or "escape" in str(p) for p in written)


def test_bad_upload_leaves_stored_data_untouched(ctx, tmp_path):
    kept = storage.save_upload("1", "shop.csv", TABLE)
    before = sorted(p for p in (tmp_path / "data").rglob("*"))
    for bad in (b"", b"\x00\x01binary", b"colour\nred\n"):
        with pytest.raises(DataError):
            storage.save_upload("1", "bad.csv", bad)
    assert [d.id for d in storage.list_datasets("1")] == [kept.id]
    assert sorted(p for p in (tmp_path / "data").rglob("*")) == before


def test_crash_while_writing_keeps_earlier_data(ctx, tmp_path, monkeypatch):
    kept = storage.save_upload("1", "shop.csv", TABLE)

    def crash(*_args, **_kwargs):
        raise OSError("disk died")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(
        storage.StorageUnavailable, match=r"could not write its files \(disk died\)"
    ):
        storage.save_upload("1", "second.csv", TABLE)
    monkeypatch.undo()
    assert [d.id for d in storage.list_datasets("1")] == [kept.id]
    assert not [p for p in (tmp_path / "data").rglob(".tmp-*")]
    assert len(opened("1", kept.id).purchases) == 4


def test_database_failure_removes_the_new_files(ctx, tmp_path, monkeypatch):
    storage.save_upload("1", "shop.csv", TABLE)
    files_before = sorted((tmp_path / "data").rglob("*.parquet"))

    def fail(*_args, **_kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(storage, "_info", fail)
    with pytest.raises(RuntimeError):
        storage.save_upload("1", "other.csv", TABLE)
    monkeypatch.undo()
    assert sorted((tmp_path / "data").rglob("*.parquet")) == files_before
    assert len(storage.list_datasets("1")) == 1


def test_upload_size_limit_is_configurable(tmp_path):
    app = create_app(make_config(tmp_path, BASKET_SEGMENTS_MAX_UPLOAD_MB=0.0001))
    with app.app_context(), pytest.raises(DataError, match="over the upload limit of 0 MB"):
        storage.save_upload("1", "shop.csv", TABLE * 2)


def test_rename_and_delete(ctx, tmp_path):
    info = storage.save_upload("1", "shop.csv", TABLE)
    storage.save_result("1", info.id, "segments", {"k": 2}, pd.DataFrame({"a": [1]}))
    assert storage.rename_dataset("1", info.id, "  Spring sale  ").name == "Spring sale"
    assert storage.rename_dataset("1", info.id, "   ").name == "Spring sale"
    storage.delete_dataset("1", info.id)
    assert storage.list_datasets("1") == []
    assert not list((tmp_path / "data").rglob("*.parquet"))
    assert not list((tmp_path / "data").rglob("*.pickle"))


def test_results_are_keyed_by_kind_and_params(ctx):
    info = storage.save_upload("1", "shop.csv", TABLE)
    frame = pd.DataFrame({"segment": [0, 1]})
    storage.save_result("1", info.id, "segments", {"k": 2, "features": ["Age"]}, frame)
    found = storage.load_result("1", info.id, "segments", {"features": ["Age"], "k": 2})
    pd.testing.assert_frame_equal(found, frame)
    assert storage.load_result("1", info.id, "segments", {"k": 3}) is None
    assert storage.load_result("1", info.id, "rules", {"k": 2, "features": ["Age"]}) is None


def test_everything_survives_a_restart(tmp_path):
    config = make_config(tmp_path)
    with create_app(config).app_context():
        info = storage.save_upload("7", "shop.csv", TABLE)
        storage.save_result("7", info.id, "segments", {"k": 2}, {"sizes": [2, 1]})
    with create_app(config).app_context():
        assert [d.name for d in storage.list_datasets("7")] == ["shop"]
        assert storage.load_result("7", info.id, "segments", {"k": 2}) == {"sizes": [2, 1]}
        assert opened("7", info.id).shape == "combined"


def test_callback_bodies_over_a_megabyte_are_refused_unread(tmp_path):
    """A 60 MB body of ``[{},{},...]`` was read (2 GB of server memory) and answered 200;
    declared or sent in chunks, a body over 1 MB now gets 413 before Dash reads it."""
    app = create_app(make_config(tmp_path, BASKET_SEGMENTS_MAX_UPLOAD_MB=100))
    client = app.test_client()
    client.post("/signup", data={"username": "ana", "password": PASSWORD, "confirm": PASSWORD})
    url = "/analytics/_dash-update-component"
    huge = json.dumps({"output": "x", "inputs": [{"id": "a", "value": [{}] * 3 * 2**20}]})
    assert client.post(url, data=huge, content_type="application/json").status_code == 413
    chunked = client.post(
        url,
        input_stream=io.BytesIO(huge.encode()),
        headers={"Transfer-Encoding": "chunked", "Content-Type": "application/json"},
        environ_overrides={"wsgi.input_terminated": True},  # as a real server sets it
    )
    assert chunked.status_code == 413
    assert chunked.get_json() == {"error": "The request is too large for the dashboard."}
    small = {  # a real callback, padded to nearly 1 MB
        "output": f"{ids.USER_NAME}.children",
        "outputs": {"id": ids.USER_NAME, "property": "children"},
        "inputs": [{"id": ids.URL, "property": "pathname", "value": "/analytics/"}],
        "changedPropIds": [f"{ids.URL}.pathname"],
        "state": [],
        "padding": "x" * (2**20 - 1000),
    }
    assert client.post(url, json=small).status_code == 200


def test_a_full_quota_gets_a_message_and_keeps_what_is_stored(tmp_path):
    """Nothing limited what one user stored (623 MB of rule copies from one small file)."""
    app = create_app(make_config(tmp_path, BASKET_SEGMENTS_USER_QUOTA_MB=0.05))
    with logged_in_as(app, "ana") as ana:
        owner = ana.get_id()
        kept = storage.save_upload(owner, "shop.csv", SHOP.encode())
        files = sorted(storage._owner_folder(owner).rglob("*"))
        used = storage.used_bytes(owner)
        with pytest.raises(DataError, match="Your storage is full") as full:
            storage.save_upload(owner, "more.csv", generate_sample(1000).to_csv().encode())
        assert f"of your {0.05:,.0f} MB" in str(full.value)
        assert sorted(storage._owner_folder(owner).rglob("*")) == files
        assert [d.id for d in storage.list_datasets(owner)] == [kept.id]
        with pytest.raises(DataError, match="Your storage is full"):
            storage.save_result(owner, kept.id, "big", {"k": 1}, "x" * 100_000)
        assert storage.used_bytes(owner) == used
        with pytest.raises(DataError, match="Your storage is full"):
            storage.receive_upload(owner, io.BytesIO(b"x"), 100_000)


def test_an_upload_of_customers_starts_importing_scikit_learn(ctx, monkeypatch):
    """The first segmentation should not wait a second for scikit-learn: an upload that
    names customers starts its import; a basket file, which is never segmented, does not."""
    started = []
    start = lambda: started.append(1)  # noqa: E731
    monkeypatch.setattr(segmentation, "import_scikit_learn_in_background", start)
    storage.save_upload("1", "baskets.csv", b"bread,milk\nmilk\ntea,jam,bread\n")
    assert started == []
    storage.save_upload("1", "shop.csv", TABLE)
    assert started == [1]


def test_the_data_page_counts_the_usable_rows_of_those_read(ctx):
    """ "240 purchase rows" counted the rows read, dropped ones included; a row may be dropped
    for several reasons, so the drop counts cannot give the rest: it is counted."""
    from basket_segments.layouts.data import counts_text

    table = TABLE + b",33,50,tea\n4,,,\n"  # a purchase without customer, and an empty row
    info = storage.save_upload("1", "shop.csv", table)
    assert info.rows == 6 and info.report["rows_kept"] == 4
    assert counts_text(info).startswith("4 usable purchase rows of 6 read")


def test_storage_size_defaults_are_the_configs():
    """A host that sets none of the sizes gets the standalone app's defaults."""
    from basket_segments.web.config import DEFAULTS

    sizes = ("MAX_UPLOAD_MB", "MAX_TABLE_MB", "USER_QUOTA_MB")
    for name in sizes:
        assert storage.setting_bytes({}, name) == DEFAULTS[f"BASKET_SEGMENTS_{name}"] * 2**20


def test_a_segmentation_stored_before_ten_restarts_is_found_anew(ctx):
    """Segmentations stored under a key without the segments' version (3 or 1 KMeans
    restarts above 20,000 customers) are not shown as today's; a remembered choice from
    then still opens as the dataset's segmentation."""
    from basket_segments.queries import SegmentParams
    from basket_segments.store import results

    info = storage.save_upload("1", "shop.csv", TABLE)
    params = SegmentParams(("Age", "Income"), 2)
    before = {"features": ["Age", "Income"], "k": 2, "scale": "auto"}
    roles = storage.prepared_key(storage.get_dataset("1", info.id).roles)
    storage.save_result("1", info.id, "segments", {**before, **roles}, "older partition")
    assert not results.segments_ready("1", info.id, params)
    storage.save_result("1", info.id, "segments", {**params.key(), **roles}, "today's")
    assert results.segments_ready("1", info.id, params)
    storage.save_choices("1", info.id, segments=before)
    assert results.current_segments("1", info.id) == params


def sqlite_journal(path) -> str:
    """The journal mode SQLite keeps in the database file at ``path``."""
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(path)) as connection:
        return connection.execute("PRAGMA journal_mode").fetchone()[0]


def test_the_standalone_database_keeps_a_write_ahead_log(tmp_path):
    """Accounts and storage share the standalone SQLite file; both engines set the log."""
    database = tmp_path / "own.db"
    app = create_app(make_config(tmp_path, BASKET_SEGMENTS_DATABASE_URL=f"sqlite:///{database}"))
    with app.app_context():
        storage.save_upload("1", "shop.csv", TABLE)
    assert sqlite_journal(database) == "wal"
    assert oct((tmp_path / "own.db-wal").stat().st_mode & 0o777) == oct(storage.PRIVATE_FILE)


def test_a_reader_never_waits_for_a_writer_of_a_logged_database(tmp_path):
    """What the log is for: a request's read goes on while a job holds the file for a
    write (in SQLite's default journal an exclusive lock shuts readers out)."""
    import sqlite3
    from contextlib import closing

    from sqlalchemy import create_engine, text

    engine = storage.write_ahead_log(create_engine(f"sqlite:///{tmp_path / 'jobs.db'}"))
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE results (id INTEGER)"))
    with closing(sqlite3.connect(tmp_path / "jobs.db", timeout=0, isolation_level=None)) as job:
        job.execute("BEGIN EXCLUSIVE")
        job.execute("INSERT INTO results VALUES (1)")
        with engine.connect() as request:
            assert request.execute(text("SELECT count(*) FROM results")).scalar() == 0
        job.execute("COMMIT")


def test_databases_other_than_a_sqlite_file_keep_their_journal():
    from sqlalchemy import create_engine, text

    engine = storage.write_ahead_log(create_engine("sqlite://"))
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "memory"
