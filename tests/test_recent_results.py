"""Minings kept in memory between requests (``store.recent``): read once per file, never
stale, bounded, and never a way around whose dataset it is."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from basket_segments.store import storage
from basket_segments.store.recent import RecentResults
from tests.test_storage import TABLE


def counting_reader(calls: list[str]):
    def read(path):
        calls.append(path.name)
        return path.read_text()

    return read


def test_a_file_is_read_once_until_it_is_replaced_or_deleted(tmp_path):
    recent, calls = RecentResults(budget=1000), []
    read = counting_reader(calls)
    path = tmp_path / "mining-a.pickle"
    path.write_text("first")
    assert [recent.read(path, read) for _ in range(3)] == ["first"] * 3
    assert calls == ["mining-a.pickle"]
    replacement = tmp_path / ".tmp-a"
    replacement.write_text("second")  # as storage writes: a new file renamed into place
    os.replace(replacement, path)
    assert recent.read(path, read) == "second" and len(calls) == 2
    assert recent.held_bytes() == len("second")  # the replaced file's result is let go
    path.unlink()
    assert recent.read(path, read) is None and len(calls) == 2


def test_what_is_held_stays_within_its_budget_least_recent_out(tmp_path):
    recent, calls = RecentResults(budget=10), []
    read = counting_reader(calls)
    paths = []
    for name in "abc":
        paths.append(tmp_path / name)
        paths[-1].write_text(name * 4)  # 4 bytes each: two fit
    for path in paths[:2]:
        recent.read(path, read)
    recent.read(paths[0], read)  # a is now the most recent
    recent.read(paths[2], read)  # c pushes b out
    assert recent.held_bytes() == 8
    calls.clear()
    for path in (paths[0], paths[2], paths[1]):
        recent.read(path, read)
    assert calls == ["b"]
    big = tmp_path / "big"
    big.write_text("x" * 11)  # larger than the whole budget: read, never kept
    recent.read(big, read)
    recent.read(big, read)
    assert calls.count("big") == 2
    assert RecentResults(budget=0).read(paths[0], read) == "aaaa"


def test_a_mining_is_read_once_across_requests_and_anew_when_stored_again(app, monkeypatch):
    reads = []
    real = pd.read_pickle

    def read_pickle(path, *args, **kwargs):
        reads.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(pd, "read_pickle", read_pickle)
    with app.app_context():
        mine = storage.save_upload("1", "shop.csv", TABLE)
        storage.save_result("1", mine.id, "mining", {"support": 0.1}, {"rules": 1})
        storage.save_result("1", mine.id, "segments", {"k": 2}, {"segments": 1})
    for _request in range(3):
        with app.app_context():
            assert storage.load_result("1", mine.id, "mining", {"support": 0.1}) == {"rules": 1}
            assert storage.load_result("1", mine.id, "segments", {"k": 2}) == {"segments": 1}
    kinds = [os.path.basename(path).split("-")[0] for path in reads]
    assert kinds.count("mining") == 1 and kinds.count("segments") == 3  # only minings kept
    with app.app_context():
        storage.save_result("1", mine.id, "mining", {"support": 0.1}, {"rules": 2})
    with app.app_context():
        assert storage.load_result("1", mine.id, "mining", {"support": 0.1}) == {"rules": 2}
        with pytest.raises(storage.DatasetNotFound):  # held in memory, still not user 2's
            storage.load_result("2", mine.id, "mining", {"support": 0.1})
        storage.delete_dataset("1", mine.id)
        with pytest.raises(storage.DatasetNotFound):
            storage.load_result("1", mine.id, "mining", {"support": 0.1})
