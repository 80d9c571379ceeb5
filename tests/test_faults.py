"""Faults: a full disk, a read-only data folder, and failures nobody planned for.

Each ends in a sentence on the page, never a 500 or a traceback, and leaves
the data stored before intact and readable. The disk is a real tmpfs mounted
for the test (CI runs as root); without root, the same errors are raised by
the file system layer instead, so the handling code is exercised either way.
"""

from __future__ import annotations

import errno
import os
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

from basket_segments import ids
from basket_segments.app import create_app
from basket_segments.store import storage
from tests.callbacks_support import logged_in_as
from tests.conftest import PASSWORD, make_config
from tests.test_callbacks import (
    SETTINGS,
    TABLE,
    segment_charts,
    store_upload,
    text_of,
    upload_contents,
)
from tests.test_jobs import run_suggest_k_job

CAN_MOUNT = os.geteuid() == 0


class Disk:
    """A small disk holding the app's database and data folder."""

    def __init__(self, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.path, self.monkeypatch = path, monkeypatch
        self.real = CAN_MOUNT and _mount(path)
        self.path.mkdir(parents=True, exist_ok=True)

    def fill(self) -> None:
        """Take every free byte."""
        if not self.real:
            return self._refuse_writes(errno.ENOSPC)
        with open(self.path / "filler", "wb") as filler:
            try:
                while True:
                    filler.write(b"\0" * 2**16)
                    filler.flush()
            except OSError as error:
                assert error.errno == errno.ENOSPC

    def make_read_only(self) -> None:
        if not self.real:
            return self._refuse_writes(errno.EROFS)
        subprocess.run(["mount", "-o", "remount,ro", str(self.path)], check=True)

    def restore(self) -> None:
        """Writable with free space again."""
        if not self.real:
            return self.monkeypatch.undo()
        subprocess.run(["mount", "-o", "remount,rw", str(self.path)], check=True)
        (self.path / "filler").unlink(missing_ok=True)

    def unmount(self) -> None:
        if self.real:
            subprocess.run(["umount", "-l", str(self.path)], check=False)

    def _refuse_writes(self, number: int) -> None:
        def refuse(*_args, **_kwargs):
            raise OSError(number, os.strerror(number))

        self.monkeypatch.setattr(storage.tempfile, "mkstemp", refuse)


def _mount(path: Path) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    command = ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(path)]
    return subprocess.run(command, capture_output=True, check=False).returncode == 0


@pytest.fixture
def disk(tmp_path, monkeypatch):
    disk = Disk(tmp_path / "disk", monkeypatch)
    yield disk
    disk.unmount()


@contextmanager
def user_on(disk: Disk):
    """A logged-in user of an app whose data folder is on ``disk``.

    The database stays elsewhere: Linux will not remount a disk read-only while
    SQLite holds its file open for writing.
    """
    config = make_config(disk.path.parent, BASKET_SEGMENTS_DATA_FOLDER=str(disk.path / "data"))
    app = create_app(config)
    with logged_in_as(app) as user:
        yield user.get_id()


def stored_state(owner: str) -> list[tuple]:
    return [(d.id, d.name, d.rows, d.customers) for d in storage.list_datasets(owner)]


def test_a_full_disk_gets_a_message_and_keeps_the_stored_data(disk):
    with user_on(disk) as owner:
        kept, _, _ = store_upload(upload_contents(TABLE), "shop.csv")
        before = stored_state(owner)
        disk.fill()

        active, message, _ = store_upload(upload_contents(TABLE * 3), "second.csv")
        assert "The server's disk is full, so nothing was saved" in text_of(message)
        assert active is not None and not isinstance(active, int)  # no_update
        *_charts, chart_message = segment_charts(SETTINGS, "Age", "Income", None, kept)
        assert "disk is full" in text_of(chart_message)
        assert stored_state(owner) == before
        assert len(storage.load_raw(owner, kept).frame) == 240

        disk.restore()
        active, message, _ = store_upload(upload_contents(TABLE), "third.csv")
        assert "Stored third" in text_of(message)
        assert len(storage.list_datasets(owner)) == 2


def test_a_read_only_data_folder_gets_a_message_and_keeps_the_stored_data(disk):
    with user_on(disk) as owner:
        kept, _, _ = store_upload(upload_contents(TABLE), "shop.csv")
        before = stored_state(owner)
        disk.make_read_only()

        _, message, _ = store_upload(upload_contents(TABLE), "second.csv")
        assert "The server's data folder is read-only" in text_of(message)
        *_charts, chart_message = segment_charts(SETTINGS, "Age", "Income", None, kept)
        assert "read-only" in text_of(chart_message)
        assert stored_state(owner) == before
        assert len(storage.load_raw(owner, kept).frame) == 240

        disk.restore()
        *_charts, chart_message = segment_charts(SETTINGS, "Age", "Income", None, kept)
        assert text_of(chart_message).startswith("Silhouette")


def production_app(tmp_path):
    """Not TESTING, so Flask handles errors as it would for real users."""
    return create_app(make_config(tmp_path, TESTING=False))


def dataset_list_request() -> dict:
    return {
        "output": f"{ids.DATASET_LIST}.children",
        "outputs": {"id": ids.DATASET_LIST, "property": "children"},
        "inputs": [
            {"id": ids.DATA_VERSION, "property": "data", "value": 0},
            {"id": ids.ACTIVE_DATASET, "property": "data", "value": None},
        ],
        "changedPropIds": [f"{ids.DATA_VERSION}.data"],
        "state": [],
    }


def failure_alert(answer: dict) -> dict:
    return answer["sideUpdate"][ids.FAILURE]


def test_an_unexpected_failure_says_so_without_a_traceback(tmp_path, monkeypatch, caplog):
    app = production_app(tmp_path)
    client = app.test_client()
    client.post("/signup", data={"username": "ana", "password": PASSWORD, "confirm": PASSWORD})

    def broken(_owner):
        raise RuntimeError("internal detail /srv/secret/path")

    monkeypatch.setattr(storage, "list_datasets", broken)
    response = client.post("/analytics/_dash-update-component", json=dataset_list_request())

    assert response.status_code == 200
    alert = failure_alert(response.get_json())
    assert alert["is_open"] is True
    assert "Something went wrong on the server" in alert["children"]
    body = response.get_data(as_text=True)
    for leak in ("Traceback", "RuntimeError", "/srv/secret/path"):
        assert leak not in body
    reference = alert["children"].rsplit(" ", 1)[-1].rstrip(".")
    assert any(reference in record.getMessage() for record in caplog.records)
    assert any(record.exc_info for record in caplog.records)


def test_a_background_job_that_fails_unexpectedly_says_so(tmp_path, monkeypatch):
    from basket_segments.store import results

    app = production_app(tmp_path)
    client = app.test_client()
    client.post("/signup", data={"username": "ana", "password": PASSWORD, "confirm": PASSWORD})

    def broken(*_args, **_kwargs):
        raise RuntimeError("internal detail /srv/secret/path")

    monkeypatch.setattr(results, "k_scores", broken)
    _started, answer, _progress = run_suggest_k_job(app, client)

    alert = failure_alert(answer)
    assert "Something went wrong on the server" in alert["children"]
    assert "/srv/secret/path" not in str(answer)


def test_error_pages_show_no_stack_trace(tmp_path, monkeypatch):
    from basket_segments.web.accounts import views as accounts

    app = production_app(tmp_path)

    def broken(*_args, **_kwargs):
        raise RuntimeError("internal detail /srv/secret/path")

    monkeypatch.setattr(accounts, "check_password_hash", broken)
    client = app.test_client()
    client.post("/signup", data={"username": "ana", "password": PASSWORD, "confirm": PASSWORD})
    client.get("/logout")
    response = client.post("/login", data={"username": "ana", "password": PASSWORD})
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Internal Server Error" in body
    for leak in ("Traceback", "RuntimeError", "/srv/secret/path", 'File "'):
        assert leak not in body
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "Traceback" not in missing.get_data(as_text=True)
